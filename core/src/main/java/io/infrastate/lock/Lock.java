package io.infrastate.lock;

import java.time.Duration;

/**
 * A held lock, handed out by a {@link LockProvider}. Closing it releases it; use
 * try-with-resources.
 *
 * <pre>{@code
 * try (Lock lock = provider.acquire("web01", LockRequest.of("restart web01"), Duration.ofSeconds(30))) {
 *   // ... long operation; call lock.renew() before the lease ends, or request autoRenew
 * }
 * }</pre>
 *
 * <p>A lock is held until it is released, or until its lease ends without renewal; after that it
 * is stale and another requester may take it over. Every operation on it identifies the lock by
 * its id, so a holder never releases or renews somebody else's lock, even after a takeover.
 *
 * <p>Instances are thread-safe: renewal (manual or automatic) and release may run from any thread.
 */
public interface Lock extends AutoCloseable {

  /**
   * The lock's name.
   *
   * @return the name it was acquired under
   */
  String name();

  /**
   * The lock's id, unique to this acquisition.
   *
   * @return the id stored in the lock
   */
  String id();

  /**
   * The lock as this holder last wrote it (after acquisition or the latest renewal). This is
   * local knowledge; {@link #isHeld()} asks the storage.
   *
   * @return the lock description
   */
  LockInfo info();

  /**
   * The lock's fencing token: larger than the token of every earlier acquisition of this name,
   * takeovers included. Pass the lock to {@link io.infrastate.State#update(Lock,
   * io.infrastate.model.AuditEntry, java.util.function.Consumer)} so that a write made after the lock was
   * lost is refused.
   *
   * @return {@code info().token()}
   */
  default long token() {
    return info().token();
  }

  /**
   * Extends the lease by the requested lease, counted from now on the provider's clock. Allowed
   * while the stored lock still carries this lock's id, even if the lease has already ended but
   * nobody took it over yet.
   *
   * @return the renewed lock description
   * @throws LockHeldException if the lock was taken over or force-unlocked; the message names the
   *     new holder, if any. The holder must assume its operation ran unprotected
   * @throws IllegalStateException if this lock was already released
   * @throws io.infrastate.model.BackendException if the storage fails (the lock is unchanged)
   */
  LockInfo renew();

  /**
   * Extends the lease by a given duration from now; see {@link #renew()}.
   *
   * @param lease the new lease, positive
   * @return the renewed lock description
   */
  LockInfo renew(Duration lease);

  /**
   * Whether the storage still holds this lock (same id) with a lease that has not ended.
   *
   * @return {@code true} if held
   * @throws io.infrastate.model.BackendException if the storage cannot be read
   */
  boolean isHeld();

  /**
   * Releases the lock: deletes it from storage if it still carries this lock's id, and stops
   * automatic renewal. Releasing twice is harmless.
   *
   * @return {@code true} if this call deleted the lock; {@code false} if it was already released,
   *     or was taken over or force-unlocked in between (logged at WARN: the holder's operation
   *     ran partly unprotected)
   * @throws io.infrastate.model.BackendException if the storage fails for good (a retryable failure is
   *     tried 4 times in all, 0.1, 0.2 and 0.4 s apart); the lock then stays until its
   *     lease ends, unless {@code release()} is called again and succeeds
   */
  boolean release();

  /** Releases the lock, as {@link #release()} does. */
  @Override
  void close();
}
