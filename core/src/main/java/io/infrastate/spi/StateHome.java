package io.infrastate.spi;

import io.infrastate.model.WorkspaceException;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import java.net.URI;
import java.util.List;

/**
 * What a state URI names besides one state: a home (a directory, a repository, a bucket prefix, a
 * database schema) holding named workspaces, and the locks that live beside each of them. Returned
 * by {@link BackendProvider#home(URI)}; applications use {@link io.infrastate.StateStore} instead.
 *
 * <p>The workspace {@value #DEFAULT} is the state the URI named before workspaces existed: {@code
 * uri(DEFAULT)} is the home's own URI. Workspace names reaching a home are already validated ({@link
 * io.infrastate.StateStore#WORKSPACE_NAME_RULE}).
 *
 * <p>Implementations must be thread-safe. Closing the home releases what it holds (clients,
 * connections); backends and lock providers it returned are closed by their callers.
 */
public interface StateHome extends AutoCloseable {
  /** The name of the default workspace. */
  String DEFAULT = "default";

  /**
   * The URI of a workspace's state, in the provider's own grammar.
   *
   * @param workspace a valid workspace name
   * @return the home's URI for {@value #DEFAULT}, another URI of the same scheme otherwise
   * @throws WorkspaceException if the backend has no workspaces besides the default
   */
  URI uri(String workspace);

  /**
   * Where a workspace's state lives, for messages and listings: without credentials or parameters.
   *
   * @param workspace a valid workspace name
   * @return by default the {@linkplain BackendRegistry#redact(URI) redacted} {@link #uri(String)}
   * @throws WorkspaceException if the backend has no workspaces besides the default
   */
  default String location(String workspace) {
    return BackendRegistry.redact(uri(workspace));
  }

  /**
   * Opens the backend of a workspace's state. The caller closes it.
   *
   * @param workspace a valid workspace name
   * @return a new backend
   * @throws WorkspaceException if the backend has no workspaces besides the default
   * @throws io.infrastate.model.BackendException if the storage cannot be reached
   */
  Backend open(String workspace);

  /**
   * The lock provider beside a workspace's state: locks of one workspace never block another's.
   * The caller closes it.
   *
   * @param workspace a valid workspace name
   * @param options clock, operator, listener
   * @return a new lock provider
   * @throws io.infrastate.model.UnknownBackendException if the backend keeps no locks beside its states
   * @throws WorkspaceException if the backend has no workspaces besides the default
   */
  LockProvider locks(String workspace, LockOptions options);

  /**
   * The workspaces besides the default whose state exists, by name.
   *
   * @return names, sorted
   * @throws io.infrastate.model.BackendException if the storage cannot be listed
   */
  List<String> workspaces();

  /**
   * Removes a workspace's state, its history and its locks from storage. The caller has checked
   * the request and recorded it; this only removes.
   *
   * @param workspace a valid workspace name other than {@value #DEFAULT}
   * @throws WorkspaceException if the backend has no workspaces besides the default
   * @throws io.infrastate.model.BackendException if the storage cannot be changed
   */
  void remove(String workspace);

  @Override
  default void close() {}

  /**
   * The home of a provider that knows nothing of workspaces: the default workspace is the URI's
   * state, there are no others, and locks are not available.
   *
   * @param provider the provider that opens the URI
   * @param uri the state URI
   * @return a home with only the default workspace
   */
  static StateHome single(BackendProvider provider, URI uri) {
    return new StateHome() {
      @Override
      public URI uri(String workspace) {
        requireDefault(workspace);
        return uri;
      }

      @Override
      public Backend open(String workspace) {
        requireDefault(workspace);
        return provider.open(uri);
      }

      @Override
      public LockProvider locks(String workspace, LockOptions options) {
        requireDefault(workspace);
        throw new io.infrastate.model.UnknownBackendException("The backend of '" + BackendRegistry.redact(uri)
            + "' (" + provider.getClass().getName() + ") keeps no locks beside its state; use a lock provider"
            + " of your own, such as io.infrastate.memory.InMemoryLockProvider within one process.");
      }

      @Override
      public List<String> workspaces() {
        return List.of();
      }

      @Override
      public void remove(String workspace) {
        requireDefault(workspace);
      }

      private void requireDefault(String workspace) {
        if (!DEFAULT.equals(workspace)) {
          throw new WorkspaceException(WorkspaceException.Problem.UNSUPPORTED, workspace,
              "The backend of '" + BackendRegistry.redact(uri) + "' (" + provider.getClass().getName()
                  + ") keeps one state per URI: it has no workspace '" + workspace + "', only '" + DEFAULT
                  + "'. Use a separate URI for each state.");
        }
      }
    };
  }
}
