package io.infrastate.examples.cli;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing of command-line values: {@code KEY=VALUE} pairs and durations. Every malformed value is a
 * {@link CliException} with exit code {@link InfrastateCli#USAGE} whose message shows the expected
 * form. Stateless and thread-safe.
 */
final class Inputs {
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Inputs() {}

  /**
   * Typed values: {@code port=80} is the number 80, {@code tls=true} a boolean, {@code
   * dns=["1.1.1.1"]} a list, {@code v="15"} the string 15. A value is typed as JSON only when it
   * reads back as exactly the same text; anything else ({@code 1.10}, {@code 007}, {@code
   * us-east}) is a string.
   */
  static Map<String, Object> typed(List<String> pairs, String option) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : strings(pairs, option).entrySet()) {
      out.put(e.getKey(), value(e.getValue()));
    }
    return out;
  }

  /** String values: {@code env=prod}. */
  static Map<String, String> strings(List<String> pairs, String option) {
    Map<String, String> out = new LinkedHashMap<>();
    if (pairs == null) {
      return out;
    }
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw CliException.usage(
            "Malformed " + option + (option.startsWith("--secret") ? "" : " '" + pair + "'") + ": expected KEY=VALUE, such as "
                + option + (option.equals("--var") ? " http_port=80" : option.startsWith("--secret") ? " db_password=…"
                : " environment=production"));
      }
      String key = pair.substring(0, eq);
      if (out.put(key, pair.substring(eq + 1)) != null) {
        throw CliException.usage(option + " " + key + " is given twice; give each key once");
      }
    }
    return out;
  }

  /** The JSON value of a text if it renders back to the same text, else the text itself. */
  static Object value(String text) {
    if (text.isEmpty()) {
      return text;
    }
    Object parsed;
    try {
      parsed = Json.parse(text);
    } catch (IllegalArgumentException e) {
      return text;
    }
    if (parsed instanceof Map || parsed instanceof List || parsed instanceof String) {
      return parsed;
    }
    if (parsed == null) {
      return text.equals("null") ? null : text;
    }
    String canonical = parsed instanceof Double d ? BigDecimal.valueOf(d).toPlainString() : parsed.toString();
    if (parsed instanceof Double && !canonical.contains(".")) {
      canonical += ".0";
    }
    if (parsed instanceof BigInteger || parsed instanceof Long || parsed instanceof Integer
        || parsed instanceof Boolean || parsed instanceof Double) {
      return canonical.equals(text) ? parsed : text;
    }
    return text;
  }

  /** A duration: {@code 30m}, {@code 1h30m}, {@code 45s}, {@code 500ms}, {@code 2d}, or ISO-8601 {@code PT30M}. */
  static Duration duration(String text, String option) {
    String t = text.strip();
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw badDuration(text, option);
      }
    }
    Matcher m = DURATION_PART.matcher(t);
    Duration total = Duration.ZERO;
    int at = 0;
    while (at < t.length()) {
      if (!m.find(at) || m.start() != at) {
        throw badDuration(text, option);
      }
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          total = total.plusMillis(n);
          break;
        case "s":
          total = total.plusSeconds(n);
          break;
        case "m":
          total = total.plusMinutes(n);
          break;
        case "h":
          total = total.plusHours(n);
          break;
        default:
          total = total.plusDays(n);
          break;
      }
      at = m.end();
    }
    if (t.isEmpty()) {
      throw badDuration(text, option);
    }
    return total;
  }

  /**
   * What went wrong with a file, in words rather than an exception's type name: {@code no such
   * file}, {@code permission denied}, {@code it is a directory}, or the message.
   */
  static String problem(java.io.IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? "an I/O error" : m;
  }

  private static CliException badDuration(String text, String option) {
    return CliException.usage(
        "Malformed " + option + " '" + text + "': expected a duration such as 30m, 1h30m, 45s or PT30M");
  }
}
