package io.infrastate;

import io.infrastate.spi.Change;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The transaction behind {@link State#update}: copy-on-write over one base snapshot (each map is
 * copied on its first change only), recording the changes in order for backends that persist
 * changes rather than whole states. One instance per attempt; never shared between threads.
 */
final class StateTransaction implements Transaction {
  private final Snapshot base;
  private final Instant now;
  private TreeMap<String, HostState> hosts;
  private TreeMap<String, ResourceState> resources;
  private final List<Change> changes = new ArrayList<>();
  /** One undo action per entry of {@code changes}, for savepoints (group commit). */
  private final List<Runnable> undo = new ArrayList<>();
  private boolean closed;

  StateTransaction(Snapshot base, Instant now) {
    this.base = base;
    this.now = now;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the transaction is over; use it only inside the update function");
    }
  }

  private Map<String, HostState> hostsView() {
    return hosts != null ? hosts : base.hostMap();
  }

  private Map<String, ResourceState> resourcesView() {
    return resources != null ? resources : base.resourceMap();
  }

  private TreeMap<String, HostState> mutableHosts() {
    if (hosts == null) {
      hosts = new TreeMap<>(base.hostMap());
    }
    return hosts;
  }

  private TreeMap<String, ResourceState> mutableResources() {
    if (resources == null) {
      resources = new TreeMap<>(base.resourceMap());
    }
    return resources;
  }

  @Override
  public HostState addHost(HostState host) {
    checkOpen();
    Objects.requireNonNull(host, "host");
    HostState existing = hostsView().get(host.name());
    HostState stored = host.withTimestamps(existing != null ? existing.createdAt() : now, now);
    TreeMap<String, HostState> m = mutableHosts();
    HostState previous = m.put(stored.name(), stored);
    record(new Change.PutHost(stored), () -> restore(m, stored.name(), previous));
    return stored;
  }

  @Override
  public Optional<HostState> getHost(String name) {
    checkOpen();
    return Optional.ofNullable(hostsView().get(name));
  }

  @Override
  public boolean hasHost(String name) {
    checkOpen();
    return hostsView().containsKey(name);
  }

  @Override
  public boolean removeHost(String name) {
    checkOpen();
    if (!hostsView().containsKey(name)) {
      return false;
    }
    TreeMap<String, HostState> m = mutableHosts();
    HostState previous = m.remove(name);
    record(new Change.RemoveHost(name), () -> restore(m, name, previous));
    return true;
  }

  @Override
  public List<HostState> allHosts() {
    checkOpen();
    return List.copyOf(hostsView().values());
  }

  @Override
  public ResourceState addResource(String key, ResourceState resource) {
    checkOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(resource, "resource");
    ResourceState existing = resourcesView().get(key);
    ResourceState stored = resource.withTimestamps(existing != null ? existing.createdAt() : now, now);
    TreeMap<String, ResourceState> m = mutableResources();
    ResourceState previous = m.put(key, stored);
    record(new Change.PutResource(key, stored), () -> restore(m, key, previous));
    return stored;
  }

  @Override
  public Optional<ResourceState> getResource(String key) {
    checkOpen();
    return Optional.ofNullable(resourcesView().get(key));
  }

  @Override
  public boolean hasResource(String key) {
    checkOpen();
    return resourcesView().containsKey(key);
  }

  @Override
  public boolean removeResource(String key) {
    checkOpen();
    if (!resourcesView().containsKey(key)) {
      return false;
    }
    TreeMap<String, ResourceState> m = mutableResources();
    ResourceState previous = m.remove(key);
    record(new Change.RemoveResource(key), () -> restore(m, key, previous));
    return true;
  }

  @Override
  public List<ResourceState> getResourcesByType(String type) {
    checkOpen();
    if (resources == null) {
      return base.getResourcesByType(type);
    }
    List<ResourceState> out = new ArrayList<>();
    for (ResourceState r : resources.values()) {
      if (r.type().equals(type)) {
        out.add(r);
      }
    }
    return List.copyOf(out);
  }

  @Override
  public Map<String, ResourceState> allResources() {
    checkOpen();
    return Collections.unmodifiableMap(resourcesView());
  }

  @Override
  public Metadata metadata() {
    checkOpen();
    return base.metadata();
  }

  /** Replaces the whole content (rollback, push). */
  void replaceAll(Snapshot content) {
    checkOpen();
    TreeMap<String, HostState> oldHosts = hosts;
    TreeMap<String, ResourceState> oldResources = resources;
    hosts = new TreeMap<>(content.hostMap());
    resources = new TreeMap<>(content.resourceMap());
    record(new Change.ReplaceAll(content), () -> {
      hosts = oldHosts;
      resources = oldResources;
    });
  }

  private void record(Change change, Runnable undoAction) {
    changes.add(change);
    undo.add(undoAction);
  }

  private static <V> void restore(TreeMap<String, V> map, String key, V previous) {
    if (previous == null) {
      map.remove(key);
    } else {
      map.put(key, previous);
    }
  }

  /** A savepoint: the number of changes so far. */
  int mark() {
    return changes.size();
  }

  /** Undoes every change made after a savepoint. */
  void rollbackTo(int mark) {
    for (int i = changes.size() - 1; i >= mark; i--) {
      undo.remove(i).run();
      changes.remove(i);
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

  Instant now() {
    return now;
  }

  /** Ends the transaction and builds the new snapshot with the given metadata. */
  Snapshot finish(Metadata metadata) {
    closed = true;
    return base.derive(metadata, hosts, resources);
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
        hostKeys.addAll(hostsView().keySet());
        resourceKeys.addAll(resourcesView().keySet());
      }
    }
  }
}
