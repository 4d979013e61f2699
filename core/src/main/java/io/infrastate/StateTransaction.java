package io.infrastate;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.PersistentMap;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.Change;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The transaction behind {@link State#update}: a working version over one base snapshot, built
 * from persistent maps so that each change costs O(log n) and shares everything else with the base.
 * It records the changes in order (for backends that persist changes rather than whole states) and
 * the map roots at each savepoint (which group commit uses to undo one caller's part). One
 * instance per attempt; never shared between threads.
 */
final class StateTransaction implements Transaction {
  private final Snapshot base;
  private final Instant now;
  private PersistentMap<HostState> hosts;
  private PersistentMap<ResourceState> resources;
  private PersistentMap<PersistentMap<ResourceState>> byType;
  private final List<Change> changes = new ArrayList<>();
  /** The roots at each savepoint, by its number of changes. */
  private final java.util.HashMap<Integer, Roots> savepoints = new java.util.HashMap<>();
  private boolean closed;
  /*
   * Puts change the maps' nodes in place under this token (PersistentMap.plus with an edit
   * token): a batch of N adds then allocates N nodes instead of N copied paths. Any nodes created
   * under it may change with the next put, so the token is retired (replaced by a new one)
   * whenever a map must stay as it is: at a savepoint, when allResources() hands the map out, and
   * when finish() builds the snapshot. The base's maps are never changed: their nodes were not
   * created under a token of this transaction.
   */
  private Object edit = new Object();

  /** Fencing tokens recorded by writes made under a lock (see Fencing), or null if none. */
  private Map<String, Long> fences;

  private record Roots(
      PersistentMap<HostState> hosts,
      PersistentMap<ResourceState> resources,
      PersistentMap<PersistentMap<ResourceState>> byType) {}

  StateTransaction(Snapshot base, Instant now) {
    this.base = base;
    this.now = now;
    this.hosts = base.hostMap();
    this.resources = base.resourceMap();
    this.byType = base.typeIndex();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the transaction is over; use it only inside the update function");
    }
  }

  private void record(Change change) {
    changes.add(change);
  }

  @Override
  public HostState addHost(HostState host) {
    checkOpen();
    Objects.requireNonNull(host, "host");
    HostState existing = hosts.get(host.name());
    HostState stored = host.withTimestamps(existing != null ? existing.createdAt() : now, now);
    hosts = hosts.plus(stored.name(), stored, edit);
    record(new Change.PutHost(stored));
    return stored;
  }

  @Override
  public Optional<HostState> getHost(String name) {
    checkOpen();
    return Optional.ofNullable(hosts.get(name));
  }

  @Override
  public boolean hasHost(String name) {
    checkOpen();
    return hosts.containsKey(name);
  }

  @Override
  public boolean removeHost(String name) {
    checkOpen();
    if (!hosts.containsKey(name)) {
      return false;
    }
    hosts = hosts.minus(name);
    record(new Change.RemoveHost(name));
    return true;
  }

  @Override
  public List<HostState> allHosts() {
    checkOpen();
    return hosts.valueList();
  }

  @Override
  public ResourceState addResource(String key, ResourceState resource) {
    checkOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(resource, "resource");
    ResourceState existing = resources.get(key);
    ResourceState stored = resource.withTimestamps(existing != null ? existing.createdAt() : now, now);
    if (existing != null) {
      unindex(key, existing);
    }
    resources = resources.plus(key, stored, edit);
    PersistentMap<ResourceState> ofType = byType.get(stored.type());
    byType = byType.plus(stored.type(), (ofType == null ? PersistentMap.<ResourceState>empty() : ofType).plus(key, stored, edit), edit);
    record(new Change.PutResource(key, stored));
    return stored;
  }

  private void unindex(String key, ResourceState existing) {
    PersistentMap<ResourceState> ofType = byType.get(existing.type()).minus(key);
    byType = ofType.isEmpty() ? byType.minus(existing.type()) : byType.plus(existing.type(), ofType);
  }

  @Override
  public Optional<ResourceState> getResource(String key) {
    checkOpen();
    return Optional.ofNullable(resources.get(key));
  }

  @Override
  public boolean hasResource(String key) {
    checkOpen();
    return resources.containsKey(key);
  }

  @Override
  public boolean removeResource(String key) {
    checkOpen();
    ResourceState existing = resources.get(key);
    if (existing == null) {
      return false;
    }
    resources = resources.minus(key);
    unindex(key, existing);
    record(new Change.RemoveResource(key));
    return true;
  }

  @Override
  public List<ResourceState> getResourcesByType(String type) {
    checkOpen();
    PersistentMap<ResourceState> ofType = byType.get(type);
    return ofType == null ? List.of() : ofType.valueList();
  }

  @Override
  public Map<String, ResourceState> allResources() {
    checkOpen();
    edit = new Object(); // the map handed out must not change with later puts
    return resources;
  }

  @Override
  public Metadata metadata() {
    checkOpen();
    return base.metadata();
  }

  /** Replaces the whole content (rollback, push). */
  void replaceAll(Snapshot content) {
    checkOpen();
    hosts = content.hostMap();
    resources = content.resourceMap();
    byType = content.typeIndex();
    record(new Change.ReplaceAll(content));
  }

  /** A savepoint: the number of changes so far. */
  int mark() {
    int mark = changes.size();
    savepoints.put(mark, new Roots(hosts, resources, byType));
    edit = new Object(); // the savepoint's maps must not change with later puts
    return mark;
  }

  /** Undoes every change made after a savepoint taken with {@link #mark()}. */
  void rollbackTo(int mark) {
    if (mark < changes.size()) {
      Roots r = savepoints.get(mark);
      if (r == null) {
        throw new IllegalStateException("no savepoint at " + mark + " changes");
      }
      hosts = r.hosts();
      resources = r.resources();
      byType = r.byType();
      changes.subList(mark, changes.size()).clear();
      savepoints.keySet().removeIf(k -> k > mark);
    }
  }

  /** The changes made after a savepoint. */
  List<Change> changesSince(int mark) {
    return changes.subList(mark, changes.size());
  }

  /** Re-opens the transaction for the next request of a group (see State's group commit). */
  void reopen() {
    closed = false;
  }

  List<Change> changes() {
    return changes;
  }

  /**
   * The fencing token the new version will record for a lock so far: the base version's, or a
   * larger one recorded by {@link #fence(String, long)}.
   */
  long fence(String lock) {
    long recorded = base.metadata().fence(lock);
    Long pending = fences == null ? null : fences.get(lock);
    return pending == null ? recorded : Math.max(recorded, pending);
  }

  /**
   * Records that a write of this transaction was made under a lock, and the lock's fencing token
   * in the version this transaction becomes (see Fencing); the caller checked that no larger
   * token is recorded.
   */
  void fence(String lock, long token) {
    if (fences == null) {
      fences = new java.util.TreeMap<>();
    }
    fences.merge(lock, token, Math::max);
  }

  /** The locks the writes of this transaction were made under, with their tokens. */
  Map<String, Long> locks() {
    return fences == null ? Map.of() : fences;
  }

  /** Ends the transaction and builds the new snapshot with the given metadata. */
  Snapshot finish(Metadata metadata) {
    closed = true;
    edit = new Object(); // the snapshot's maps must not change if the transaction is reopened
    if (fences != null) {
      for (Map.Entry<String, Long> f : fences.entrySet()) {
        if (f.getValue() > metadata.fence(f.getKey())) {
          metadata = metadata.withFence(f.getKey(), f.getValue());
        }
      }
    }
    return base.derive(metadata, hosts, resources, byType);
  }

  void close() {
    closed = true;
  }

  /** The keys of hosts and resources this transaction touched, for incremental validation. */
  void touched(List<String> hostKeys, List<String> resourceKeys) {
    for (Change c : changes) {
      if (c instanceof Change.PutHost p) {
        hostKeys.add(p.host().name());
      } else if (c instanceof Change.PutResource p) {
        resourceKeys.add(p.key());
      } else if (c instanceof Change.ReplaceAll) {
        hostKeys.addAll(hosts.keySet());
        resourceKeys.addAll(resources.keySet());
      }
    }
  }
}
