package io.infrastate.git;

import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendProvider;
import io.infrastate.spi.StateHome;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens {@link GitBackend}s for the {@code git+file}, {@code git+ssh}, {@code git+https} and {@code
 * git+http} URI schemes; registered for {@link java.util.ServiceLoader} in {@code
 * META-INF/services/io.infrastate.spi.BackendProvider}, so that {@code
 * State.open("git+file:///srv/infra.git#main:state.json")} works when this module is on the class
 * path. The grammar is in the {@linkplain io.infrastate.git package documentation}.
 *
 * <p>A remote URI without {@code ?clone=DIR} keeps its clone under {@code
 * ~/.cache/infrastate/git/}, one directory per remote.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class GitBackendProvider implements BackendProvider {
  private final Path cacheRoot;

  /** Creates the provider, with clones of remotes under {@code ~/.cache/infrastate/git/} by default. */
  public GitBackendProvider() {
    this(Path.of(System.getProperty("user.home", "."), ".cache", "infrastate", "git"));
  }

  /**
   * Creates a provider that keeps default clones of remotes under another directory.
   *
   * @param cacheRoot the parent of the default clone directories
   */
  public GitBackendProvider(Path cacheRoot) {
    this.cacheRoot = cacheRoot.toAbsolutePath().normalize();
  }

  @Override
  public Set<String> schemes() {
    return GitUris.SCHEMES;
  }

  /**
   * Opens a backend for a {@code git+…} URI.
   *
   * @param uri the state URI
   * @return a new backend; the caller closes it
   * @throws io.infrastate.model.UnknownBackendException if the URI is malformed
   * @throws io.infrastate.model.BackendException if the repository cannot be opened
   */
  @Override
  public Backend open(URI uri) {
    return GitUris.parse(uri, cacheRoot).build();
  }

  /**
   * The home of a Git state: its repository. Workspace NAME is the same path on the branch {@code
   * BRANCH.workspaces/NAME}; the default workspace's locks are the refs under {@code
   * refs/infrastate/locks/}, workspace NAME's under {@code refs/infrastate/workspaces/NAME/locks/}
   * ({@link GitLockProvider}), in the repository or, with a remote, its clone.
   *
   * @param uri the state URI
   * @return the home; closing it closes the repository it opened for listing
   * @throws io.infrastate.model.UnknownBackendException if the URI is malformed
   */
  @Override
  public StateHome home(URI uri) {
    return new GitHome(uri, GitUris.read(uri, cacheRoot));
  }
}
