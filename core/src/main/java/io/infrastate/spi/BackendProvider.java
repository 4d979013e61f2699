package io.infrastate.spi;

import java.net.URI;
import java.util.Set;

/**
 * Opens backends for the URI schemes it knows, such as {@code file}, {@code git+file} or {@code
 * s3}. Discovered with {@link java.util.ServiceLoader} (register the implementation in {@code
 * META-INF/services/io.infrastate.spi.BackendProvider}) or registered explicitly with {@link
 * BackendRegistry#of(BackendProvider...)}.
 *
 * <p>Implementations must be thread-safe and cheap to construct.
 */
public interface BackendProvider {
  /**
   * The URI schemes this provider opens, in lower case.
   *
   * @return one or more scheme names
   */
  Set<String> schemes();

  /**
   * Opens a backend for a URI with one of {@link #schemes()}. The caller closes the backend.
   *
   * @param uri the state URI
   * @return a new backend
   * @throws io.infrastate.model.UnknownBackendException if the URI is malformed for this scheme
   * @throws io.infrastate.model.BackendException if the storage cannot be reached
   */
  Backend open(URI uri);

  /**
   * Opens the home a URI names: its workspaces and the locks beside each. Providers that keep
   * workspaces and locks override this; the default has only the URI's own state (workspace {@value
   * StateHome#DEFAULT}) and no locks, so that providers written before workspaces existed keep
   * working. The caller closes the home.
   *
   * @param uri the state URI, with one of {@link #schemes()}
   * @return the home
   * @throws io.infrastate.model.UnknownBackendException if the URI is malformed for this scheme
   * @throws io.infrastate.model.BackendException if the storage cannot be reached
   */
  default StateHome home(URI uri) {
    return StateHome.single(this, uri);
  }
}
