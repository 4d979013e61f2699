package io.infrastate.git;

import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.UriParameters;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.transport.URIish;

/**
 * The {@code git+…} URI grammar (documented in the package javadoc): parsing into a {@link
 * GitBackend.Builder}, and rendering locations without credentials. Stateless and thread-safe.
 */
final class GitUris {
  static final Set<String> SCHEMES = Set.of("git+file", "git+ssh", "git+https", "git+http");
  private static final Set<String> PARAMS = Set.of("clone", "create", "timeout", "fsync", "layout");
  private static final String GRAMMAR =
      "expected git+file:///path/repo.git[?clone=DIR]#BRANCH:PATH, git+ssh://[user@]host[:port]/path/repo.git#BRANCH:PATH"
          + " or git+https://host/path/repo.git#BRANCH:PATH";

  private GitUris() {}

  /** What a state URI says: where the repository is, the branch and path, and the options. */
  record Parsed(
      URI uri, String branch, String path, Path repository, String remote, Path cloneDir, Boolean create,
      Duration timeout, Boolean fsync, GitLayout layout) {

    /** A backend builder with these settings. */
    GitBackend.Builder backend() {
      GitBackend.Builder b = store(GitBackend.builder());
      try {
        b.branch(branch).path(path);
        if (layout != null) {
          b.layout(layout);
        }
      } catch (IllegalArgumentException e) {
        throw bad(BackendRegistry.redact(uri), e.getMessage());
      }
      return b;
    }

    /** A lock provider builder for the same repository (or clone) with these settings. */
    GitLockProvider.Builder locks() {
      return store(GitLockProvider.builder());
    }

    /** Sets where the repository is and how to reach it, the settings every Git builder shares. */
    private <B extends GitStoreBuilder<B>> B store(B b) {
      try {
        if (repository != null) {
          b.repository(repository);
          if (create != null) {
            b.createRepository(create);
          }
        } else {
          b.remote(remote).cloneDirectory(cloneDir);
        }
        if (timeout != null) {
          b.timeout(timeout);
        }
        if (fsync != null) {
          b.fsync(fsync);
        }
      } catch (IllegalArgumentException e) {
        throw bad(BackendRegistry.redact(uri), e.getMessage());
      }
      return b;
    }

    /** The same settings on another branch. */
    Parsed onBranch(String other) {
      return new Parsed(uri, other, path, repository, remote, cloneDir, create, timeout, fsync, layout);
    }
  }

  /** A builder configured from a state URI; remote URIs without {@code clone} use {@code cacheRoot}. */
  static GitBackend.Builder parse(URI uri, Path cacheRoot) {
    return read(uri, cacheRoot).backend();
  }

  /** Reads a state URI; remote URIs without {@code clone} use {@code cacheRoot}. */
  static Parsed read(URI uri, Path cacheRoot) {
    String shown = BackendRegistry.redact(uri);
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!SCHEMES.contains(scheme)) {
      throw bad(shown, "the scheme must be one of " + SCHEMES);
    }
    if (uri.isOpaque()) {
      throw bad(shown, "it must have '//' after the scheme");
    }
    Map<String, String> query = query(uri.getRawQuery(), shown);
    String branch = "main";
    String path = "state.json";
    String fragment = uri.getFragment();
    if (fragment != null && !fragment.isEmpty()) {
      int colon = fragment.indexOf(':');
      if (colon < 0) {
        branch = fragment;
      } else {
        if (colon > 0) {
          branch = fragment.substring(0, colon);
        }
        path = fragment.substring(colon + 1);
        if (path.isEmpty()) {
          throw bad(shown, "the path after ':' in the fragment is empty");
        }
      }
    }
    Path repository = null;
    String remote = null;
    Path clone = null;
    Boolean create = null;
    String transport = scheme.substring(4);
    if (transport.equals("file")) {
      String authority = uri.getRawAuthority();
      if (authority != null && !authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
        throw bad(shown, "git+file names a path on this machine, with three slashes: git+file:///srv/infra.git");
      }
      if (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/")) {
        throw bad(shown, "the repository path is missing");
      }
      Path repo = Path.of(uri.getPath());
      if (query.containsKey("clone")) {
        if (query.containsKey("create")) {
          throw bad(shown, "'create' applies to a local repository, not with 'clone'");
        }
        remote = repo.toString();
        clone = Path.of(query.get("clone"));
      } else {
        repository = repo;
        if (query.containsKey("create")) {
          create = bool(query.get("create"), "create", shown);
        }
      }
    } else {
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        throw bad(shown, "the host is missing");
      }
      if (query.containsKey("create")) {
        throw bad(shown, "'create' applies to git+file repositories only");
      }
      StringBuilder url = new StringBuilder(transport).append("://");
      if (uri.getRawUserInfo() != null) {
        url.append(uri.getRawUserInfo()).append('@');
      }
      url.append(uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1));
      url.append(uri.getRawPath() == null ? "" : uri.getRawPath());
      remote = url.toString();
      String c = query.get("clone");
      clone = c != null ? Path.of(c) : cacheRoot.resolve(cacheName(uri));
    }
    Duration timeout = null;
    if (query.containsKey("timeout")) {
      try {
        timeout = Duration.ofSeconds(Long.parseLong(query.get("timeout")));
      } catch (NumberFormatException e) {
        throw bad(shown, "'timeout' must be a number of seconds");
      }
    }
    Boolean fsync = query.containsKey("fsync") ? bool(query.get("fsync"), "fsync", shown) : null;
    GitLayout layout = null;
    if (query.containsKey("layout")) {
      try {
        layout = GitLayout.named(query.get("layout"));
      } catch (IllegalArgumentException e) {
        throw bad(shown, e.getMessage());
      }
    }
    Parsed parsed = new Parsed(uri, branch, path, repository, remote, clone, create, timeout, fsync, layout);
    parsed.backend();
    return parsed;
  }

  /** A readable directory name for a remote's default clone: host, repository name and a hash. */
  static String cacheName(URI uri) {
    String repoName = uri.getPath() == null ? "" : uri.getPath();
    int slash = repoName.lastIndexOf('/');
    repoName = slash >= 0 ? repoName.substring(slash + 1) : repoName;
    String key = uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost() + ":" + uri.getPort() + uri.getPath();
    String readable = (uri.getHost() + "-" + repoName).replaceAll("[^A-Za-z0-9._-]", "_");
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return readable + "-" + HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** A URL without its password (and user name, for HTTP), for messages. */
  static String redact(String url) {
    try {
      URIish u = new URIish(url).setPass(null);
      if (u.getScheme() != null && u.getScheme().startsWith("http")) {
        u = u.setUser(null);
      }
      return u.toString();
    } catch (URISyntaxException e) {
      return url.replaceAll("//[^/@]*@", "//");
    }
  }

  private static Map<String, String> query(String raw, String shown) {
    Map<String, String> out = UriParameters.parse(raw, shown);
    for (Map.Entry<String, String> e : out.entrySet()) {
      if (!PARAMS.contains(e.getKey())) {
        throw bad(shown, "unknown parameter '" + e.getKey() + "'; known: " + PARAMS);
      }
      if (e.getValue().isEmpty()) {
        throw bad(shown, "parameter '" + e.getKey() + "' has no value");
      }
    }
    return out;
  }

  private static boolean bool(String value, String name, String shown) {
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw bad(shown, "'" + name + "' must be true or false");
  }

  private static UnknownBackendException bad(String shown, String why) {
    return new UnknownBackendException("Git state URI '" + shown + "' is malformed: " + why + "; " + GRAMMAR + ".");
  }
}
