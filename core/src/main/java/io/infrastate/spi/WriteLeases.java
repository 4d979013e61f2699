package io.infrastate.spi;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;

/**
 * An optional capability of a {@link Backend} that cannot serialize its writers cheaply (a Git
 * remote, S3) but can keep locks beside the state: {@link io.infrastate.State} takes the state's
 * write lease ({@link #LEASE_NAME}) through it, with a short lease, once a write has conflicted
 * repeatedly, so that writers that keep losing the compare-and-swap take turns instead of racing.
 * The lease is advisory: writes still compare-and-swap. A backend that sees the lease in the same
 * read as the version may also refuse to store a save made while another writer's lease is live,
 * reporting a conflict instead (a Git remote does), so that the holder is not overtaken.
 *
 * <p>Implementations must be thread-safe.
 */
public interface WriteLeases extends Backend {
  /**
   * The lock name of the write lease. It is independent of {@link
   * io.infrastate.lock.LockNames#STATE}, which people take for long operations (and write under).
   */
  String LEASE_NAME = "infrastate-write-lease";

  /**
   * A new lock provider that keeps its locks beside this backend's state (sharing its connection
   * or repository). The caller closes it; closing it never closes this backend.
   *
   * @param options the clock, operator and poll intervals for the provider
   * @return a new provider
   * @throws io.infrastate.model.BackendException if the provider cannot be set up
   */
  LockProvider writeLeases(LockOptions options);
}
