package io.infrastate.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One immutable version of a state: metadata, hosts by name and resources by key. Readers get
 * snapshots, never a live mutable object; a snapshot never changes after it was created, so it may
 * be shared freely between threads.
 *
 * <p>Maps iterate in key order (the order of state.json). Versions share structure: a snapshot
 * derived by a write shares all but the changed paths of its persistent trees with its
 * predecessor, so a write costs O(changes × log n), not a copy of the state. {@link
 * #getResourcesByType(String)} reads a type index maintained the same way, so its cost is
 * proportional to the answer.
 *
 * <p>Instances are thread-safe.
 */
public final class Snapshot {
  private final Metadata metadata;
  private final PersistentMap<HostState> hosts;
  private final PersistentMap<ResourceState> resources;
  private final PersistentMap<PersistentMap<ResourceState>> byType;
  /**
   * The query indexes, built on first use. Two threads may both build them; either result is
   * equal and immutable (final fields), and the volatile write publishes it whole.
   */
  private volatile Queries queries;

  private Snapshot(
      Metadata metadata,
      PersistentMap<HostState> hosts,
      PersistentMap<ResourceState> resources,
      PersistentMap<PersistentMap<ResourceState>> byType) {
    this.metadata = Objects.requireNonNull(metadata, "metadata");
    this.hosts = hosts;
    this.resources = resources;
    this.byType = byType;
  }

  /**
   * Creates a snapshot, copying the maps.
   *
   * @param metadata the metadata
   * @param hosts hosts by name
   * @param resources resources by key
   * @return a new snapshot
   */
  public static Snapshot of(
      Metadata metadata, Map<String, HostState> hosts, Map<String, ResourceState> resources) {
    PersistentMap<ResourceState> r = PersistentMap.copyOf(resources);
    return new Snapshot(metadata, PersistentMap.copyOf(hosts), r, indexByType(r));
  }

  private static PersistentMap<PersistentMap<ResourceState>> indexByType(PersistentMap<ResourceState> resources) {
    // resources iterate in key order, so each type's entries arrive sorted: no sorting needed.
    // Loops, not lambdas: a lambda costs a fresh JVM its bootstrap, and every first load runs this.
    TreeMap<String, PersistentMap.Builder<ResourceState>> index = new TreeMap<>();
    for (Map.Entry<String, ResourceState> e : resources.entrySet()) {
      PersistentMap.Builder<ResourceState> ofType = index.get(e.getValue().type());
      if (ofType == null) {
        ofType = PersistentMap.builder();
        index.put(e.getValue().type(), ofType);
      }
      ofType.add(e.getKey(), e.getValue());
    }
    TreeMap<String, PersistentMap<ResourceState>> frozen = new TreeMap<>();
    for (Map.Entry<String, PersistentMap.Builder<ResourceState>> e : index.entrySet()) {
      frozen.put(e.getKey(), e.getValue().build());
    }
    return PersistentMap.copyOf(frozen);
  }

  /**
   * An empty snapshot with the given metadata.
   *
   * @param metadata the metadata
   * @return a new snapshot without hosts or resources
   */
  public static Snapshot empty(Metadata metadata) {
    return new Snapshot(metadata, PersistentMap.empty(), PersistentMap.empty(), PersistentMap.empty());
  }

  /**
   * The metadata.
   *
   * @return the metadata of this version
   */
  public Metadata metadata() {
    return metadata;
  }

  /**
   * The hosts by name, in name order.
   *
   * @return an unmodifiable map
   */
  public Map<String, HostState> hosts() {
    return hosts;
  }

  /**
   * The resources by key, in key order.
   *
   * @return an unmodifiable map
   */
  public Map<String, ResourceState> resources() {
    return resources;
  }

  /**
   * A host by name.
   *
   * @param name the host name
   * @return the host, or empty
   */
  public Optional<HostState> getHost(String name) {
    return Optional.ofNullable(hosts.get(name));
  }

  /**
   * Whether a host exists.
   *
   * @param name the host name
   * @return {@code true} if present
   */
  public boolean hasHost(String name) {
    return hosts.containsKey(name);
  }

  /**
   * All hosts in name order.
   *
   * @return an unmodifiable list
   */
  public List<HostState> allHosts() {
    return hosts.valueList();
  }

  /**
   * A resource by key.
   *
   * @param key the resource key
   * @return the resource, or empty
   */
  public Optional<ResourceState> getResource(String key) {
    return Optional.ofNullable(resources.get(key));
  }

  /**
   * Whether a resource exists.
   *
   * @param key the resource key
   * @return {@code true} if present
   */
  public boolean hasResource(String key) {
    return resources.containsKey(key);
  }

  /**
   * The resources of one type, in key order. Indexed: the cost is proportional to the answer, not
   * to the state.
   *
   * @param type the resource type
   * @return an unmodifiable list, empty if none
   */
  public List<ResourceState> getResourcesByType(String type) {
    PersistentMap<ResourceState> ofType = byType.get(type);
    return ofType == null ? List.of() : ofType.valueList();
  }

  /**
   * The resource types present, in order, with the resources of each by key.
   *
   * @return an unmodifiable map of type to (key to resource)
   */
  public Map<String, Map<String, ResourceState>> resourcesByType() {
    @SuppressWarnings({"unchecked", "rawtypes"})
    Map<String, Map<String, ResourceState>> view = (Map) byType;
    return view;
  }

  /**
   * The resources carrying a tag with a value, in key order (see {@link Queries}).
   *
   * @param key the tag name
   * @param value the tag value
   * @return an unmodifiable list
   */
  public List<ResourceState> getResourcesByTag(String key, String value) {
    return Queries.of(this).resourcesByTag(key, value);
  }

  /**
   * The hosts recorded in a group, in name order; hosts without a group are returned for the
   * empty group name ({@code mergeToInventory} places them in {@code all}).
   *
   * @param group the group name
   * @return an unmodifiable list
   */
  public List<HostState> getHostsByGroup(String group) {
    return Queries.of(this).hostsInGroup(group);
  }

  /**
   * Counts by resource type and by host group.
   *
   * @return the summary
   */
  public Queries.Summary summary() {
    return Queries.of(this).summary();
  }

  /**
   * The differences from this snapshot to another, field by field ({@code this} is the "before").
   *
   * @param other the "after" snapshot, such as the observed state for drift detection
   * @return the diff
   */
  public StateDiff diff(Snapshot other) {
    return StateDiff.between(this, other);
  }

  /**
   * Returns a copy with other metadata and the same hosts and resources.
   *
   * @param newMetadata the metadata
   * @return a new snapshot
   */
  public Snapshot withMetadata(Metadata newMetadata) {
    return new Snapshot(Objects.requireNonNull(newMetadata, "metadata"), hosts, resources, byType);
  }

  /**
   * A version derived from this one by a transaction; shares structure with it. For the write
   * engine; applications build snapshots through transactions.
   *
   * @param newMetadata the new version's metadata
   * @param newHosts its hosts by name
   * @param newResources its resources by key
   * @param newByType its resources by type, then key
   * @return the new version
   */
  @SuppressWarnings("exports") // the engine's and codecs' view, not API
  public Snapshot derive(
      Metadata newMetadata,
      PersistentMap<HostState> newHosts,
      PersistentMap<ResourceState> newResources,
      PersistentMap<PersistentMap<ResourceState>> newByType) {
    return new Snapshot(newMetadata, newHosts, newResources, newByType);
  }

  /** Content equality: metadata, hosts and resources. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Snapshot s
        && metadata.equals(s.metadata)
        && hosts.equals(s.hosts)
        && resources.equals(s.resources);
  }

  @Override
  public int hashCode() {
    return Objects.hash(metadata, hosts, resources);
  }

  @Override
  public String toString() {
    return "Snapshot[serial="
        + metadata.serial()
        + ", lineage="
        + metadata.lineage()
        + ", hosts="
        + hosts.size()
        + ", resources="
        + resources.size()
        + "]";
  }

  /**
   * The hosts by name, shared with derived versions. For the write engine and the codecs.
   *
   * @return the persistent map
   */
  @SuppressWarnings("exports") // the engine's and codecs' view, not API
  public PersistentMap<HostState> hostMap() {
    return hosts;
  }

  /**
   * The resources by key, shared with derived versions. For the write engine and the codecs.
   *
   * @return the persistent map
   */
  @SuppressWarnings("exports") // the engine's and codecs' view, not API
  public PersistentMap<ResourceState> resourceMap() {
    return resources;
  }

  /**
   * The resources by type, then key, shared with derived versions. For the write engine and the codecs.
   *
   * @return the persistent map
   */
  @SuppressWarnings("exports") // the engine's and codecs' view, not API
  public PersistentMap<PersistentMap<ResourceState>> typeIndex() {
    return byType;
  }

  /** The query indexes of this snapshot, built once on first use ({@link Queries#of}). */
  Queries queries() {
    Queries q = queries;
    if (q == null) {
      q = new Queries(this);
      queries = q;
    }
    return q;
  }
}
