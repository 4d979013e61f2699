package io.infrastate;

import io.infrastate.crypto.KeyParameter;
import io.infrastate.lock.Lock;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.ConflictException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.InventoryTarget;
import io.infrastate.model.LineageMismatchException;
import io.infrastate.model.LockLostException;
import io.infrastate.model.Metadata;
import io.infrastate.model.Queries;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateDiff;
import io.infrastate.model.StateException;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.model.UnsupportedFormatVersionException;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteLeases;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

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
 *       durable write, and {@link #compute} too, returning what its function computed.
 *   <li><b>No lost updates.</b> Every write is a compare-and-swap against the stored version
 *       (serial and lineage). When another handle, process or machine wrote in between, the change
 *       is re-applied to the fresh version.
 *   <li><b>Every writer finishes.</b> Contention slows a writer down; it does not make it fail.
 *       After a conflict, a backend that can serialize writers cheaply ({@link ExclusiveWrites}:
 *       the file backends, a local Git repository) holds its write lock across the reload, the
 *       re-application and the save, so the retry cannot conflict. Other backends ({@link
 *       WriteLeases}: a Git remote, S3) back off by the measured cost of a write and, after a
 *       second conflict, take turns on the state's write lease, which a handle keeps for up to 8
 *       writes; a Git remote also refuses saves made while another writer's lease is live. The
 *       worst cases are in docs/guarantees.md. {@link StateOptions#maxAttempts()} caps the
 *       attempts for callers who prefer to fail fast ({@link ConflictException}).
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
  // The write path (the attempt loop, persist-then-publish, its design notes) is StateWriter's.
  private final Backend backend;
  private final boolean ownsBackend;
  private final StateWriter writer;

  private State(Backend backend, boolean ownsBackend, StateOptions options, StoredState initial) {
    this.backend = backend;
    this.ownsBackend = ownsBackend;
    this.writer = new StateWriter(backend, options, initial);
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
   * @throws io.infrastate.model.MissingKeyException if the URI's {@code key} parameter ({@link
   *     KeyParameter}) names a passphrase that is not set
   */
  public static State open(String uri, StateOptions options) {
    KeyParameter.Split keyed = KeyParameter.split(Objects.requireNonNull(uri, "uri"), System::getenv);
    if (keyed == null) {
      return own(BackendRegistry.defaultRegistry().open(uri), options);
    }
    return own(keyed.keyring().protect(BackendRegistry.defaultRegistry().open(keyed.uri().toString())), options);
  }

  /** Loads a state that owns its backend: closing the state closes it, and so does a failed load. */
  static State own(Backend backend, StateOptions options) {
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
    Backend keyed = options.keyring().isPresent() ? options.keyring().get().protect(backend) : backend;
    StoredState initial = keyed.load().orElseGet(() -> fresh(options.clock().instant()));
    return new State(keyed, owns, options, initial);
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
    return writer.current().snapshot();
  }

  /**
   * The metadata of the current version.
   *
   * @return the metadata
   */
  public Metadata metadata() {
    return snapshot().metadata();
  }

  /**
   * A host by name.
   *
   * @param name the host name
   * @return the host, or empty
   */
  public Optional<HostState> getHost(String name) {
    return snapshot().getHost(name);
  }

  /**
   * Whether a host exists.
   *
   * @param name the host name
   * @return {@code true} if present
   */
  public boolean hasHost(String name) {
    return snapshot().hasHost(name);
  }

  /**
   * All hosts, in name order.
   *
   * @return an unmodifiable list
   */
  public List<HostState> allHosts() {
    return snapshot().allHosts();
  }

  /**
   * A resource by key.
   *
   * @param key the resource key
   * @return the resource, or empty
   */
  public Optional<ResourceState> getResource(String key) {
    return snapshot().getResource(key);
  }

  /**
   * Whether a resource exists.
   *
   * @param key the resource key
   * @return {@code true} if present
   */
  public boolean hasResource(String key) {
    return snapshot().hasResource(key);
  }

  /**
   * All resources by key, in key order.
   *
   * @return an unmodifiable map
   */
  public Map<String, ResourceState> allResources() {
    return snapshot().resources();
  }

  /**
   * The resources of one type, in key order (indexed; see {@link
   * Snapshot#getResourcesByType(String)}).
   *
   * @param type the resource type
   * @return an unmodifiable list
   */
  public List<ResourceState> getResourcesByType(String type) {
    return snapshot().getResourcesByType(type);
  }

  /**
   * The resources carrying a tag with a value, in key order.
   *
   * @param key the tag name
   * @param value the tag value
   * @return an unmodifiable list
   */
  public List<ResourceState> getResourcesByTag(String key, String value) {
    return snapshot().getResourcesByTag(key, value);
  }

  /**
   * The hosts of an inventory group, in name order.
   *
   * @param group the group name
   * @return an unmodifiable list
   */
  public List<HostState> getHostsByGroup(String group) {
    return snapshot().getHostsByGroup(group);
  }

  /**
   * Counts by resource type and by host group, for the current version.
   *
   * @return the summary
   */
  public Queries.Summary summary() {
    return snapshot().summary();
  }

  /**
   * Drift: the differences from the recorded state (the current version) to an observed one.
   *
   * @param observed what exists now, as a snapshot
   * @return the diff, empty if nothing drifted
   */
  public StateDiff diff(Snapshot observed) {
    return StateDiff.between(snapshot(), observed);
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
    return Allocator.port(snapshot(), resourceKey, field, base, range);
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
    for (HostState h : snapshot().hosts().values()) {
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

  /**
   * The change another tool made to the stored state (a jq script, a Go-FTL2 program, an SQL
   * {@code UPDATE}) that is not yet recorded as a version of its own: under the default {@link
   * ExternalEditPolicy#RECORD} the next write records it first; under {@link
   * ExternalEditPolicy#REFUSE} writes fail until it is accepted. Asks the stored state now (not
   * this handle's snapshot), reads only and writes nothing. See {@code docs/external-edits.md}.
   *
   * @return the pending edit with its difference, or empty if there is none or the backend does
   *     not tell external edits apart
   * @throws CorruptStateException if the stored data is damaged
   * @throws BackendException on storage failure
   */
  public Optional<ExternalEdit> pendingExternalEdit() {
    return backend instanceof io.infrastate.spi.ExternalEditBackend b ? b.externalEdit() : Optional.empty();
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
    return writer.write(audit, tx -> tx.addHost(host), false).result;
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
    return writer.write(audit, tx -> tx.removeHost(name), false).result;
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
    return writer.write(audit, tx -> tx.addResource(key, resource), false).result;
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
    return writer.write(audit, tx -> tx.removeResource(key), false).result;
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
    return writer.write(audit, tx -> {
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
    return writer.write(audit, tx -> {
      fence.apply(tx, fn);
      return null;
    }, false).snapshot;
  }

  /**
   * Applies many changes as one write, as {@link #update(Consumer)} does, and returns what the
   * function computed (an allocated port, a chosen name). It is named apart from {@code update}
   * so that a lambda is never ambiguous between the two. The function may run more than once
   * (see {@link #update(Consumer)}): the value returned is the one computed on the attempt that
   * completed the write, that is, on the version stored (or on the current one if nothing
   * changed).
   *
   * <pre>{@code
   * String name = state.compute(tx -> {
   *   int n = 1;
   *   while (tx.hasHost("web" + n)) {
   *     n++;
   *   }
   *   tx.addHost(HostState.builder("web" + n).build());
   *   return "web" + n;
   * });
   * }</pre>
   *
   * @param <R> the type of the result
   * @param fn the changes; what it returns is the result
   * @return what {@code fn} returned; {@code null} if the write was a retry found already stored
   *     ({@link AuditEntry#retrying}) before {@code fn} ran
   * @throws InvalidStateException if the result breaks a rule (nothing is written)
   * @throws ConflictException if other writers kept winning
   * @throws CorruptStateException if the stored state is damaged
   * @throws BackendException if storage fails (the in-memory state is unchanged)
   */
  public <R> R compute(Function<? super Transaction, ? extends R> fn) {
    return compute(AuditEntry.DEFAULT, fn);
  }

  /**
   * Applies many changes as one write, with an audit entry, and returns what the function
   * computed; see {@link #compute(Function)}.
   *
   * @param <R> the type of the result
   * @param audit who, what, why; the operation defaults to a summary of the changes
   * @param fn the changes; what it returns is the result
   * @return what {@code fn} returned
   * @throws InvalidStateException if the result breaks a rule (nothing is written)
   * @throws ConflictException if other writers kept winning
   * @throws BackendException if storage fails (the in-memory state is unchanged)
   */
  public <R> R compute(AuditEntry audit, Function<? super Transaction, ? extends R> fn) {
    Objects.requireNonNull(fn, "fn");
    return writer.<R>write(audit, tx -> fn.apply(tx), false).result;
  }

  /**
   * Applies many changes as one write made under a lock and fenced, as {@link #update(Lock,
   * AuditEntry, Consumer)} does, and returns what the function computed; see {@link
   * #compute(Function)}.
   *
   * @param <R> the type of the result
   * @param lock the lock the write is made under, held by the caller
   * @param audit who, what, why; the operation defaults to a summary of the changes
   * @param fn the changes; what it returns is the result
   * @return what {@code fn} returned
   * @throws LockLostException if the lock no longer protects the write; nothing was written
   * @throws InvalidStateException if the result breaks a rule (nothing is written)
   * @throws ConflictException if other writers kept winning
   * @throws BackendException if storage (of the state or of the lock) fails
   */
  public <R> R compute(Lock lock, AuditEntry audit, Function<? super Transaction, ? extends R> fn) {
    Objects.requireNonNull(fn, "fn");
    Fencing fence = Fencing.of(lock, location());
    return writer.<R>write(audit, tx -> {
      List<R> result = new ArrayList<>(1);
      fence.apply(tx, t -> result.add(fn.apply(t)));
      return result.get(0);
    }, false).result;
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
    return writer.write(audit.operation().isEmpty() ? audit.withOperation("save") : audit, tx -> null, true).snapshot;
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
    return writer.refresh();
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
    return writer.write(a, tx -> {
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
    if (writer.close() && ownsBackend) {
      backend.close();
    }
  }

  /**
   * Describes this handle for logs and messages: where the state is stored, the serial of the
   * current version and how many hosts and resources it holds. Never shows a value.
   *
   * @return such as {@code State[file:///srv/state.json, serial 12, 40 hosts, 3 resources]}
   */
  @Override
  public String toString() {
    Snapshot s = snapshot();
    return "State[" + location() + ", serial " + s.metadata().serial() + ", " + s.hosts().size() + " hosts, "
        + s.resources().size() + " resources" + (writer.closed() ? ", closed" : "") + "]";
  }
}
