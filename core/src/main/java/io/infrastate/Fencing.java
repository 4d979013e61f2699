package io.infrastate;

import io.infrastate.lock.Lock;
import io.infrastate.model.LockLostException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The fence around a write made under a {@link Lock}: {@link State#update(Lock, AuditEntry,
 * Consumer)} runs the caller's function through {@link #apply(StateTransaction, Consumer)}.
 *
 * <p>Instances are immutable and thread-safe.
 */
final class Fencing {
  /*
   * Design notes: why a refused write never reaches storage.
   *
   * apply() runs inside each attempt of State's write loop, on a transaction opened on that
   * attempt's base version, and that attempt's save is a compare-and-swap on exactly that base
   * version. So the check "the base records no larger token for this lock" and the write of our
   * token into the new version are atomic with respect to every other writer, on every backend:
   * if anyone stores a version in between (with a larger token or not), the save conflicts, and
   * the next attempt checks again on the fresh version. A writer whose token is smaller than the
   * recorded one therefore can never store anything, however its attempts interleave with others.
   *
   * The second check, that the lock is still held by this lock id, asks the lock provider after
   * the caller's function has run, right before the save. It cannot be atomic with the save (the
   * lock and the state live in different places): a lease that ends between the check and the
   * save lets that one write through. The token check closes that gap for every write made after
   * the next holder's first write, which is what fencing promises.
   */

  private final Lock lock;
  private final String location;

  private Fencing(Lock lock, String location) {
    this.lock = lock;
    this.location = location;
  }

  static Fencing of(Lock lock, String location) {
    Objects.requireNonNull(lock, "lock");
    return new Fencing(lock, location);
  }

  /**
   * Runs the caller's function on the transaction, between the two checks, and records the
   * lock's token in the version the transaction will become.
   *
   * @throws LockLostException if the state records a larger token for the lock, or the lock is no
   *     longer held by its id
   */
  void apply(StateTransaction tx, Consumer<Transaction> fn) {
    String name = lock.name();
    long token = lock.token();
    long recorded = tx.fence(name);
    if (recorded > token) {
      throw new LockLostException(
          "Refused a write to " + location + " made under lock '" + name + "' with fencing token " + token
              + ": the state records token " + recorded + " for that lock, written by a later holder (the lock"
              + " was taken over, most likely after its lease ended). Nothing was written. Acquire the lock"
              + " again and re-read the state before deciding what to write.",
          name, token, recorded);
    }
    fn.accept(tx);
    if (!lock.isHeld()) {
      throw new LockLostException(
          "Refused a write to " + location + " made under lock '" + name + "' (lock id " + lock.id()
              + ", fencing token " + token + "): the lock is no longer held by that id (its lease ended at "
              + lock.info().expiresAt() + ", or it was released, force-unlocked or taken over). Nothing was"
              + " written. Acquire the lock again and re-read the state before deciding what to write.",
          name, token, recorded);
    }
    tx.fence(name, token); // recorded in the new version's fences and its audit entry's locks
  }
}
