package io.infrastate.crypto;

import io.infrastate.model.MissingKeyException;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.BackendRegistry;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code key} parameter of a state URI, which names where the keys come from, never a key:
 * {@code key=passphrase} (the passphrase in the environment variable {@value #PASSPHRASE_ENV}),
 * {@code key=file:PATH} (a key file), {@code key=command:CMD} (a program that prints the key; spaces
 * as {@code %20}); repeated for several keys, any one of which opens the state. URIs end up in logs
 * and shell histories, so a parameter that carries a secret is refused.
 *
 * <p>This class is stateless and thread-safe.
 */
public final class KeyParameter {
  /** The environment variable that holds the passphrase named by {@code key=passphrase}. */
  public static final String PASSPHRASE_ENV = "INFRASTATE_PASSPHRASE";

  private KeyParameter() {}

  /**
   * A URI without its {@code key} parameters, and the keyring they name.
   *
   * @param uri the URI given to the backend
   * @param keyring the keyring named, or null when the URI names none
   */
  public record Split(URI uri, Keyring keyring) {}

  /**
   * Takes the {@code key} parameters out of a URI.
   *
   * @param uri a state URI
   * @param env the environment (for {@value #PASSPHRASE_ENV})
   * @return the URI without them, and their keyring
   * @throws UnknownBackendException if a parameter is malformed or carries a secret
   * @throws MissingKeyException if {@code key=passphrase} is given and the variable is not set
   */
  public static Split split(URI uri, Function<String, String> env) {
    String query = uri.getRawQuery();
    if (query == null || !(query.startsWith("key=") || query.contains("&key="))) {
      return new Split(uri, null);
    }
    List<String> kept = new ArrayList<>();
    List<KeySource> sources = new ArrayList<>();
    for (String p : query.split("&")) {
      if (!p.startsWith("key=")) {
        kept.add(p);
        continue;
      }
      String v = URLDecoder.decode(p.substring(4), StandardCharsets.UTF_8);
      if (v.equals("passphrase")) {
        String pass = env.apply(PASSPHRASE_ENV);
        if (pass == null || pass.isEmpty()) {
          throw new MissingKeyException("The state URI " + BackendRegistry.redact(uri) + " names key=passphrase, but "
              + PASSPHRASE_ENV + " is not set. Set it to the state's passphrase.", Keyring.describeProvider("passphrase"));
        }
        sources.add(KeySource.passphrase(pass.toCharArray()));
      } else if (v.startsWith("file:") && v.length() > 5) {
        sources.add(KeySource.keyFile(Path.of(v.substring(5))));
      } else if (v.startsWith("command:") && !v.substring(8).isBlank()) {
        sources.add(KeySource.command(Arrays.asList(v.substring(8).strip().split("\\s+"))));
      } else {
        throw new UnknownBackendException("The key parameter of the state URI " + BackendRegistry.redact(uri)
            + " must be key=passphrase (the passphrase in " + PASSPHRASE_ENV + "), key=file:PATH or key=command:CMD."
            + " Never put a passphrase or key in a URI: URIs end up in logs.");
      }
    }
    try {
      URI rest = new URI(uri.getScheme(), uri.getRawAuthority() == null ? null : uri.getAuthority(), uri.getPath(),
          kept.isEmpty() ? null : URLDecoder.decode(String.join("&", kept), StandardCharsets.UTF_8), uri.getFragment());
      return new Split(rest, Keyring.of(sources));
    } catch (URISyntaxException e) {
      throw new UnknownBackendException("State URI '" + BackendRegistry.redact(uri) + "' is malformed: " + e.getMessage());
    }
  }

  /**
   * Takes the {@code key} parameters out of a state URI given as text, as a command line does.
   *
   * @param uriOrPath a state URI or a bare file path
   * @param env the environment (for {@value #PASSPHRASE_ENV})
   * @return the URI without them and their keyring, or null if it names no key
   * @throws UnknownBackendException if a parameter is malformed or carries a secret
   * @throws MissingKeyException if {@code key=passphrase} is given and the variable is not set
   */
  public static Split split(String uriOrPath, Function<String, String> env) {
    if (!uriOrPath.matches("(?s)[A-Za-z][A-Za-z0-9+.-]*:.*[?&]key=.*")) {
      return null;
    }
    try {
      return split(new URI(uriOrPath), env);
    } catch (URISyntaxException e) {
      return null; // the backend registry reports the malformed URI
    }
  }

  /**
   * Takes the {@code key} parameters out of a URI, reading the process environment.
   *
   * @param uri a state URI
   * @return the URI without them, and their keyring
   * @throws UnknownBackendException if a parameter is malformed or carries a secret
   * @throws MissingKeyException if {@code key=passphrase} is given and the variable is not set
   */
  public static Split split(URI uri) {
    Map<String, String> env = System.getenv();
    return split(uri, env::get);
  }
}
