package io.infrastate.spi;

import io.infrastate.model.UnknownBackendException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps URI schemes to {@link BackendProvider}s. {@link #defaultRegistry()} discovers providers with
 * {@link ServiceLoader}; {@link #of(BackendProvider...)} registers them explicitly, without
 * discovery. When two providers claim one scheme the conflict is logged at WARN and opening that
 * scheme fails with a message naming both: it is never resolved silently by class-path order.
 *
 * <p>A string without a scheme is a file path: {@code open("state.json")} means {@code
 * file:///current/dir/state.json}. Single-letter schemes are taken as Windows drive letters.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class BackendRegistry {
  /**
   * Holds the logger, created on first use: a run that logs nothing never starts SLF4J (about 20 ms
   * of a command-line tool's first load, and its warning when no provider is installed).
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(BackendRegistry.class);
  }

  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*", Pattern.DOTALL);

  private final Map<String, List<BackendProvider>> byScheme;

  private BackendRegistry(Iterable<BackendProvider> providers) {
    Map<String, List<BackendProvider>> map = new HashMap<>();
    for (BackendProvider p : providers) {
      for (String s : p.schemes()) {
        map.computeIfAbsent(s.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(p);
      }
    }
    map.forEach((scheme, list) -> {
      if (list.size() > 1) {
        Log.LOG.warn("URI scheme '{}' is claimed by several backend providers: {}; opening it will fail"
            + " until only one is on the class path or one is registered explicitly", scheme, names(list));
      }
    });
    map.replaceAll((k, v) -> List.copyOf(v));
    this.byScheme = Collections.unmodifiableMap(map);
  }

  private static final class Holder {
    static final BackendRegistry DEFAULT =
        new BackendRegistry(ServiceLoader.load(BackendProvider.class, BackendRegistry.class.getClassLoader()));
  }

  /**
   * The providers found by {@link ServiceLoader} on the class path (looked up once).
   *
   * @return the default registry
   */
  public static BackendRegistry defaultRegistry() {
    return Holder.DEFAULT;
  }

  /**
   * A registry of exactly the given providers, without discovery.
   *
   * @param providers the providers
   * @return a new registry
   */
  public static BackendRegistry of(BackendProvider... providers) {
    return new BackendRegistry(Arrays.asList(providers));
  }

  /**
   * The schemes this registry can open.
   *
   * @return scheme names, sorted
   */
  public List<String> schemes() {
    return List.copyOf(new TreeSet<>(byScheme.keySet()));
  }

  /**
   * Opens a backend for a URI or a bare file path.
   *
   * @param uriOrPath such as {@code s3://bucket/state.json} or {@code ./state.json}
   * @return a new backend; the caller closes it
   * @throws UnknownBackendException if the scheme is unknown, ambiguous or the URI malformed
   */
  public Backend open(String uriOrPath) {
    URI uri = parse(uriOrPath);
    return provider(uri).open(uri);
  }

  /**
   * Opens the home a URI or bare file path names: its workspaces and the locks beside each ({@link
   * BackendProvider#home(URI)}). Applications use {@link io.infrastate.Infrastate#at(String)}.
   *
   * @param uriOrPath such as {@code s3://bucket/state.json} or {@code ./state.json}
   * @return the home; the caller closes it
   * @throws UnknownBackendException if the scheme is unknown, ambiguous or the URI malformed
   */
  public StateHome home(String uriOrPath) {
    URI uri = parse(uriOrPath);
    return provider(uri).home(uri);
  }

  private static URI parse(String uriOrPath) {
    if (uriOrPath == null || uriOrPath.isBlank()) {
      throw new UnknownBackendException("State URI is empty; give a file path or a URI such as file:///path/state.json");
    }
    if (SCHEME.matcher(uriOrPath).matches()) {
      try {
        return new URI(uriOrPath);
      } catch (URISyntaxException e) {
        throw new UnknownBackendException("State URI '" + uriOrPath + "' is malformed: " + e.getMessage());
      }
    }
    return Path.of(uriOrPath).toAbsolutePath().normalize().toUri();
  }

  private BackendProvider provider(URI uri) {
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    List<BackendProvider> providers = byScheme.getOrDefault(scheme, List.of());
    if (providers.isEmpty()) {
      throw new UnknownBackendException(
          "No backend for URI scheme '" + scheme + "' in '" + redact(uri) + "'; known schemes: "
              + schemes() + ". Add the module that provides it (such as infrastate-backend-s3) to"
              + " the class path.");
    }
    if (providers.size() > 1) {
      throw new UnknownBackendException(
          "URI scheme '" + scheme + "' is claimed by several backend providers " + names(providers)
              + "; keep one on the class path or register one with BackendRegistry.of(...).");
    }
    return providers.get(0);
  }

  /**
   * A URI without user info or query (where credentials could hide), for messages.
   *
   * @param uri the URI
   * @return a safe rendering
   */
  public static String redact(URI uri) {
    StringBuilder sb = new StringBuilder();
    if (uri.getScheme() != null) {
      sb.append(uri.getScheme()).append(':');
    }
    if (uri.getRawAuthority() != null) {
      sb.append("//").append(uri.getHost() != null ? uri.getHost() : "");
      if (uri.getPort() >= 0) {
        sb.append(':').append(uri.getPort());
      }
    }
    if (uri.getRawPath() != null) {
      sb.append(uri.getRawPath());
    } else if (uri.getRawSchemeSpecificPart() != null && uri.getRawAuthority() == null) {
      String ssp = uri.getRawSchemeSpecificPart();
      int q = ssp.indexOf('?');
      sb.append(q < 0 ? ssp : ssp.substring(0, q));
    }
    if (uri.getRawFragment() != null) {
      sb.append('#').append(uri.getRawFragment());
    }
    return sb.toString();
  }

  private static List<String> names(List<BackendProvider> list) {
    List<String> names = new ArrayList<>();
    for (BackendProvider p : list) {
      names.add(p.getClass().getName());
    }
    return names;
  }
}
