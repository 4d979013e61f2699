package io.infrastate.memory;

import io.infrastate.lock.AbstractLockProvider;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRecord;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Locks held in this JVM's memory: for tests, and for applications whose every writer runs in one
 * process. Lock semantics (leases, takeover, holder-only release) are those of every {@link
 * io.infrastate.lock.LockProvider}; the locks vanish with the process.
 *
 * <p>Providers made by {@link #withOptions(LockOptions)} share one lock table, so that tests can
 * simulate several holders with different clocks, operators or listeners.
 *
 * <p>Instances are thread-safe.
 */
public final class InMemoryLockProvider extends AbstractLockProvider {
  /*
   * Design notes: the lock table is a ConcurrentHashMap from name to LockRecord whose version is a
   * fresh number per write; putIfAbsent, replace(key, old, new) and remove(key, old) are the three
   * atomic primitives AbstractLockProvider needs. Records compare by value (info and version), so
   * a replace or remove succeeds only on exactly the record read.
   */

  private final ConcurrentMap<String, LockRecord> table;
  private final AtomicLong versions;

  private InMemoryLockProvider(
      LockOptions options, ConcurrentMap<String, LockRecord> table, AtomicLong versions) {
    super(options);
    this.table = table;
    this.versions = versions;
  }

  /**
   * A provider with an empty lock table and the default options.
   *
   * @return a new provider
   */
  public static InMemoryLockProvider create() {
    return create(LockOptions.defaults());
  }

  /**
   * A provider with an empty lock table.
   *
   * @param options clock, operator, listener, poll intervals
   * @return a new provider
   */
  public static InMemoryLockProvider create(LockOptions options) {
    return new InMemoryLockProvider(options, new ConcurrentHashMap<>(), new AtomicLong());
  }

  /**
   * Another provider over the same lock table, with other options. Closing either does not affect
   * the table.
   *
   * @param options clock, operator, listener, poll intervals
   * @return a new provider sharing this one's locks
   */
  public InMemoryLockProvider withOptions(LockOptions options) {
    return new InMemoryLockProvider(options, table, versions);
  }

  @Override
  protected Optional<LockRecord> readLock(String name) {
    return Optional.ofNullable(table.get(name));
  }

  @Override
  protected List<LockRecord> readLocks() {
    return List.copyOf(table.values());
  }

  @Override
  protected boolean createLock(String name, LockInfo info) {
    return table.putIfAbsent(name, record(info)) == null;
  }

  @Override
  protected boolean replaceLock(String name, LockRecord expected, LockInfo next) {
    return table.replace(name, expected, record(next));
  }

  @Override
  protected boolean deleteLock(String name, LockRecord expected) {
    return table.remove(name, expected);
  }

  private LockRecord record(LockInfo info) {
    return new LockRecord(info, Long.toString(versions.incrementAndGet()));
  }

  @Override
  public String location() {
    return "memory";
  }
}
