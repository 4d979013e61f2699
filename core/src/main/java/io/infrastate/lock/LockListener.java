package io.infrastate.lock;

import io.infrastate.model.AuditEntry;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A hook for what happens to locks, such as recording takeovers and force-unlocks in the state's
 * history ({@link #recordingTo(Consumer)}). Every method has a no-op default, so new events break
 * nobody.
 *
 * <p>Methods are called synchronously on the thread that caused the event, after the event took
 * effect in storage. An exception thrown by a listener is logged and otherwise ignored: the lock
 * operation has already happened. Listeners must be thread-safe and must not call back into the
 * provider for the same lock name.
 */
public interface LockListener {

  /** A listener that does nothing. */
  LockListener NONE = new LockListener() {};

  /**
   * A lock was acquired on a free name.
   *
   * @param acquired the new lock
   */
  default void onAcquire(LockInfo acquired) {}

  /**
   * A stale lock (its lease had ended) was taken over.
   *
   * @param previous the lock that was replaced
   * @param next the new holder's lock
   */
  default void onTakeover(LockInfo previous, LockInfo next) {}

  /**
   * A lock was removed by {@link LockProvider#forceUnlock(String, String)}.
   *
   * @param removed the lock that was removed
   * @param by the operator who forced it
   */
  default void onForceUnlock(LockInfo removed, String by) {}

  /**
   * A holder released its lock.
   *
   * @param released the lock as last stored
   */
  default void onRelease(LockInfo released) {}

  /**
   * A holder found its lock gone or held by somebody else, on renewal or release: its operation
   * ran partly unprotected.
   *
   * @param lost the holder's lock as it last wrote it
   * @param current the lock now stored under the name, or {@code null} if none
   */
  default void onLost(LockInfo lost, LockInfo current) {}

  /**
   * A listener that records every takeover and force-unlock in a state's history, as a new
   * version whose audit entry names both holders (pass {@code state::save}: {@code
   * State.save(AuditEntry)} keeps the content and grows the serial). For example: operation {@code "force-unlock
   * deploy-lock (held by alice@build-7 (pid 42 on build-7) for deploy, since …)"}, operator the
   * one who forced it.
   *
   * <p>The caller keeps ownership of the state; the listener never closes it. A failed write is
   * logged by the provider and does not undo the lock event.
   *
   * @param history what records an audit entry, usually {@code state::save}
   * @return a new listener
   * @throws NullPointerException if {@code history} is null
   */
  static LockListener recordingTo(Consumer<AuditEntry> history) {
    Objects.requireNonNull(history, "history");
    return new LockListener() {
      @Override
      public void onTakeover(LockInfo previous, LockInfo next) {
        history.accept(
            new AuditEntry(
                next.operator(),
                "take over stale lock " + previous.name() + " (held by " + previous.describe() + ")",
                "lease expired at " + previous.expiresAt() + "; new lock id " + next.id()));
      }

      @Override
      public void onForceUnlock(LockInfo removed, String by) {
        history.accept(
            new AuditEntry(
                by, "force-unlock " + removed.name() + " (held by " + removed.describe() + ")", ""));
      }
    };
  }

  /**
   * A listener that calls this one, then another.
   *
   * @param other the listener to call second
   * @return a combined listener
   */
  default LockListener andThen(LockListener other) {
    Objects.requireNonNull(other, "other");
    LockListener first = this;
    return new LockListener() {
      @Override
      public void onAcquire(LockInfo acquired) {
        first.onAcquire(acquired);
        other.onAcquire(acquired);
      }

      @Override
      public void onTakeover(LockInfo previous, LockInfo next) {
        first.onTakeover(previous, next);
        other.onTakeover(previous, next);
      }

      @Override
      public void onForceUnlock(LockInfo removed, String by) {
        first.onForceUnlock(removed, by);
        other.onForceUnlock(removed, by);
      }

      @Override
      public void onRelease(LockInfo released) {
        first.onRelease(released);
        other.onRelease(released);
      }

      @Override
      public void onLost(LockInfo lost, LockInfo current) {
        first.onLost(lost, current);
        other.onLost(lost, current);
      }
    };
  }
}
