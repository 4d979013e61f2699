package io.infrastate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One immutable version of a state: metadata, hosts by name and resources by key. Readers get
 * snapshots, never a live mutable object; a snapshot never changes after it was created, so it may
 * be shared freely between threads.
 *
 * <p>Maps iterate in key order (the order of state.json). {@link #getResourcesByType(String)} uses
 * an index built once per snapshot on first use, so its cost is proportional to the answer.
 *
 * <p>Instances are thread-safe.
 */
public final class Snapshot {
  private final Metadata metadata;
  private final NavigableMap<String, HostState> hosts;
  private final NavigableMap<String, ResourceState> resources;
  private volatile Map<String, List<ResourceState>> byType;

  private Snapshot(
      Metadata metadata,
      NavigableMap<String, HostState> hosts,
      NavigableMap<String, ResourceState> resources) {
    this.metadata = Objects.requireNonNull(metadata, "metadata");
    this.hosts = Collections.unmodifiableNavigableMap(hosts);
    this.resources = Collections.unmodifiableNavigableMap(resources);
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
    return new Snapshot(metadata, new TreeMap<>(hosts), new TreeMap<>(resources));
  }

  /**
   * An empty snapshot with the given metadata.
   *
   * @param metadata the metadata
   * @return a new snapshot without hosts or resources
   */
  public static Snapshot empty(Metadata metadata) {
    return new Snapshot(metadata, new TreeMap<>(), new TreeMap<>());
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
    return List.copyOf(hosts.values());
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
   * The resources of one type, in key order. Indexed: the first call on a snapshot builds the
   * index, later calls cost only the size of the answer.
   *
   * @param type the resource type
   * @return an unmodifiable list, empty if none
   */
  public List<ResourceState> getResourcesByType(String type) {
    Map<String, List<ResourceState>> index = byType;
    if (index == null) {
      HashMap<String, List<ResourceState>> built = new HashMap<>();
      for (ResourceState r : resources.values()) {
        built.computeIfAbsent(r.type(), t -> new ArrayList<>()).add(r);
      }
      built.replaceAll((t, l) -> List.copyOf(l));
      index = built;
      byType = index;
    }
    return index.getOrDefault(type, List.of());
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

  private Snapshot(
      Metadata metadata,
      NavigableMap<String, HostState> unmodifiableHosts,
      NavigableMap<String, ResourceState> unmodifiableResources,
      Map<String, List<ResourceState>> index) {
    this.metadata = metadata;
    this.hosts = unmodifiableHosts;
    this.resources = unmodifiableResources;
    this.byType = index;
  }

  /**
   * A new version derived from this one: maps passed as {@code null} are shared with this snapshot.
   *
   * @param newMetadata the metadata
   * @param newHosts the hosts, handed over, or {@code null} to share
   * @param newResources the resources, handed over, or {@code null} to share
   * @return a new snapshot
   */
  Snapshot derive(
      Metadata newMetadata,
      TreeMap<String, HostState> newHosts,
      TreeMap<String, ResourceState> newResources) {
    return new Snapshot(
        newMetadata,
        newHosts == null ? hosts : Collections.unmodifiableNavigableMap(newHosts),
        newResources == null ? resources : Collections.unmodifiableNavigableMap(newResources),
        newResources == null ? byType : null);
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
   * The hosts map for internal copy-on-write, without the unmodifiable wrapper's cost.
   *
   * @return the hosts
   */
  NavigableMap<String, HostState> hostMap() {
    return hosts;
  }

  /**
   * The resources map for internal copy-on-write.
   *
   * @return the resources
   */
  NavigableMap<String, ResourceState> resourceMap() {
    return resources;
  }
}
