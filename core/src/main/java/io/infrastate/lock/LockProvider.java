package io.infrastate.lock;

import io.infrastate.memory.InMemoryLockProvider;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Hands out named locks with leases, for long operations such as a deploy: a lock on the whole
 * state ({@link LockNames#STATE}) or on single resources ({@link LockNames#forResource(String)}),
 * so that operations on different resources run in parallel.
 *
 * <p>Implementations: {@link InMemoryLockProvider} (one JVM), lock files with OS file locks
 * ({@code io.infrastate.file.FileLockProvider}), a lock file committed and pushed (Git), a
 * create-only conditional PUT (S3). Most build on {@link AbstractLockProvider}, which supplies the
 * semantics below on top of four storage primitives.
 *
 * <h2>Semantics</h2>
 *
 * <ul>
 *   <li>A lock is free, held, or stale (held, but its lease has ended on the provider's clock). A
 *       free or stale lock can be acquired; taking over a stale lock is logged at WARN with both
 *       holders and reported to the {@link LockListener}.
 *   <li>Locks are not reentrant: a second acquisition of a held name fails, even from the same
 *       thread.
 *   <li>Only the holder (by lock id) renews or releases; {@link #forceUnlock(String, String)} is the
 *       operator's escape hatch, as {@code terraform force-unlock} is.
 *   <li>Lock names are validated ({@link LockNames#validate(String)}) before any storage is
 *       touched; nothing is ever created outside the provider's location.
 *   <li>Leases are measured on the provider's {@link java.time.Clock}; acquire timeouts on the
 *       monotonic system timer, since they bound how long this caller waits.
 *   <li>Every acquisition of a name carries a fencing token ({@link Lock#token()}) larger than
 *       that of every earlier acquisition of the name, takeovers included; a release leaves a
 *       released record that carries the count on. Writes made under a lock with {@link
 *       io.infrastate.State#update(Lock, io.infrastate.model.AuditEntry, java.util.function.Consumer)}
 *       are refused once a later holder wrote, or once the lock is no longer held.
 * </ul>
 *
 * <p>Implementations must be thread-safe.
 */
public interface LockProvider extends AutoCloseable {

  /**
   * Acquires a lock, waiting up to {@code timeout} while somebody else holds it (polling with
   * jittered backoff; a lock whose lease ends while waiting is taken over).
   *
   * @param name the lock name
   * @param request who, what, why, and the lease
   * @param timeout how long to wait; {@link Duration#ZERO} for a single attempt
   * @return the held lock; close it to release
   * @throws LockTimeoutException if the lock was still held when the timeout ended; it says who
   *     holds it, since when and until when
   * @throws IllegalArgumentException if the name breaks a naming rule (the message names the rule)
   * @throws io.infrastate.model.BackendException if the storage fails; when a write failed in a way that
   *     may hide its success (a lost reply), the stored lock is read back first, and a lock stored
   *     by this call is returned as held instead
   */
  Lock acquire(String name, LockRequest request, Duration timeout);

  /**
   * Acquires a lock if it is free or stale, without waiting.
   *
   * @param name the lock name
   * @param request who, what, why, and the lease
   * @return the held lock, or empty if somebody else holds it ({@link #inspect(String)} says who)
   * @throws IllegalArgumentException if the name breaks a naming rule
   * @throws io.infrastate.model.BackendException if the storage fails; when a write failed in a way that
   *     may hide its success (a lost reply), the stored lock is read back first, and a lock stored
   *     by this call is returned as held instead
   */
  Optional<Lock> tryAcquire(String name, LockRequest request);

  /**
   * The stored lock under a name, held or stale.
   *
   * @param name the lock name
   * @return the current holder's description, or empty if the lock is free
   * @throws IllegalArgumentException if the name breaks a naming rule
   * @throws io.infrastate.model.CorruptStateException if the stored lock cannot be parsed
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  Optional<LockInfo> inspect(String name);

  /**
   * The locks stored at this provider's location, held or stale (their lease ended but nobody
   * released or took them over), sorted by name. Released locks are not listed. What an operator
   * reads before {@link #forceUnlock(String, String)}; a lock may change right after it is listed.
   *
   * <p>The default throws: a provider that cannot enumerate its locks only answers {@link
   * #inspect(String)}. Every provider of this project, and every {@link AbstractLockProvider},
   * lists.
   *
   * @return the held and stale locks, sorted by name; empty if none
   * @throws UnsupportedOperationException if this provider cannot list its locks
   * @throws io.infrastate.model.CorruptStateException if a stored lock cannot be parsed
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  default List<LockInfo> list() {
    throw new UnsupportedOperationException("The lock provider at " + location() + " ("
        + getClass().getName() + ") cannot list its locks; ask for one lock by name with inspect(name).");
  }

  /**
   * Removes a lock regardless of its lease, for an operator who knows its holder is gone. The id
   * must match the stored lock's id (read it with {@link #inspect(String)}), so that a lock
   * acquired by somebody else in the meantime is never removed by mistake. Logged at WARN and
   * reported to the {@link LockListener}.
   *
   * @param name the lock name
   * @param lockId the id of the lock to remove
   * @return {@code true} if the lock was removed; {@code false} if no lock with that id is stored
   *     under the name
   * @throws IllegalArgumentException if the name breaks a naming rule
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  boolean forceUnlock(String name, String lockId);

  /**
   * Where the locks are kept, for messages.
   *
   * @return a description such as a directory, never containing credentials
   */
  String location();

  /**
   * Stops automatic renewal of the locks this provider handed out and frees its resources. Locks
   * still held are not released: they expire at the end of their lease. Closing twice is
   * harmless.
   */
  @Override
  void close();
}
