package io.infrastate.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Indexed queries over one {@link Snapshot}: resources by type, by tag, hosts by group, and a
 * {@link Summary} of counts. The index is built once per snapshot, on the first {@link
 * #of(Snapshot)}, in one pass over it; every query after that costs the size of its answer, not
 * the size of the state.
 *
 * <pre>{@code
 * Queries q = Queries.of(state.snapshot());
 * List<ResourceState> prod = q.resourcesByTag("environment", "production");
 * List<HostState> web = q.hostsInGroup("webservers");
 * System.out.println(q.summary());
 * }</pre>
 *
 * <p>Indexes are built once per snapshot instance, on first use, and kept with it (an index lives
 * as long as its snapshot), so calling {@code Queries.of(snapshot)} repeatedly is cheap. Answers are unmodifiable
 * lists in key order (resource key, host name).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Queries {
  private final Map<String, List<ResourceState>> byType;
  private final Map<String, Map<String, List<ResourceState>>> byTag;
  private final Map<String, List<ResourceState>> withTag;
  private final Map<String, List<HostState>> byGroup;
  private final Summary summary;

  /** Builds the indexes of a snapshot; {@link Snapshot} keeps the result (see {@link #of}). */
  Queries(Snapshot s) {
    Map<String, List<ResourceState>> types = new HashMap<>();
    Map<String, Map<String, List<ResourceState>>> tags = new HashMap<>();
    Map<String, List<ResourceState>> tagged = new HashMap<>();
    for (ResourceState r : s.resources().values()) {
      types.computeIfAbsent(r.type(), t -> new ArrayList<>()).add(r);
      for (Map.Entry<String, String> t : r.tags().entrySet()) {
        tagged.computeIfAbsent(t.getKey(), k -> new ArrayList<>()).add(r);
        tags.computeIfAbsent(t.getKey(), k -> new HashMap<>())
            .computeIfAbsent(t.getValue(), v -> new ArrayList<>())
            .add(r);
      }
    }
    Map<String, List<HostState>> groups = new HashMap<>();
    for (HostState h : s.hosts().values()) {
      groups.computeIfAbsent(h.group(), g -> new ArrayList<>()).add(h);
    }
    types.replaceAll((k, l) -> List.copyOf(l));
    tags.replaceAll((k, byValue) -> {
      byValue.replaceAll((v, l) -> List.copyOf(l));
      return Collections.unmodifiableMap(byValue);
    });
    groups.replaceAll((k, l) -> List.copyOf(l));
    tagged.replaceAll((k, l) -> List.copyOf(l));
    this.withTag = tagged;
    this.byType = types;
    this.byTag = tags;
    this.byGroup = groups;
    SortedMap<String, Integer> typeCounts = new TreeMap<>();
    types.forEach((k, l) -> typeCounts.put(k, l.size()));
    SortedMap<String, Integer> groupCounts = new TreeMap<>();
    groups.forEach((k, l) -> groupCounts.put(k, l.size()));
    this.summary = new Summary(s.hosts().size(), s.resources().size(), typeCounts, groupCounts);
  }

  /**
   * The queries over a snapshot, building its index on first use.
   *
   * @param snapshot the snapshot
   * @return its queries
   */
  public static Queries of(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    return snapshot.queries();
  }

  /**
   * The resources of one type.
   *
   * @param type the resource type
   * @return the resources in key order; empty if none
   */
  public List<ResourceState> resourcesByType(String type) {
    return byType.getOrDefault(type, List.of());
  }

  /**
   * The resources whose tag {@code key} has the given value.
   *
   * @param key the tag name
   * @param value the tag value
   * @return the resources in key order; empty if none
   */
  public List<ResourceState> resourcesByTag(String key, String value) {
    Map<String, List<ResourceState>> byValue = byTag.get(key);
    return byValue == null ? List.of() : byValue.getOrDefault(value, List.of());
  }

  /**
   * The resources that have a tag, whatever its value.
   *
   * @param key the tag name
   * @return the resources in key order; empty if none
   */
  public List<ResourceState> resourcesWithTag(String key) {
    return withTag.getOrDefault(key, List.of());
  }

  /**
   * The values a tag takes, with how many resources carry each.
   *
   * @param key the tag name
   * @return value to count, in value order; empty if no resource has the tag
   */
  public SortedMap<String, Integer> tagValues(String key) {
    TreeMap<String, Integer> out = new TreeMap<>();
    Map<String, List<ResourceState>> byValue = byTag.get(key);
    if (byValue != null) {
      byValue.forEach((v, l) -> out.put(v, l.size()));
    }
    return Collections.unmodifiableSortedMap(out);
  }

  /**
   * The hosts recorded in a group. Hosts without a group have the group {@code ""}; {@code
   * mergeToInventory} places them in {@code all}.
   *
   * @param group the group name
   * @return the hosts in name order; empty if none
   */
  public List<HostState> hostsInGroup(String group) {
    return byGroup.getOrDefault(group, List.of());
  }

  /**
   * The groups that hold at least one host, {@code ""} included if some host has no group.
   *
   * @return the group names, sorted
   */
  public SortedSet<String> groups() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(byGroup.keySet()));
  }

  /**
   * Counts of hosts and resources, by type and by group.
   *
   * @return the summary
   */
  public Summary summary() {
    return summary;
  }

  /**
   * What a state holds, in numbers.
   *
   * @param hosts the number of hosts
   * @param resources the number of resources
   * @param resourcesByType resource count per type, in type order
   * @param hostsByGroup host count per group ({@code ""} for hosts without one), in group order
   */
  public record Summary(
      int hosts,
      int resources,
      SortedMap<String, Integer> resourcesByType,
      SortedMap<String, Integer> hostsByGroup) {
    /**
     * Creates a summary, copying the maps.
     *
     * @param hosts the number of hosts
     * @param resources the number of resources
     * @param resourcesByType resource count per type, in type order
     * @param hostsByGroup host count per group ({@code ""} for hosts without one), in group order
     */
    public Summary {
      resourcesByType = Collections.unmodifiableSortedMap(new TreeMap<>(resourcesByType));
      hostsByGroup = Collections.unmodifiableSortedMap(new TreeMap<>(hostsByGroup));
    }

    /**
     * A summary of a snapshot.
     *
     * @param snapshot the snapshot
     * @return its summary
     */
    public static Summary of(Snapshot snapshot) {
      return Queries.of(snapshot).summary();
    }

    /**
     * Several lines, such as:
     *
     * <pre>
     * 3 hosts, 4 resources
     * resources by type: dns_record 1, linode 3
     * hosts by group: (none) 1, webservers 2
     * </pre>
     */
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder()
          .append(hosts).append(hosts == 1 ? " host, " : " hosts, ")
          .append(resources).append(resources == 1 ? " resource" : " resources");
      if (!resourcesByType.isEmpty()) {
        sb.append("\nresources by type: ");
        appendCounts(sb, resourcesByType);
      }
      if (!hostsByGroup.isEmpty()) {
        sb.append("\nhosts by group: ");
        appendCounts(sb, hostsByGroup);
      }
      return sb.toString();
    }

    private static void appendCounts(StringBuilder sb, SortedMap<String, Integer> counts) {
      boolean first = true;
      for (Map.Entry<String, Integer> e : counts.entrySet()) {
        sb.append(first ? "" : ", ").append(e.getKey().isEmpty() ? "(none)" : e.getKey()).append(' ').append(e.getValue());
        first = false;
      }
    }
  }
}
