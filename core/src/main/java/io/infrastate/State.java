package io.infrastate;

import io.infrastate.internal.StructuralRules;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.lock.LockTimeoutException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.Change;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteLeases;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handle to one infrastructure state: hosts, resources and metadata, stored in a {@link
 * Backend} (a file, a Git repository, an S3 bucket). The Java counterpart of Go-FTL2's {@code
 * State}, with the guarantees Go lacks.
 *
 * <pre>{@code
 * try (State state = State.open("state.json")) {
 *   state.addHost(HostState.builder("web01").address("10.0.0.5").port(22).user("deploy").build());
 *   state.update(AuditEntry.of("provision db tier"), tx -> {
 *     tx.addHost(HostState.builder("db01").address("10.0.0.9").build());
 *     tx.addResource("linode:42", ResourceState.builder("linode", "42").name("db01").build());
 *   });
 *   System.out.println(state.getHost("web01").orElseThrow().address());
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 *
 * <ol>
 *   <li><b>Reads never block</b> and see immutable {@link Snapshot}s: every getter reads the
 *       snapshot current when it is called; a snapshot never changes.
 *   <li><b>Persist, then publish.</b> A write is applied to a copy, persisted, and only then made
 *       visible. If persisting fails, the in-memory state is unchanged and the caller gets the
 *       error.
 *   <li><b>Write-through.</b> {@link #addHost}, {@link #removeHost}, {@link #addResource} and
 *       {@link #removeResource} persist immediately; {@link #update} makes many changes in one
 *       durable write.
 *   <li><b>No lost updates.</b> Every write is a compare-and-swap against the stored version
 *       (serial and lineage). When another handle, process or machine wrote in between, the change
 *       is re-applied to the fresh version.
 *   <li><b>Every writer finishes.</b> Contention slows a writer down; it does not make it fail.
 *       After a conflict, a backend that can serialize writers cheaply ({@link ExclusiveWrites}:
 *       the file backends, a local Git repository) holds its write lock across the reload, the
 *       re-application and the save, so the retry cannot conflict with another writer of the
 *       protocol. Other backends ({@link WriteLeases}: a Git remote, S3) back off for a random
 *       time that grows with the measured cost of a write and, after a second conflict, take the
 *       state's write lease (a lock with a short lease) so that conflicted writers take turns;
 *       for a while after meeting contention (32 writes' time) a handle takes the lease before
 *       its first attempt too. Worst case there: a writer holding the lease can still lose to
 *       writers that are not queued for it (handles that met no contention lately, or whose
 *       first attempts race it), at most once per write that another writer stores meanwhile;
 *       a writer that cannot get the lease within its wait (at least 30 s) goes on without it.
 *       {@link StateOptions#maxAttempts()} caps the attempts for callers who prefer to fail fast
 *       ({@link ConflictException}).
 *   <li><b>Stop on damage.</b> A stored state that is unparsable, empty, invalid, vanished, or of
 *       another lineage is never overwritten: writes fail with {@link CorruptStateException} or
 *       {@link LineageMismatchException}.
 *   <li><b>Validation</b> of structure on load and before each write, plus user {@link
 *       Validator}s.
 * </ol>
 *
 * <h2>Freshness</h2>
 *
 * Reads serve the latest version this handle has loaded or written; {@link #refresh()} picks up
 * what other processes wrote (cheaply: backends detect an unchanged state without parsing it).
 * Writes always start from, and are checked against, the latest stored version.
 *
 * <p>Instances are thread-safe. Writes through one handle are serialized; reads run concurrently
 * with them.
 */
public final class State implements AutoCloseable {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * `current` is a volatile reference to an immutable StoredState (snapshot + backend version
   * token). Readers dereference it once and never lock. Writers take `writeLock`, so that at most
   * one write per handle is in flight, and run the attempt loop:
   *
   *   base = current; tx = copy-on-write view of base.snapshot; fn(tx);
   *   next = tx.finish(metadata with serial + 1); validate(next);
   *   backend.save(expected = base.token, next)  -- compare-and-swap in the backend
   *     Saved    -> current = (next, newToken)     -- publish only after persisting
   *     Conflict -> current = reload (lineage checked), back off, try again
   *
   * Group commit (leader and followers, as in LevelDB's write queue): a writer enqueues its request
   * under the short `groupLock`. If no leader is committing, it becomes the leader: it drains the
   * queue (its own request included), releases `groupLock`, and commits every drained request as
   * one version (one durable write) under `writeLock`, each request applied against a savepoint of
   * the shared transaction so that one that throws is undone and fails alone, and a group whose
   * combined version breaks a rule is retried request by request. Otherwise it parks, without
   * `groupLock`, until its request is done or it is its turn to lead: a leader that has committed
   * its group unparks that group's callers one by one (each then sees from its own request that it
   * is done and returns without any lock: followers that had to retake `groupLock` would wake one
   * after another, each only once the previous one had run), and when it steps down with requests
   * still queued it gives the first of them the turn (under `groupLock`, so that exactly one
   * queued caller is woken to lead; it parks again if another writer took the lead first). Threads that
   * arrive while a write is in flight thus share the next write, which is what makes concurrent
   * durable writes scale. A leader whose previous group had several requests first gathers for a
   * few tens of microseconds (gather(): until as many are queued as the last group had, while
   * writers keep arriving, at most half the last commit time): the writers it just released would otherwise arrive a moment after the queue was
   * drained, and concurrent writers would settle into two alternating halves. While commits are
   * short (at most 500 us: the journal's append and sync), queued writers first yield the CPU for
   * up to twice the last commit's time before they park, and the gathering leader yields too:
   * the CPUs are idle during the sync anyway, and a writer that never parked needs no unpark (on 2
   * CPUs, parking and unparking the followers took a third of each group's cycle). A yield that
   * took 20 us (another thread got the CPU) ends the yielding, so busy CPUs are left to the
   * threads that have work; still, beside a thread that keeps a CPU busy, the writers yield the CPU
   * to it where parked writers would have been woken ahead of it (measured in RESULTS.md: more
   * reads, fewer writes; StateOptions.groupCommitYield(false) keeps them parking). A follower never
   * needs `writeLock` to learn that it is done: if it did, the finished followers would queue
   * behind the next group's durable write and groups would stay small. `commit` completes every
   * request it was given (with success or an error) before the leader steps down, so a leader's own
   * request is done after its group unless the group was cut at MAX_GROUP, in which case it leads
   * again. Every request still sees the latest version, every version is still a compare-and-swap,
   * and a caller returns only once its change is persisted (or has failed).
   * StateOptions.groupCommit(false) turns it off.
   *
   * Progress under contention (commitAttempts). The first attempt is optimistic. After a conflict
   * the leader takes the backend's exclusive section if it has one (ExclusiveWrites: the file
   * backends' sidecar lock, re-entrant for its holder, so the saves and loads inside it take it
   * again without waiting) and keeps it until the group is complete: catch up with what was
   * written meanwhile, re-apply, save; no other writer of the protocol can move the version in
   * between. Otherwise it backs off for a random time up to the measured cost of an attempt times
   * 2^attempt, and after its second conflict takes the write lease (WriteLeases) and retries at
   * once on every further conflict; while the handle met contention lately (a conflict, or the
   * lease found taken, within CONTENDED_ATTEMPTS attempts' time) it takes the lease before the
   * first attempt, so that writers under sustained contention queue instead of racing. Both are held only by the leader, under writeLock, for one
   * commitAttempts call (an inner call for a group split by a failed validation reuses them), and
   * released in its finally block, exceptions included. Lock order is always writeLock, then the
   * backend's lock: refresh() and the backends' loads take them in that order too, and a
   * follower never waits for either, so the group commit cannot deadlock with it. A failure to
   * release is logged: the write it ended is stored.
   *
   * An exception anywhere before `current` is assigned leaves `current` untouched, which is
   * "persist, then publish". A conflict publishes the reloaded version, which is a real stored
   * version, so readers never see an unpersisted state. Crash safety of the stored bytes is the
   * backend's part of the contract (atomic, durable save; damaged data never overwritten).
   *
   * Lineage: a state loaded from storage keeps the stored lineage; a version that has none (a
   * Go-FTL2 file) gets a fresh lineage on its first write. A state created on empty storage has a
   * lineage in memory only; if another writer creates the state first, this handle adopts theirs,
   * since it never persisted its own. After that, a reload that finds another lineage is a
   * replacement by a different state and stops all writes.
   */

  /**
   * Holds the logger, created on first use: a run that logs nothing never starts SLF4J (about 20 ms
   * of a command-line tool's first load, and its warning when no provider is installed).
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(State.class);
  }

  private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  /** Conflicts after which a writer on a {@link WriteLeases} backend takes the write lease. */
  private static final int LEASE_AFTER_CONFLICTS = 2;
  private static final Duration MIN_LEASE = Duration.ofSeconds(15);
  private static final Duration MAX_LEASE = Duration.ofMinutes(2);
  private static final Duration MIN_LEASE_WAIT = Duration.ofSeconds(30);
  private static final Duration MAX_LEASE_WAIT = Duration.ofMinutes(10);
  /** How many attempts' time a handle that met contention keeps taking the lease first. */
  private static final int CONTENDED_ATTEMPTS = 32;
  private static final long MIN_CONTENDED_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final Backend backend;
  private final boolean ownsBackend;
  private final StateOptions options;
  private static final int MAX_GROUP = 256;

  private final ReentrantLock writeLock = new ReentrantLock();
  private final ReentrantLock groupLock = new ReentrantLock();
  /** Requests waiting for a leader; guarded by groupLock. */
  private final ArrayDeque<Request<?>> pending = new ArrayDeque<>();
  /** Signalled when a request joins the queue, for a leader that gathers; with groupLock. */
  private final Condition arrived = groupLock.newCondition();
  /** Whether a leader is committing a group; guarded by groupLock. */
  private boolean leading;
  /** The size and commit time of the last group; guarded by groupLock. */
  private int lastGroupSize;
  private long lastCommitNanos;
  /** How long a queued writer yields before it parks: set by each leader, see awaitDoneOrTurn. */
  private volatile long spinNanos;
  private static final long GATHER_GAP_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
  private static final long GATHER_MAX_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
  /** Commits that take longer than this leave queued writers parked at once. */
  private static final long SPIN_COMMIT_MAX_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
  /**
   * A yield that takes this long gave the CPU to a thread with work to do: the yielding writer
   * (or gathering leader) then stops yielding and parks (or sleeps), as RocksDB's write thread
   * does after slow yields.
   */
  private static final long SLOW_YIELD_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
  private volatile StoredState current;
  private volatile boolean closed;
  /** The backend's write lock while the leader holds it after a conflict; guarded by writeLock. */
  private ExclusiveWrites.Section exclusive;
  /** The write lease while the leader holds it after repeated conflicts; guarded by writeLock. */
  private Lock lease;
  /** Created on the first lease; closed with this handle. */
  private volatile LockProvider leases;
  /** A moving average of how long an attempt took (apply, validate, save); guarded by writeLock. */
  private long attemptNanos;
  /**
   * Until when (System.nanoTime) writes take the write lease before their first attempt: set when
   * a write conflicted or found the lease taken, for CONTENDED_ATTEMPTS attempts' time; guarded
   * by writeLock.
   */
  private long contendedUntil;
  private boolean contended;

  private State(Backend backend, boolean ownsBackend, StateOptions options, StoredState initial) {
    this.backend = backend;
    this.ownsBackend = ownsBackend;
    this.options = options;
    this.current = initial;
  }

  /**
   * Loads the latest stored state, or starts a new empty one if nothing is stored (Go's {@code
   * Load}). Nothing is written until the first write. The caller keeps ownership of the backend:
   * closing the state does not close it.
   *
   * @param backend where the state is stored
   * @return a new handle
   * @throws CorruptStateException if the stored state is damaged
   * @throws UnsupportedFormatVersionException if it was written by a newer format
   * @throws BackendException if storage cannot be read
   */
  public static State load(Backend backend) {
    return load(backend, StateOptions.defaults());
  }

  /**
   * Loads the latest stored state with options; see {@link #load(Backend)}.
   *
   * @param backend where the state is stored
   * @param options clock, operator, retries, validators
   * @return a new handle
   */
  public static State load(Backend backend, StateOptions options) {
    return create(backend, false, options);
  }

  /**
   * Opens a state by URI, finding the backend through {@link java.util.ServiceLoader} ({@link
   * BackendRegistry#defaultRegistry()}): {@code file:///var/lib/infra/state.json}, a bare path
   * ({@code state.json}, meaning a file), {@code git+file://…}, {@code s3://…} — each scheme
   * available when its module is on the class path. The state owns the backend and closes it.
   *
   * @param uri a state URI or a file path
   * @return a new handle
   * @throws UnknownBackendException if no backend handles the URI's scheme
   */
  public static State open(String uri) {
    return open(uri, StateOptions.defaults());
  }

  /**
   * Opens a state by URI with options; see {@link #open(String)}.
   *
   * @param uri a state URI or a file path
   * @param options clock, operator, retries, validators
   * @return a new handle
   */
  public static State open(String uri, StateOptions options) {
    Backend backend = BackendRegistry.defaultRegistry().open(uri);
    try {
      return create(backend, true, options);
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  private static State create(Backend backend, boolean owns, StateOptions options) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(options, "options");
    StoredState initial = backend.load().orElseGet(() -> fresh(options.clock().instant()));
    return new State(backend, owns, options, initial);
  }

  private static StoredState fresh(Instant now) {
    Metadata m = new Metadata(Metadata.FORMAT_VERSION, 0, UUID.randomUUID().toString(), now, now);
    return new StoredState(Snapshot.empty(m), VersionToken.absent());
  }

  // ---------------------------------------------------------------- reads

  /**
   * The current version: immutable, safe to keep and share.
   *
   * @return the snapshot
   */
  public Snapshot snapshot() {
    return current.snapshot();
  }

  /**
   * The metadata of the current version.
   *
   * @return the metadata
   */
  public Metadata metadata() {
    return current.snapshot().metadata();
  }

  /**
   * A host by name.
   *
   * @param name the host name
   * @return the host, or empty
   */
  public Optional<HostState> getHost(String name) {
    return current.snapshot().getHost(name);
  }

  /**
   * Whether a host exists.
   *
   * @param name the host name
   * @return {@code true} if present
   */
  public boolean hasHost(String name) {
    return current.snapshot().hasHost(name);
  }

  /**
   * All hosts, in name order.
   *
   * @return an unmodifiable list
   */
  public List<HostState> allHosts() {
    return current.snapshot().allHosts();
  }

  /**
   * A resource by key.
   *
   * @param key the resource key
   * @return the resource, or empty
   */
  public Optional<ResourceState> getResource(String key) {
    return current.snapshot().getResource(key);
  }

  /**
   * Whether a resource exists.
   *
   * @param key the resource key
   * @return {@code true} if present
   */
  public boolean hasResource(String key) {
    return current.snapshot().hasResource(key);
  }

  /**
   * All resources by key, in key order.
   *
   * @return an unmodifiable map
   */
  public Map<String, ResourceState> allResources() {
    return current.snapshot().resources();
  }

  /**
   * The resources of one type, in key order (indexed; see {@link
   * Snapshot#getResourcesByType(String)}).
   *
   * @param type the resource type
   * @return an unmodifiable list
   */
  public List<ResourceState> getResourcesByType(String type) {
    return current.snapshot().getResourcesByType(type);
  }

  /**
   * The resources carrying a tag with a value, in key order.
   *
   * @param key the tag name
   * @param value the tag value
   * @return an unmodifiable list
   */
  public List<ResourceState> getResourcesByTag(String key, String value) {
    return current.snapshot().getResourcesByTag(key, value);
  }

  /**
   * The hosts of an inventory group, in name order.
   *
   * @param group the group name
   * @return an unmodifiable list
   */
  public List<HostState> getHostsByGroup(String group) {
    return current.snapshot().getHostsByGroup(group);
  }

  /**
   * Counts by resource type and by host group, for the current version.
   *
   * @return the summary
   */
  public Queries.Summary summary() {
    return current.snapshot().summary();
  }

  /**
   * Drift: the differences from the recorded state (the current version) to an observed one.
   *
   * @param observed what exists now, as a snapshot
   * @return the diff, empty if nothing drifted
   */
  public StateDiff diff(Snapshot observed) {
    return StateDiff.between(current.snapshot(), observed);
  }

  /**
   * A deterministic port for a resource (as seed 004's {@code get_hash_based_port}): the one it
   * already records in {@code field}, or a hash of its key in {@code base .. base + range - 1},
   * probing past ports other resources record. See {@link Allocator}.
   *
   * @param resourceKey the resource key, such as {@code service:hostomatic-prod-backend}
   * @param field the data field that holds ports, such as {@code port}
   * @param base the first port of the range
   * @param range how many ports the range has
   * @return the port
   */
  public int allocatePort(String resourceKey, String field, int base, int range) {
    return Allocator.port(current.snapshot(), resourceKey, field, base, range);
  }

  /**
   * Merges every host into an inventory, as Go's {@code MergeToInventory}: in name order, each
   * host goes into its group, or {@code all} when it has none.
   *
   * @param inventory the target, such as {@code io.infrastate.inventory.Inventory}
   * @throws IllegalArgumentException if the target refuses a host (the message names it)
   */
  public void mergeToInventory(InventoryTarget inventory) {
    Objects.requireNonNull(inventory, "inventory");
    for (HostState h : current.snapshot().hosts().values()) {
      try {
        inventory.addHost(h.group().isEmpty() ? "all" : h.group(), h);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("failed to add host " + h.name() + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Where the state is stored, for messages.
   *
   * @return the backend's location
   */
  public String location() {
    return backend.location();
  }

  // ---------------------------------------------------------------- writes

  /**
   * Adds or updates a host and persists it (write-through). A new host gets {@code createdAt =
   * updatedAt = now}; an existing one keeps {@code createdAt}. The audit operation defaults to
   * {@code "add host NAME"} or {@code "update host NAME"}.
   *
   * @param host the host
   * @return the host as stored, with timestamps
   * @throws InvalidStateException if the host breaks a rule (nothing is written)
   * @throws ConflictException if other writers kept winning
   * @throws CorruptStateException if the stored state is damaged
   * @throws BackendException if storage fails (the in-memory state is unchanged)
   */
  public HostState addHost(HostState host) {
    return addHost(host, AuditEntry.DEFAULT);
  }

  /**
   * Adds or updates a host with an audit entry; see {@link #addHost(HostState)}.
   *
   * @param host the host
   * @param audit who, what, why
   * @return the host as stored
   */
  public HostState addHost(HostState host, AuditEntry audit) {
    Objects.requireNonNull(host, "host");
    return write(audit, tx -> tx.addHost(host), false).result;
  }

  /**
   * Removes a host and persists the removal. Removing a host that does not exist writes nothing.
   *
   * @param name the host name
   * @return {@code true} if it existed
   */
  public boolean removeHost(String name) {
    return removeHost(name, AuditEntry.DEFAULT);
  }

  /**
   * Removes a host with an audit entry; see {@link #removeHost(String)}.
   *
   * @param name the host name
   * @param audit who, what, why
   * @return {@code true} if it existed
   */
  public boolean removeHost(String name, AuditEntry audit) {
    return write(audit, tx -> tx.removeHost(name), false).result;
  }

  /**
   * Adds or updates a resource under a key and persists it. An existing resource keeps its {@code
   * createdAt}; every other field is replaced.
   *
   * @param key the key, conventionally {@code type:id}
   * @param resource the resource
   * @return the resource as stored, with timestamps
   */
  public ResourceState addResource(String key, ResourceState resource) {
    return addResource(key, resource, AuditEntry.DEFAULT);
  }

  /**
   * Adds or updates a resource with an audit entry; see {@link #addResource(String,
   * ResourceState)}.
   *
   * @param key the key
   * @param resource the resource
   * @param audit who, what, why
   * @return the resource as stored
   */
  public ResourceState addResource(String key, ResourceState resource, AuditEntry audit) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(resource, "resource");
    return write(audit, tx -> tx.addResource(key, resource), false).result;
  }

  /**
   * Removes a resource and persists the removal. Removing one that does not exist writes nothing.
   *
   * @param key the key
   * @return {@code true} if it existed
   */
  public boolean removeResource(String key) {
    return removeResource(key, AuditEntry.DEFAULT);
  }

  /**
   * Removes a resource with an audit entry; see {@link #removeResource(String)}.
   *
   * @param key the key
   * @param audit who, what, why
   * @return {@code true} if it existed
   */
  public boolean removeResource(String key, AuditEntry audit) {
    return write(audit, tx -> tx.removeResource(key), false).result;
  }

  /**
   * Applies many changes as one atomic, durable write (one file write, one commit, one object).
   * The function receives a private view of the latest version; when it returns, everything it
   * changed is persisted as one new version, or nothing is. A function that changes nothing
   * writes nothing; one that throws writes nothing and its exception propagates.
   *
   * <p><b>The function may run more than once:</b> if another writer changed the stored state in
   * between, it is run again on the fresh version (up to {@link StateOptions#maxAttempts()}
   * times). Keep it free of side effects that cannot be repeated, and do not call this {@code
   * State} from it. With group commit ({@link StateOptions#groupCommit()}, on by default) it may
   * run on another caller's thread, together with other callers' functions in one version; a
   * function that throws is undone and fails alone.
   *
   * @param fn the changes
   * @return the version written (or the current one if nothing changed)
   * @throws InvalidStateException if the result breaks a rule (nothing is written)
   * @throws ConflictException if other writers kept winning
   * @throws CorruptStateException if the stored state is damaged
   * @throws BackendException if storage fails (the in-memory state is unchanged)
   */
  public Snapshot update(Consumer<Transaction> fn) {
    return update(AuditEntry.DEFAULT, fn);
  }

  /**
   * Applies many changes as one write, with an audit entry; see {@link #update(Consumer)}.
   *
   * @param audit who, what, why; the operation defaults to a summary of the changes
   * @param fn the changes
   * @return the version written
   */
  public Snapshot update(AuditEntry audit, Consumer<Transaction> fn) {
    Objects.requireNonNull(fn, "fn");
    return write(audit, tx -> {
      fn.accept(tx);
      return null;
    }, false).snapshot;
  }

  /**
   * Applies many changes as one write made under a lock, as {@link #update(AuditEntry, Consumer)}
   * does, and fences it: the write records the lock's fencing token ({@link Lock#token()}) in the
   * new version's {@link Metadata#fences()}, and is refused if the stored state already records a
   * larger token for that lock (a later holder wrote) or the lock is no longer held by its id.
   * The token check is made on the very version the write replaces, so it is atomic with the
   * write; the held check asks the lock provider after {@code fn} ran, right before the save.
   *
   * <pre>{@code
   * try (Lock lock = locks.acquire("deploy", LockRequest.of("deploy api"), Duration.ofMinutes(5))) {
   *   // ... long work ...
   *   state.update(lock, AuditEntry.of("deploy api"), tx -> tx.addHost(web));
   * }
   * }</pre>
   *
   * @param lock the lock the write is made under, held by the caller
   * @param audit who, what, why; the operation defaults to a summary of the changes
   * @param fn the changes
   * @return the version written (or the current one if nothing changed)
   * @throws LockLostException if the lock no longer protects the write; nothing was written
   * @throws InvalidStateException if the result breaks a rule (nothing is written)
   * @throws ConflictException if other writers kept winning
   * @throws BackendException if storage (of the state or of the lock) fails
   */
  public Snapshot update(Lock lock, AuditEntry audit, Consumer<Transaction> fn) {
    Objects.requireNonNull(fn, "fn");
    Fencing fence = Fencing.of(lock, location());
    return write(audit, tx -> {
      fence.apply(tx, fn);
      return null;
    }, false).snapshot;
  }

  /**
   * Writes the current content as a new version, creating the stored state if there is none yet
   * (Go's {@code Save}). Since every other write persists immediately, this is needed only to
   * create an empty state or to record an explicit checkpoint in the history.
   *
   * @return the version written
   */
  public Snapshot save() {
    return save(AuditEntry.DEFAULT);
  }

  /**
   * Writes the current content as a new version with an audit entry; see {@link #save()}.
   *
   * @param audit who, what, why; the operation defaults to {@code "save"}
   * @return the version written
   */
  public Snapshot save(AuditEntry audit) {
    return write(audit.operation().isEmpty() ? audit.withOperation("save") : audit, tx -> null, true).snapshot;
  }

  /**
   * Picks up what other handles, processes or machines wrote since this handle last loaded or
   * wrote. Cheap when nothing changed: backends recognise an unchanged state without parsing it.
   *
   * @return the current snapshot after refreshing
   * @throws CorruptStateException if the stored state is now damaged or vanished
   * @throws LineageMismatchException if it was replaced by a different state
   */
  public Snapshot refresh() {
    writeLock.lock();
    try {
      checkOpen();
      StoredState base = current;
      if (!base.token().exists()) {
        backend.load().ifPresent(fresh -> current = fresh);
      } else {
        backend.loadIfChanged(base.token()).ifPresent(fresh -> current = checkLineage(base, fresh));
      }
      return current.snapshot();
    } finally {
      writeLock.unlock();
    }
  }

  // ---------------------------------------------------------------- history

  /**
   * The stored versions, newest first, as far as the backend keeps them.
   *
   * @return the history; for a state never written, empty
   * @throws StateException if the backend keeps no history
   */
  public List<VersionInfo> history() {
    return history(Integer.MAX_VALUE);
  }

  /**
   * The newest stored versions, newest first.
   *
   * @param limit the most entries to return
   * @return up to {@code limit} entries
   * @throws StateException if the backend keeps no history
   */
  public List<VersionInfo> history(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    return historyBackend().history(limit);
  }

  /**
   * An earlier version.
   *
   * @param serial the version's serial
   * @return its snapshot, or empty if the backend no longer keeps it
   * @throws StateException if the backend keeps no history
   */
  public Optional<Snapshot> at(long serial) {
    return historyBackend().at(serial).map(StoredState::snapshot);
  }

  /**
   * Writes the content of an earlier version as a new version (history is never rewritten). The
   * audit operation defaults to {@code "rollback to version N"}.
   *
   * @param serial the version to return to
   * @param audit who, what, why
   * @return the new version
   * @throws StateException if the version is not kept, or belongs to another lineage
   */
  public Snapshot rollback(long serial, AuditEntry audit) {
    return rollback(serial, audit, null);
  }

  /**
   * Rolls back as {@link #rollback(long, AuditEntry)} does, as a write made under a lock and
   * fenced as {@link #update(Lock, AuditEntry, Consumer)} fences it.
   *
   * @param lock the lock the write is made under, held by the caller
   * @param serial the version to return to
   * @param audit who, what, why
   * @return the new version
   * @throws LockLostException if the lock no longer protects the write; nothing was written
   * @throws StateException if the version is not in the history
   */
  public Snapshot rollback(Lock lock, long serial, AuditEntry audit) {
    return rollback(serial, audit, Fencing.of(lock, location()));
  }

  private Snapshot rollback(long serial, AuditEntry audit, Fencing fence) {
    Snapshot old =
        at(serial)
            .orElseThrow(
                () ->
                    new StateException(
                        "Version " + serial + " of " + location() + " is not in its history;"
                            + " see history() for the versions kept."));
    String lineage = metadata().lineage();
    if (old.metadata().hasLineage() && !old.metadata().lineage().equals(lineage)) {
      throw new LineageMismatchException(location(), lineage, old.metadata().lineage());
    }
    AuditEntry a = audit.operation().isEmpty() ? audit.withOperation("rollback to version " + serial) : audit;
    return replace(old, a, fence);
  }

  /**
   * Replaces the whole content (hosts and resources) with that of another snapshot, as one new
   * version of this state; its metadata (serial, lineage) stays this state's. For imports and
   * {@code state push}.
   *
   * @param content the hosts and resources to store
   * @param audit who, what, why; the operation defaults to {@code "replace content"}
   * @return the new version
   */
  public Snapshot replace(Snapshot content, AuditEntry audit) {
    return replace(content, audit, null);
  }

  private Snapshot replace(Snapshot content, AuditEntry audit, Fencing fence) {
    Objects.requireNonNull(content, "content");
    AuditEntry a = audit.operation().isEmpty() ? audit.withOperation("replace content") : audit;
    return write(a, tx -> {
      if (fence == null) {
        tx.replaceAll(content);
      } else {
        fence.apply(tx, t -> tx.replaceAll(content));
      }
      return null;
    }, true).snapshot;
  }

  private HistoryBackend historyBackend() {
    if (backend instanceof HistoryBackend h) {
      return h;
    }
    throw new StateException(
        "The backend for " + location() + " keeps no history; use a backend that implements"
            + " HistoryBackend (file, git, s3, memory).");
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Closes the handle; if it opened its backend ({@link #open(String)}), closes that too. Reads
   * keep serving the last snapshot; writes fail afterwards. Closing twice is harmless.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    LockProvider l = leases;
    if (l != null) {
      l.close();
    }
    if (ownsBackend) {
      backend.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("State for " + location() + " is closed");
    }
  }

  // ---------------------------------------------------------------- the write path

  /** What a write produced: the function's result and the version now current. */
  private static final class Outcome<R> {
    final R result;
    final Snapshot snapshot;

    Outcome(R result, Snapshot snapshot) {
      this.result = result;
      this.snapshot = snapshot;
    }
  }

  /** One caller's write, waiting in the group-commit queue until a leader completes it. */
  private static final class Request<R> {
    final AuditEntry audit;
    final Function<StateTransaction, R> fn;
    final boolean force;
    R result;
    int from;
    int to;
    Snapshot snapshot;
    Throwable error;
    volatile boolean done;
    /** Set (under groupLock) when the queue has no leader and this request is first in it. */
    volatile boolean turn;
    /** The caller's thread, which parks until the request is done or its turn to lead comes. */
    final Thread waiter = Thread.currentThread();

    Request(AuditEntry audit, Function<StateTransaction, R> fn, boolean force) {
      this.audit = audit;
      this.fn = fn;
      this.force = force;
    }

    void apply(StateTransaction tx) {
      from = tx.mark();
      result = fn.apply(tx);
      to = tx.mark();
    }

    void succeed(Snapshot s) {
      snapshot = s;
      done = true;
    }

    void fail(Throwable t) {
      error = t;
      done = true;
    }

    Outcome<R> outcome() {
      if (error instanceof RuntimeException e) {
        throw e;
      }
      if (error instanceof Error e) {
        throw e;
      }
      if (error != null) {
        throw new StateException("write failed: " + error, error);
      }
      return new Outcome<>(result, snapshot);
    }
  }

  private <R> Outcome<R> write(AuditEntry audit, Function<StateTransaction, R> fn, boolean force) {
    Objects.requireNonNull(audit, "audit");
    if (writeLock.isHeldByCurrentThread()) {
      throw new IllegalStateException(
          "A write to " + location() + " was started from inside another write's function (or a"
              + " validator); make the change through the transaction that function was given.");
    }
    Request<R> request = new Request<>(audit, fn, force);
    if (!options.groupCommit()) {
      commitGroup(List.of(request));
      return request.outcome();
    }
    groupLock.lock();
    pending.add(request);
    arrived.signal();
    while (true) {
      // groupLock is held here
      if (leading) {
        groupLock.unlock();
        awaitDoneOrTurn(request);
        if (request.done) {
          return request.outcome();
        }
        groupLock.lock();
        request.turn = false;
        continue;
      }
      leading = true;
      List<Request<?>> batch;
      try {
        if (lastGroupSize > 1) {
          gather();
        }
        batch = new ArrayList<>(Math.min(pending.size(), MAX_GROUP));
        for (Request<?> r; batch.size() < MAX_GROUP && (r = pending.poll()) != null; ) {
          batch.add(r);
        }
      } finally {
        groupLock.unlock();
      }
      long started = System.nanoTime();
      boolean completed = false;
      try {
        commitGroup(batch);
        completed = true;
      } finally {
        long took = System.nanoTime() - started;
        // Each follower learns from its own request that it is done: woken here, it returns
        // without taking groupLock (followers that had to take it in turn woke one after another).
        for (Request<?> r : batch) {
          if (r != request) {
            LockSupport.unpark(r.waiter);
          }
        }
        groupLock.lock();
        lastGroupSize = batch.size();
        lastCommitNanos = took;
        spinNanos = options.groupCommitYield() && took <= SPIN_COMMIT_MAX_NANOS ? 2 * took : 0;
        leading = false;
        if (request.done || !completed) {
          Request<?> next = pending.peek();
          if (next != null) {
            next.turn = true;
            LockSupport.unpark(next.waiter);
          }
          groupLock.unlock();
        }
        // else this leader's own request was cut from its group: it leads again, groupLock held
      }
      if (request.done) {
        return request.outcome();
      }
    }
  }

  /**
   * How long a writer that queues now would yield before it parks (0: it parks at once); for tests
   * of {@link StateOptions#groupCommitYield()}.
   */
  long queuedWriterYieldNanos() {
    return spinNanos;
  }

  /**
   * Waits until the caller's queued request is done or it is its turn to lead: when the last
   * group's commit was short (at most SPIN_COMMIT_MAX_NANOS), first by yielding the CPU for up to
   * twice its time, then by parking. A commit that short is mostly a sync during which the CPUs
   * are idle; a writer that yields meanwhile sees its request done without being unparked, and a
   * leader need not unpark it: on 2 CPUs, unparking 7 writers and gathering them again took about a
   * third of each cycle of 8 journal writers (see benchmarks/RESULTS.md). A yielding writer gives
   * the CPU to any other thread that wants it; it stops yielding after that bound, or as soon as
   * one yield took SLOW_YIELD_NANOS (another thread ran meanwhile: the CPU is wanted).
   */
  private void awaitDoneOrTurn(Request<?> request) {
    long spin = spinNanos;
    if (spin > 0) {
      long now = System.nanoTime();
      long end = now + spin;
      while (!request.done && !request.turn && now - end < 0) {
        Thread.yield();
        long after = System.nanoTime();
        if (after - now >= SLOW_YIELD_NANOS) {
          break; // another thread wants this CPU
        }
        now = after;
      }
    }
    boolean interrupted = false;
    while (!request.done && !request.turn) {
      LockSupport.park(this);
      interrupted |= Thread.interrupted();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Lets the writers of the group just persisted join the next one (the caller holds groupLock
   * and leads). They were released only when that group's write ended, so without this short wait
   * they would reach the queue just after the new leader drained it, and the writers would split
   * into two alternating halves, each group half their number. Waits until as many requests are
   * queued as the last group had (waiting longer for one more would add a whole gap to every
   * cycle: measured with 8 writers in journal mode, stopping there took the rate from about 12,600
   * to about 17,000-20,000 durable writes/s, still 7.9 writes per commit), while writers keep
   * arriving at most GATHER_GAP_NANOS apart, and in all at most half the last group's commit time
   * (and GATHER_MAX_NANOS); only after a group of several, so a lone writer never waits. After a
   * short commit (queued writers yield rather than park, see awaitDoneOrTurn) it waits by
   * yielding the CPU with groupLock released, so that no arrival has to wake it (a condition
   * signalled per arrival woke it up to 7 times per group); after a long one, or once a yield took
   * SLOW_YIELD_NANOS, it sleeps on that condition (yielding there gathered fewer writes per commit
   * in whole-file mode: 7.4-7.6 against 7.6-7.9 with 8 writers at 1k).
   */
  private void gather() {
    long started = System.nanoTime();
    long deadline = started + Math.min(lastCommitNanos / 2, GATHER_MAX_NANOS);
    long gapEnd = started + GATHER_GAP_NANOS;
    boolean yielding = spinNanos > 0;
    int want = Math.min(lastGroupSize, MAX_GROUP);
    int seen = pending.size();
    while (seen < want) {
      long now = System.nanoTime();
      long left = Math.min(deadline - now, gapEnd - now);
      if (left <= 0) {
        return;
      }
      if (yielding) {
        groupLock.unlock();
        try {
          Thread.yield();
        } finally {
          groupLock.lock();
        }
        if (System.nanoTime() - now >= SLOW_YIELD_NANOS) {
          yielding = false; // another thread wants this CPU: sleep on the condition instead
        }
      } else {
        try {
          arrived.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      int queued = pending.size();
      if (queued != seen) {
        seen = queued;
        gapEnd = System.nanoTime() + GATHER_GAP_NANOS;
      }
    }
  }

  /**
   * Commits one group under {@code writeLock}; completes every request of it (when this State is
   * closed, with that error).
   */
  private void commitGroup(List<Request<?>> batch) {
    writeLock.lock();
    try {
      if (closed) {
        IllegalStateException e = new IllegalStateException("State for " + location() + " is closed");
        batch.forEach(r -> r.fail(e));
      } else {
        commit(batch);
      }
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Commits a group of requests as one version (the caller holds {@code writeLock}). Each request
   * runs against a savepoint, so one that throws is undone and fails alone; if the combined version
   * breaks a rule, every request is retried on its own so that one bad change vetoes only itself.
   * Completes every request of the group, successfully or with its error.
   */
  private void commit(List<Request<?>> batch) {
    try {
      commitAttempts(batch);
    } catch (RuntimeException | Error e) {
      for (Request<?> r : batch) {
        if (!r.done) {
          r.fail(e);
        }
      }
    }
  }

  /**
   * Runs the attempt loop for a group (the caller holds {@code writeLock}); takes the backend's
   * exclusive section or the write lease when the group keeps conflicting, and releases what it
   * took on every path. An inner call (a group split after a failed validation) reuses what its
   * caller holds.
   */
  private void commitAttempts(List<Request<?>> batch) {
    boolean tookSection = false;
    boolean tookLease = false;
    try {
      int maxAttempts = options.maxAttempts();
      String writeId = SaveRequest.newWriteId(); // one per write: backends record it to resolve lost replies
      if (lease == null && contended && System.nanoTime() - contendedUntil < 0 && backend instanceof WriteLeases w) {
        // Writers met contention a moment ago: queue for the lease now rather than lose a race first.
        lease = takeLease(w);
        if (lease != null) {
          tookLease = true;
          catchUp();
        }
      }
      for (int attempt = 1; ; attempt++) {
        if (attempt(batch, attempt, maxAttempts, writeId)) {
          return;
        }
        markContended();
        if (exclusive == null && backend instanceof ExclusiveWrites x) {
          Optional<ExclusiveWrites.Section> section = x.exclusive();
          if (section.isPresent()) {
            exclusive = section.get();
            tookSection = true;
            catchUp();
            continue;
          }
        }
        if (exclusive != null) {
          continue; // a writer outside the protocol moved it; the conflict brought its version
        }
        if (lease == null && attempt >= LEASE_AFTER_CONFLICTS && backend instanceof WriteLeases w) {
          lease = takeLease(w);
          if (lease != null) {
            tookLease = true;
            catchUp();
            continue;
          }
        }
        if (lease == null) {
          backoff(attempt);
        }
      }
    } finally {
      if (tookSection) {
        ExclusiveWrites.Section s = exclusive;
        exclusive = null;
        release(s::close, "the write lock of");
      }
      if (tookLease) {
        Lock l = lease;
        lease = null;
        release(l::close, "the write lease of");
      }
    }
  }

  private void release(Runnable close, String what) {
    try {
      close.run();
    } catch (RuntimeException e) {
      Log.LOG.warn("Could not release {} {}; the writes made under it are stored: {}", what, location(), e.toString());
    }
  }

  private void markContended() {
    contended = true;
    contendedUntil = System.nanoTime() + Math.max(MIN_CONTENDED_NANOS, CONTENDED_ATTEMPTS * attemptNanos);
  }

  /** After taking the exclusive section or the lease: picks up what was written since the conflict. */
  private void catchUp() {
    StoredState base = current;
    Optional<StoredState> fresh = base.token().exists() ? backend.loadIfChanged(base.token()) : backend.load();
    if (fresh.isPresent()) {
      current = checkLineage(base, fresh.get());
    }
  }

  /**
   * Takes the write lease through the backend's lock provider, with a lease and a wait scaled to
   * the measured cost of an attempt; null if it could not be had (the writer goes on without it).
   */
  private Lock takeLease(WriteLeases w) {
    long cost = Math.max(attemptNanos, TimeUnit.MILLISECONDS.toNanos(1));
    Duration leaseFor = clamp(Duration.ofNanos(cost).multipliedBy(20), MIN_LEASE, MAX_LEASE);
    Duration wait = clamp(Duration.ofNanos(cost).multipliedBy(200), MIN_LEASE_WAIT, MAX_LEASE_WAIT);
    try {
      LockProvider provider = leases;
      if (provider == null) {
        Duration poll = Duration.ofNanos(Math.max(cost / 2, TimeUnit.MILLISECONDS.toNanos(1)));
        provider = w.writeLeases(LockOptions.builder().operator(options.operator()).pollInterval(poll, poll.multipliedBy(4)).build());
        leases = provider;
        if (closed) {
          provider.close();
        }
      }
      LockRequest request = LockRequest.builder().operation("write to " + location() + " (writers take turns)").lease(leaseFor).build();
      Optional<Lock> free = provider.tryAcquire(WriteLeases.LEASE_NAME, request);
      if (free.isPresent()) {
        return free.get();
      }
      markContended(); // another writer holds it: contention goes on
      return provider.acquire(WriteLeases.LEASE_NAME, request, wait);
    } catch (LockTimeoutException e) {
      Log.LOG.info("Writing {} without the write lease, which other writers held all along: {}", location(), e.getMessage());
      return null;
    } catch (RuntimeException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw e;
      }
      Log.LOG.warn("Could not take the write lease of {}; retrying without it: {}", location(), e.toString());
      return null;
    }
  }

  private static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }

  /**
   * One attempt: applies the group to the current version, validates and saves it. Returns true
   * when the group is complete (stored, unchanged, or every request failed), false after a
   * conflict (then {@code current} holds the version that won).
   *
   * @throws ConflictException if this was the last attempt allowed
   */
  private boolean attempt(List<Request<?>> batch, int attempt, int maxAttempts, String writeId) {
    long started = System.nanoTime();
    StoredState base = current;
    Instant now = options.clock().instant();
    StateTransaction tx = new StateTransaction(base.snapshot(), now);
    List<Request<?>> applied = new ArrayList<>(batch.size());
    boolean force = false;
    for (Request<?> r : batch) {
      if (r.done) {
        continue;
      }
      int mark = tx.mark();
      tx.reopen();
      try {
        if (RetriedWrite.alreadyStored(backend, base, r.audit)) { // a retry after an unknown outcome
          r.succeed(base.snapshot());
          continue;
        }
        r.apply(tx);
        applied.add(r);
        force |= r.force;
      } catch (RuntimeException | Error e) {
        tx.rollbackTo(mark);
        r.fail(e);
      }
    }
    tx.close();
    if (applied.isEmpty()) {
      return true;
    }
    if (tx.changes().isEmpty() && !force) {
      applied.forEach(r -> r.succeed(base.snapshot()));
      return true;
    }
    Metadata bm = base.snapshot().metadata();
    if (bm.serial() == Long.MAX_VALUE) {
      InvalidStateException e = new InvalidStateException(location(), List.of(new Violation("$.metadata.serial",
          "is " + Long.MAX_VALUE + ", the largest serial, so no later version can be written; start a new state from a copy of this one")));
      applied.forEach(r -> r.fail(e));
      return true;
    }
    Metadata meta = bm.withSerial(bm.serial() + 1, now);
    if (!meta.hasLineage()) {
      meta = meta.withLineage(UUID.randomUUID().toString());
    }
    Snapshot next = tx.finish(meta);
    try {
      validate(tx, next);
    } catch (InvalidStateException e) {
      if (applied.size() == 1) {
        applied.get(0).fail(e);
      } else {
        for (Request<?> r : applied) {
          commitAttempts(List.of(r));
        }
      }
      return true;
    }
    AuditEntry resolved = resolve(applied, tx, base.snapshot());
    SaveResult saved = backend.save(new SaveRequest(base.token(), next, tx.changes(), resolved, writeId));
    long took = System.nanoTime() - started;
    attemptNanos = attemptNanos == 0 ? took : (3 * attemptNanos + took) / 4;
    if (saved instanceof SaveResult.Saved s) {
      current = new StoredState(next, s.token());
      applied.forEach(r -> r.succeed(next));
      return true;
    }
    SaveResult.Conflict conflict = (SaveResult.Conflict) saved;
    StoredState fresh = conflict.current().isPresent() ? conflict.current().get() : reload(base);
    current = checkLineage(base, fresh);
    if (attempt >= maxAttempts) {
      throw new ConflictException(
          "Could not write to "
              + location()
              + ": other writers changed it during each of "
              + attempt
              + " attempts ("
              + resolved.operation()
              + "). Nothing of this change was written; retry later, or raise"
              + " StateOptions.maxAttempts (" + maxAttempts + " here) if this contention is expected.",
          attempt);
    }
    Log.LOG.debug("Conflict writing {} at serial {} (attempt {}), retrying on serial {}",
        location(), bm.serial(), attempt, fresh.snapshot().metadata().serial());
    return false;
  }

  private StoredState reload(StoredState base) {
    Optional<StoredState> fresh = backend.load();
    if (fresh.isEmpty()) {
      if (base.token().exists()) {
        throw new CorruptStateException(
            location(),
            null,
            "State at " + location() + " has disappeared although version "
                + base.token().serial() + " was loaded from it; nothing was written. Restore it"
                + " from its backup or history.",
            null);
      }
      throw new BackendException(
          "Backend for " + location() + " reported a conflict but holds no state; this is a bug"
              + " in the backend.", null, false);
    }
    return fresh.get();
  }

  private StoredState checkLineage(StoredState base, StoredState fresh) {
    String had = base.snapshot().metadata().lineage();
    String found = fresh.snapshot().metadata().lineage();
    boolean persisted = base.token().exists();
    if (persisted && !had.isEmpty() && !had.equals(found)) {
      throw new LineageMismatchException(location(), had, found);
    }
    return fresh;
  }

  private void validate(StateTransaction tx, Snapshot next) {
    List<Violation> violations = new ArrayList<>();
    List<String> hostKeys = new ArrayList<>();
    List<String> resourceKeys = new ArrayList<>();
    tx.touched(hostKeys, resourceKeys);
    StructuralRules.checkMetadata(next.metadata(), violations);
    for (String k : hostKeys) {
      HostState h = next.hosts().get(k);
      if (h != null) {
        StructuralRules.checkHost(k, h, violations);
      }
    }
    for (String k : resourceKeys) {
      ResourceState r = next.resources().get(k);
      if (r != null) {
        StructuralRules.checkResource(k, r, violations);
      }
    }
    for (Validator v : options.validators()) {
      List<Violation> found = v.validate(next);
      if (found != null) {
        violations.addAll(found);
      }
    }
    if (!violations.isEmpty()) {
      throw new InvalidStateException(location(), violations);
    }
  }

  /**
   * The audit entry of a group: one request's entry with defaults filled in, or for several, the
   * distinct operators, operations and reasons joined (the history then shows every change).
   */
  private AuditEntry resolve(List<Request<?>> applied, StateTransaction tx, Snapshot base) {
    java.util.LinkedHashSet<String> operators = new java.util.LinkedHashSet<>();
    java.util.LinkedHashSet<String> operations = new java.util.LinkedHashSet<>();
    java.util.LinkedHashSet<String> reasons = new java.util.LinkedHashSet<>();
    for (Request<?> r : applied) {
      AuditEntry a = r.audit;
      operators.add(a.operator().isEmpty() ? options.operator() : a.operator());
      operations.add(a.operation().isEmpty() ? describe(tx.changesSince(r.from).subList(0, r.to - r.from), base) : a.operation());
      if (!a.reason().isEmpty()) {
        reasons.add(a.reason());
      }
    }
    return new AuditEntry(String.join(", ", operators), join(operations), String.join("; ", reasons), tx.locks());
  }

  private static String join(java.util.Collection<String> parts) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (String p : parts) {
      if (i == 3) {
        sb.append(" (+").append(parts.size() - 3).append(" more)");
        break;
      }
      if (i++ > 0) {
        sb.append("; ");
      }
      sb.append(p);
    }
    return sb.toString();
  }

  /**
   * The default operation for a list of changes: "add host web01", or for several, the first
   * three and a count ("add host a, add host b, remove resource c (+2 more)").
   */
  static String describe(List<Change> changes, Snapshot base) {
    if (changes.isEmpty()) {
      return "save";
    }
    StringBuilder sb = new StringBuilder();
    int shown = Math.min(3, changes.size());
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(describe(changes.get(i), base));
    }
    if (changes.size() > shown) {
      sb.append(" (+").append(changes.size() - shown).append(" more)");
    }
    return sb.toString();
  }

  private static String describe(Change c, Snapshot base) {
    if (c instanceof Change.PutHost p) {
      return (base.hasHost(p.host().name()) ? "update host " : "add host ") + p.host().name();
    } else if (c instanceof Change.RemoveHost r) {
      return "remove host " + r.name();
    } else if (c instanceof Change.PutResource p) {
      return (base.hasResource(p.key()) ? "update resource " : "add resource ") + p.key();
    } else if (c instanceof Change.RemoveResource r) {
      return "remove resource " + r.key();
    }
    return "replace content";
  }

  /**
   * Sleeps a random time (full jitter) up to {@code unit * 2^attempt}, where the unit is the
   * configured base or the measured cost of an attempt, whichever is longer: writers whose writes
   * take long (a push, a PUT) spread out over that time instead of colliding again at once. Capped
   * at 250 ms or eight attempts' cost.
   */
  private void backoff(int attempt) {
    long base = options.retryBackoff().toNanos();
    if (base <= 0) {
      return;
    }
    long unit = Math.max(base, attemptNanos);
    long cap = Math.min(Math.max(MAX_BACKOFF_NANOS, 8 * attemptNanos), unit << Math.min(attempt, 20));
    long nanos = ThreadLocalRandom.current().nextLong(cap + 1);
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateException("Interrupted while retrying a write to " + location(), e);
    }
  }
}
