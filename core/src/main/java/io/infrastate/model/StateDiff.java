package io.infrastate.model;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The difference between two snapshots: hosts and resources added, removed and changed, field by
 * field, in a stable order. For drift detection (what the state recorded against what was
 * observed) and for reviewing history (one version against the next).
 *
 * <pre>{@code
 * StateDiff drift = StateDiff.between(state.snapshot(), observed);
 * if (!drift.isEmpty()) {
 *   System.out.println(drift);
 * }
 * StateDiff review = StateDiff.between(state.at(41).orElseThrow(), state.at(42).orElseThrow());
 * }</pre>
 *
 * <p>{@code toString()} reads like this:
 *
 * <pre>
 * 3 differences: 1 host added, 1 host changed, 1 resource removed
 * + host web03
 *     + address: "10.0.0.7"
 *     + port: 22
 * ~ host web01
 *     ~ port: 22 -&gt; 2222
 *     ~ vars.http_port: 80 -&gt; 8080
 *     + vars.tls: true
 * - resource linode:41
 *     - type: "linode"
 *     ...
 * </pre>
 *
 * <h2>What is compared</h2>
 *
 * Hosts by name: address, port, user, group, and each entry of vars; resources by key: type, id,
 * name, each entry of data and each tag. Nested objects in vars and data are compared member by
 * member ({@code vars.nginx.workers}); lists are compared as whole values. Numbers compare by value
 * ({@code 80} equals {@code 80.0}). Metadata (serial, lineage) is not compared, and neither are
 * {@code created_at}/{@code updated_at} unless {@link #betweenIncludingTimestamps(Snapshot,
 * Snapshot)} is used: observed state has no history, and a write always moves them.
 *
 * <h2>Order</h2>
 *
 * Hosts before resources; each in key order; within one entry, fields in the order of
 * state.json, with map members in key order. The same two snapshots always give the same diff and
 * the same text.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class StateDiff {

  /** What happened to a host, a resource or a field. */
  public enum Kind {
    /** Present only in the second snapshot. */
    ADDED('+'),
    /** Present only in the first snapshot. */
    REMOVED('-'),
    /** Present in both, with different values. */
    CHANGED('~');

    private final char symbol;

    Kind(char symbol) {
      this.symbol = symbol;
    }

    /**
     * The one-character symbol used in {@link StateDiff#toString()}.
     *
     * @return {@code +}, {@code -} or {@code ~}
     */
    public char symbol() {
      return symbol;
    }
  }

  /** Which part of the state an entry belongs to. */
  public enum Section {
    /** {@code hosts}, keyed by host name. */
    HOST,
    /** {@code resources}, keyed by resource key. */
    RESOURCE
  }

  /**
   * One field that differs.
   *
   * @param field the field's path inside its host or resource, such as {@code port}, {@code
   *     vars.http_port} or {@code tags.env}
   * @param kind added, removed or changed
   * @param before the value in the first snapshot; {@code null} when added (or a JSON null)
   * @param after the value in the second snapshot; {@code null} when removed (or a JSON null)
   */
  public record FieldChange(String field, Kind kind, Object before, Object after) {
    /**
     * Creates a field change.
     *
     * @param field the field's path inside its host or resource, such as {@code port}, {@code
     *     vars.http_port} or {@code tags.env}
     * @param kind added, removed or changed
     * @param before the value in the first snapshot; {@code null} when added (or a JSON null)
     * @param after the value in the second snapshot; {@code null} when removed (or a JSON null)
     * @throws NullPointerException if field or kind is null
     */
    public FieldChange {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(kind, "kind");
    }

    @Override
    public String toString() {
      switch (kind) {
        case ADDED:
          return "+ " + field + ": " + render(after);
        case REMOVED:
          return "- " + field + ": " + render(before);
        default:
          return "~ " + field + ": " + render(before) + " -> " + render(after);
      }
    }
  }

  /**
   * One host or resource that differs.
   *
   * @param section host or resource
   * @param key the host name or resource key
   * @param kind added, removed or changed
   * @param fields the fields that differ, in stable order; for an added or removed entry, all of
   *     its fields
   */
  public record Entry(Section section, String key, Kind kind, List<FieldChange> fields) {
    /**
     * Creates an entry, copying the field list.
     *
     * @param section host or resource
     * @param key the host name or resource key
     * @param kind added, removed or changed
     * @param fields the fields that differ, in stable order; for an added or removed entry, all of
     *     its fields
     * @throws NullPointerException if a component is null
     */
    public Entry {
      Objects.requireNonNull(section, "section");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(kind, "kind");
      fields = List.copyOf(fields);
    }

    /**
     * The change of one field, if it differs.
     *
     * @param field a field path such as {@code vars.http_port}
     * @return the change, or empty if the field is the same in both
     */
    public java.util.Optional<FieldChange> field(String field) {
      for (FieldChange f : fields) {
        if (f.field().equals(field)) {
          return java.util.Optional.of(f);
        }
      }
      return java.util.Optional.empty();
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      sb.append(kind.symbol()).append(' ').append(section == Section.HOST ? "host " : "resource ").append(key);
      for (FieldChange f : fields) {
        sb.append("\n    ").append(f);
      }
      return sb.toString();
    }
  }

  private final List<Entry> hosts;
  private final List<Entry> resources;

  private StateDiff(List<Entry> hosts, List<Entry> resources) {
    this.hosts = Collections.unmodifiableList(hosts);
    this.resources = Collections.unmodifiableList(resources);
  }

  /**
   * The difference from {@code before} to {@code after}, ignoring timestamps and metadata.
   * Linear in the size of both snapshots.
   *
   * @param before the first snapshot, such as the recorded state or an older version
   * @param after the second snapshot, such as the observed state or a newer version
   * @return the difference, empty if the content is the same
   */
  public static StateDiff between(Snapshot before, Snapshot after) {
    return compute(before, after, false);
  }

  /**
   * The difference from {@code before} to {@code after}, including each host's and resource's
   * {@code created_at} and {@code updated_at}.
   *
   * @param before the first snapshot
   * @param after the second snapshot
   * @return the difference
   */
  public static StateDiff betweenIncludingTimestamps(Snapshot before, Snapshot after) {
    return compute(before, after, true);
  }

  private static StateDiff compute(Snapshot before, Snapshot after, boolean timestamps) {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    List<Entry> hosts = new ArrayList<>();
    merge(before.hosts(), after.hosts(), (k, a, b) -> {
      List<FieldChange> out = new ArrayList<>();
      hostFields(a, b, timestamps, out);
      if (!out.isEmpty()) {
        hosts.add(new Entry(Section.HOST, k, kind(a, b), out));
      }
    });
    List<Entry> resources = new ArrayList<>();
    merge(before.resources(), after.resources(), (k, a, b) -> {
      List<FieldChange> out = new ArrayList<>();
      resourceFields(a, b, timestamps, out);
      if (!out.isEmpty()) {
        resources.add(new Entry(Section.RESOURCE, k, kind(a, b), out));
      }
    });
    return new StateDiff(hosts, resources);
  }

  @FunctionalInterface
  private interface Visit<V> {
    void accept(String key, V before, V after);
  }

  /** Walks two key-ordered maps together; one side is null where the key is missing. */
  private static <V> void merge(Map<String, V> a, Map<String, V> b, Visit<V> visit) {
    Iterator<Map.Entry<String, V>> ia = a.entrySet().iterator();
    Iterator<Map.Entry<String, V>> ib = b.entrySet().iterator();
    Map.Entry<String, V> ea = ia.hasNext() ? ia.next() : null;
    Map.Entry<String, V> eb = ib.hasNext() ? ib.next() : null;
    while (ea != null || eb != null) {
      int c = ea == null ? 1 : eb == null ? -1 : ea.getKey().compareTo(eb.getKey());
      if (c == 0) {
        if (ea.getValue() != eb.getValue()) {
          visit.accept(ea.getKey(), ea.getValue(), eb.getValue());
        }
        ea = ia.hasNext() ? ia.next() : null;
        eb = ib.hasNext() ? ib.next() : null;
      } else if (c < 0) {
        visit.accept(ea.getKey(), ea.getValue(), null);
        ea = ia.hasNext() ? ia.next() : null;
      } else {
        visit.accept(eb.getKey(), null, eb.getValue());
        eb = ib.hasNext() ? ib.next() : null;
      }
    }
  }

  private static Kind kind(Object a, Object b) {
    return a == null ? Kind.ADDED : b == null ? Kind.REMOVED : Kind.CHANGED;
  }

  private static void hostFields(HostState a, HostState b, boolean timestamps, List<FieldChange> out) {
    field("address", a == null ? null : a.address(), b == null ? null : b.address(), a != null, b != null, out);
    field("port", a == null ? null : a.port(), b == null ? null : b.port(), a != null, b != null, out);
    field("user", a == null ? null : a.user(), b == null ? null : b.user(), a != null, b != null, out);
    String ga = a == null ? "" : a.group();
    String gb = b == null ? "" : b.group();
    field("group", ga, gb, !ga.isEmpty(), !gb.isEmpty(), out);
    object("vars", a == null ? Map.of() : a.vars(), b == null ? Map.of() : b.vars(), out);
    if (timestamps) {
      times(a == null ? null : a.createdAt(), b == null ? null : b.createdAt(),
          a == null ? null : a.updatedAt(), b == null ? null : b.updatedAt(), out);
    }
  }

  private static void resourceFields(ResourceState a, ResourceState b, boolean timestamps, List<FieldChange> out) {
    field("type", a == null ? null : a.type(), b == null ? null : b.type(), a != null, b != null, out);
    field("id", a == null ? null : a.id(), b == null ? null : b.id(), a != null, b != null, out);
    field("name", a == null ? null : a.name(), b == null ? null : b.name(), a != null, b != null, out);
    object("data", a == null ? Map.of() : a.data(), b == null ? Map.of() : b.data(), out);
    object("tags", a == null ? Map.of() : a.tags(), b == null ? Map.of() : b.tags(), out);
    if (timestamps) {
      times(a == null ? null : a.createdAt(), b == null ? null : b.createdAt(),
          a == null ? null : a.updatedAt(), b == null ? null : b.updatedAt(), out);
    }
  }

  private static void times(Instant ca, Instant cb, Instant ua, Instant ub, List<FieldChange> out) {
    field("created_at", fmt(ca), fmt(cb), ca != null, cb != null, out);
    field("updated_at", fmt(ua), fmt(ub), ua != null, ub != null, out);
  }

  private static String fmt(Instant t) {
    return t == null ? null : DateTimeFormatter.ISO_INSTANT.format(t);
  }

  private static void field(String path, Object a, Object b, boolean inA, boolean inB, List<FieldChange> out) {
    if (inA && inB) {
      if (!jsonEquals(a, b)) {
        out.add(new FieldChange(path, Kind.CHANGED, a, b));
      }
    } else if (inA) {
      out.add(new FieldChange(path, Kind.REMOVED, a, null));
    } else if (inB) {
      out.add(new FieldChange(path, Kind.ADDED, null, b));
    }
  }

  /** Compares two JSON objects member by member, recursing into nested objects. */
  private static void object(String path, Map<String, ?> a, Map<String, ?> b, List<FieldChange> out) {
    if (a.isEmpty() && b.isEmpty()) {
      return;
    }
    TreeSet<String> keys = new TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    for (String k : keys) {
      String p = JsonPaths.member(path, k);
      boolean inA = a.containsKey(k);
      boolean inB = b.containsKey(k);
      Object va = a.get(k);
      Object vb = b.get(k);
      if (inA && inB && va instanceof Map<?, ?> ma && vb instanceof Map<?, ?> mb) {
        object(p, strings(ma), strings(mb), out);
      } else {
        field(p, va, vb, inA, inB, out);
      }
    }
  }

  private static Map<String, Object> strings(Map<?, ?> m) {
    TreeMap<String, Object> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  /** JSON equality: numbers by value, maps and lists deeply, everything else by equals. */
  static boolean jsonEquals(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null) {
      return false;
    }
    if (a instanceof Number na && b instanceof Number nb) {
      return decimal(na).compareTo(decimal(nb)) == 0;
    }
    if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      if (ma.size() != mb.size()) {
        return false;
      }
      for (Map.Entry<?, ?> e : ma.entrySet()) {
        if (!mb.containsKey(e.getKey()) || !jsonEquals(e.getValue(), mb.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof List<?> la && b instanceof List<?> lb) {
      if (la.size() != lb.size()) {
        return false;
      }
      for (int i = 0; i < la.size(); i++) {
        if (!jsonEquals(la.get(i), lb.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  private static BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal d) {
      return d;
    }
    if (n instanceof BigInteger i) {
      return new BigDecimal(i);
    }
    if (n instanceof Double || n instanceof Float) {
      return new BigDecimal(n.toString());
    }
    return BigDecimal.valueOf(n.longValue());
  }

  // ---------------------------------------------------------------- results

  /**
   * Whether the two snapshots hold the same content.
   *
   * @return {@code true} if nothing differs
   */
  public boolean isEmpty() {
    return hosts.isEmpty() && resources.isEmpty();
  }

  /**
   * Every host that differs, in name order.
   *
   * @return an unmodifiable list
   */
  public List<Entry> hosts() {
    return hosts;
  }

  /**
   * Every resource that differs, in key order.
   *
   * @return an unmodifiable list
   */
  public List<Entry> resources() {
    return resources;
  }

  /**
   * Every entry that differs: hosts, then resources.
   *
   * @return an unmodifiable list
   */
  public List<Entry> entries() {
    List<Entry> all = new ArrayList<>(hosts.size() + resources.size());
    all.addAll(hosts);
    all.addAll(resources);
    return Collections.unmodifiableList(all);
  }

  /**
   * The names of hosts with a given kind of difference.
   *
   * @param kind added, removed or changed
   * @return the host names, in order
   */
  public List<String> hosts(Kind kind) {
    return keys(hosts, kind);
  }

  /**
   * The keys of resources with a given kind of difference.
   *
   * @param kind added, removed or changed
   * @return the resource keys, in order
   */
  public List<String> resources(Kind kind) {
    return keys(resources, kind);
  }

  /**
   * The difference of one host.
   *
   * @param name the host name
   * @return its entry, or empty if it is the same in both
   */
  public java.util.Optional<Entry> host(String name) {
    return find(hosts, name);
  }

  /**
   * The difference of one resource.
   *
   * @param key the resource key
   * @return its entry, or empty if it is the same in both
   */
  public java.util.Optional<Entry> resource(String key) {
    return find(resources, key);
  }

  private static java.util.Optional<Entry> find(List<Entry> list, String key) {
    int lo = 0;
    int hi = list.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = list.get(mid).key().compareTo(key);
      if (c == 0) {
        return java.util.Optional.of(list.get(mid));
      } else if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return java.util.Optional.empty();
  }

  private static List<String> keys(List<Entry> list, Kind kind) {
    List<String> out = new ArrayList<>();
    for (Entry e : list) {
      if (e.kind() == kind) {
        out.add(e.key());
      }
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * A one-line summary, such as {@code "3 differences: 1 host added, 1 host changed, 1 resource
   * removed"}, or {@code "no differences"}.
   *
   * @return the summary
   */
  public String summary() {
    if (isEmpty()) {
      return "no differences";
    }
    int n = hosts.size() + resources.size();
    StringBuilder sb = new StringBuilder().append(n).append(n == 1 ? " difference: " : " differences: ");
    List<String> parts = new ArrayList<>();
    for (Kind k : Kind.values()) {
      count(parts, hosts(k).size(), "host", k);
    }
    for (Kind k : Kind.values()) {
      count(parts, resources(k).size(), "resource", k);
    }
    return sb.append(String.join(", ", parts)).toString();
  }

  private static void count(List<String> parts, int n, String what, Kind kind) {
    if (n > 0) {
      parts.add(n + " " + what + (n == 1 ? " " : "s ") + kind.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** The summary line, then every entry with its fields, one per line. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(summary());
    for (Entry e : hosts) {
      sb.append('\n').append(e);
    }
    for (Entry e : resources) {
      sb.append('\n').append(e);
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StateDiff d && hosts.equals(d.hosts) && resources.equals(d.resources);
  }

  @Override
  public int hashCode() {
    return Objects.hash(hosts, resources);
  }

  /** Renders a value as JSON-like text for {@code toString}. */
  static String render(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String s) {
      StringBuilder sb = new StringBuilder("\"");
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\t' -> sb.append("\\t");
          case '\r' -> sb.append("\\r");
          default -> {
            if (c < 0x20) {
              sb.append(String.format("\\u%04x", (int) c));
            } else {
              sb.append(c);
            }
          }
        }
      }
      return sb.append('"').toString();
    }
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      boolean first = true;
      for (Map.Entry<String, Object> e : strings(m).entrySet()) {
        sb.append(first ? "" : ", ").append(render(e.getKey())).append(": ").append(render(e.getValue()));
        first = false;
      }
      return sb.append('}').toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(render(l.get(i)));
      }
      return sb.append(']').toString();
    }
    return String.valueOf(v);
  }
}
