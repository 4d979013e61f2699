package io.infrastate.spi;

import io.infrastate.model.UnknownBackendException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The query parameters of a state URI, read one way for every {@link BackendProvider}: split at
 * {@code &}, each at its first {@code =}, names and values percent-decoded, a parameter without a
 * name or an {@code =} and a repeated name refused. A provider then checks the names it knows and their values. Stateless and thread-safe.
 */
public final class UriParameters {
  private UriParameters() {}

  /**
   * Reads a URI's raw query into its parameters, in the order given. A {@code +} stays a plus sign
   * (as RFC 3986 reads a URI; only HTML forms encode a space so), and empty pairs ({@code a=1&&b=2})
   * are skipped.
   *
   * @param rawQuery the query as {@link java.net.URI#getRawQuery()} gives it; may be null
   * @param shown the URI as messages show it, without credentials ({@link BackendRegistry#redact})
   * @return the parameters by name, in order; empty if there is no query
   * @throws UnknownBackendException if a parameter has no name or no {@code =}, or is given twice
   *     (naming it and the URI)
   */
  public static Map<String, String> parse(String rawQuery, String shown) {
    Map<String, String> out = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        // never the value: it may be a secret that shown leaves out
        throw new UnknownBackendException("State URI " + shown + " has a malformed parameter"
            + (eq < 0 ? " '" + decode(pair) + "' (no '=')" : " (no name)") + "; use NAME=VALUE.");
      }
      String name = decode(pair.substring(0, eq));
      if (out.put(name, decode(pair.substring(eq + 1))) != null) {
        throw new UnknownBackendException("Parameter '" + name + "' is given twice in state URI " + shown + "; give it once.");
      }
    }
    return out;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
