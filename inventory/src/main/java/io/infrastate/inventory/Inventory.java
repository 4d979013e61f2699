package io.infrastate.inventory;

import io.infrastate.model.HostState;
import io.infrastate.model.InventoryTarget;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.Json;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/*
 * Design notes
 *
 * Model. An Inventory is Ansible's inventory data model without the plugins: groups (hosts, child
 * groups, vars) and hosts (Host records). "all" always exists and is first; every host and every
 * group belongs to it implicitly. "ungrouped" is not stored: a host is ungrouped exactly when it is
 * in no group but "all", which is how Ansible reconciles its inventory too. Memberships are kept in
 * both directions (group -> hosts, host -> groups; group -> children, group -> parents) so that
 * groupsOf, the ungrouped set and the cycle check cost what the answer costs.
 *
 * Invariants, kept by every mutating method: the child graph is acyclic ("all" is never a child);
 * no name is both a host and a group; every group name satisfies the GroupNamePolicy (checked on
 * the way in, so writers never meet an invalid name); vars hold frozen JSON values only.
 *
 * Ordering. Everything iterates in insertion order: hosts, groups ("all" first), the hosts and
 * children of a group, vars. Writers follow that order, so the same sequence of calls always gives
 * byte-identical output. Replacing a host keeps its position and its memberships.
 *
 * Thread safety. One ReentrantReadWriteLock guards all state. Mutators take the write lock and are
 * atomic: they either apply completely or throw before changing anything (all checks run before the
 * first write). Readers take the read lock and return immutable copies (Host and Group records,
 * List.copyOf), never live views. Writers (AnsibleJson, AnsibleYaml) hold the read lock while they
 * stream, so an export is a consistent snapshot and concurrent exports run in parallel; mutators
 * wait until the export is done. Nothing calls user code while holding the lock.
 */

/**
 * An Ansible inventory: groups with hosts, child groups and vars, and hosts with connection fields
 * and vars. Every host is in {@code all}; a host may be in several groups; child-group cycles are
 * rejected with the cycle named.
 *
 * <p>Build one by hand, from a state ({@link #from(Snapshot)}, {@link #from(State)}, or {@code
 * state.mergeToInventory(inventory)}, which calls {@link #addHost(String, HostState)}), or by
 * reading a file with {@link AnsibleYaml#read(java.nio.file.Path)} or {@link
 * AnsibleIni#read(java.nio.file.Path)}. Write it with {@link AnsibleJson} (dynamic inventory) or
 * {@link AnsibleYaml}.
 *
 * <pre>{@code
 * Inventory inv = Inventory.create();
 * inv.putHost("web", new Host("web01", "10.0.0.5", 22, "deploy", Map.of("http_port", 80)));
 * inv.addChild("prod", "web");
 * inv.setGroupVar("prod", "env", "production");
 * AnsibleJson.writeList(inv, System.out);
 * }</pre>
 *
 * <p>Group names are checked against Ansible's rule by the {@link GroupNamePolicy} given at
 * creation ({@link GroupNamePolicy#REJECT} by default). The names {@code all} and {@code ungrouped}
 * are reserved: {@code all} is the root, and adding a host to {@code ungrouped} adds it to {@code
 * all} only. A name cannot be both a host and a group (Ansible warns "Found both group and host
 * with same name").
 *
 * <p>Instances are thread-safe. Each mutating method is atomic: it applies completely or throws
 * without changing anything. Nothing is persisted; write the inventory out to keep it.
 */
public final class Inventory implements InventoryTarget {

  private final GroupNamePolicy policy;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final LinkedHashMap<String, Host> hosts = new LinkedHashMap<>();
  private final HashMap<String, LinkedHashSet<String>> hostGroups = new HashMap<>();
  private final LinkedHashMap<String, GroupData> groups = new LinkedHashMap<>();

  /** Mutable group state, guarded by the inventory's lock. */
  static final class GroupData {
    final String name;
    final LinkedHashSet<String> hosts = new LinkedHashSet<>();
    final LinkedHashSet<String> children = new LinkedHashSet<>();
    final LinkedHashSet<String> parents = new LinkedHashSet<>();
    final LinkedHashMap<String, Object> vars = new LinkedHashMap<>();

    GroupData(String name) {
      this.name = name;
    }
  }

  private Inventory(GroupNamePolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    groups.put(Group.ALL, new GroupData(Group.ALL));
  }

  /**
   * Creates an empty inventory that rejects group names Ansible warns about.
   *
   * @return a new inventory holding only the group {@code all}
   */
  public static Inventory create() {
    return new Inventory(GroupNamePolicy.REJECT);
  }

  /**
   * Creates an empty inventory with a group-name policy.
   *
   * @param policy what to do with group names Ansible warns about
   * @return a new inventory holding only the group {@code all}
   */
  public static Inventory create(GroupNamePolicy policy) {
    return new Inventory(policy);
  }

  /**
   * Creates an inventory from a state snapshot, as Go's {@code MergeToInventory} into an empty
   * inventory: in name order, each host goes into its group, or {@code all} when it has none.
   *
   * @param snapshot the state version
   * @return a new inventory
   * @throws IllegalArgumentException if a host's group name is refused (the message names the
   *     host); use {@link #from(Snapshot, GroupNamePolicy)} with {@link GroupNamePolicy#TRANSFORM}
   *     to accept such names
   */
  public static Inventory from(Snapshot snapshot) {
    return from(snapshot, GroupNamePolicy.REJECT);
  }

  /**
   * Creates an inventory from a state snapshot with a group-name policy.
   *
   * @param snapshot the state version
   * @param policy what to do with group names Ansible warns about
   * @return a new inventory
   * @throws IllegalArgumentException if a host is refused (the message names it)
   */
  public static Inventory from(Snapshot snapshot, GroupNamePolicy policy) {
    Inventory inv = new Inventory(policy);
    for (HostState h : snapshot.hosts().values()) {
      try {
        inv.addHost(h.group().isEmpty() ? Group.ALL : h.group(), h);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "failed to add host " + h.name() + ": " + e.getMessage(), e);
      }
    }
    return inv;
  }

  /**
   * Creates an inventory from the current snapshot of a state; see {@link #from(Snapshot)}.
   *
   * @param state the state; read once
   * @return a new inventory
   * @throws IllegalArgumentException if a host is refused (the message names it)
   */
  public static Inventory from(State state) {
    return from(state.snapshot());
  }

  /**
   * The group-name policy given at creation.
   *
   * @return the policy
   */
  public GroupNamePolicy groupNamePolicy() {
    return policy;
  }

  // ---------------------------------------------------------------- mutators

  /**
   * Adds or replaces a host and makes it a member of a group, creating the group if needed: what
   * {@code State.mergeToInventory} calls. The host's own {@code group} field is ignored; {@code
   * group} decides. Timestamps are dropped.
   *
   * @param group the group; {@code all} (or {@code ungrouped}) for no group
   * @param host the host
   * @throws IllegalArgumentException if the group name is refused by the policy, or a name is both
   *     a host and a group
   */
  @Override
  public void addHost(String group, HostState host) {
    putHost(group, Host.from(host));
  }

  /**
   * Adds or replaces a host without changing its group memberships. A new host is in {@code all}
   * only; a replaced host keeps its position and groups.
   *
   * @param host the host
   * @return the host it replaced, or empty
   * @throws IllegalArgumentException if a group has the host's name
   */
  public Optional<Host> putHost(Host host) {
    Objects.requireNonNull(host, "host");
    lock.writeLock().lock();
    try {
      checkHostName(host.name());
      return Optional.ofNullable(putHostLocked(host));
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Adds or replaces a host and makes it a member of a group (which is created if needed). Existing
   * memberships are kept.
   *
   * @param group the group; {@code all} (or {@code ungrouped}) for no group
   * @param host the host
   * @return the host it replaced, or empty
   * @throws IllegalArgumentException if the group name is refused by the policy, or a name is both
   *     a host and a group
   */
  public Optional<Host> putHost(String group, Host host) {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(host, "host");
    lock.writeLock().lock();
    try {
      String g = resolveGroupName(group);
      checkHostName(host.name());
      if (g.equals(host.name())) {
        throw conflict(host.name());
      }
      Host previous = putHostLocked(host);
      ensureGroup(g);
      addMemberLocked(g, host.name());
      return Optional.ofNullable(previous);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * What an Ansible host line or entry does: puts the host into a group with {@code vars} over the
   * variables it already has; a host not seen before also gets {@code port} (from a {@code
   * host:port} pattern, if any and not 0) as {@value Host#ANSIBLE_PORT}.
   *
   * @throws IllegalArgumentException if a name or variable is refused
   */
  void mergeHost(String group, String name, BigInteger port, Map<String, Object> vars) {
    Host existing = host(name).orElse(null);
    LinkedHashMap<String, Object> merged = new LinkedHashMap<>();
    if (existing != null) {
      merged.putAll(existing.hostVars());
    } else if (port != null && port.signum() != 0) {
      merged.put(Host.ANSIBLE_PORT, port);
    }
    merged.putAll(vars);
    putHost(group, Host.of(name, merged));
  }

  /**
   * Makes an existing host a member of a group, creating the group if needed.
   *
   * @param group the group
   * @param hostName the host
   * @throws IllegalArgumentException if the host does not exist or the group name is refused
   */
  public void addMember(String group, String hostName) {
    lock.writeLock().lock();
    try {
      String g = resolveGroupName(group);
      if (!hosts.containsKey(hostName)) {
        throw new IllegalArgumentException(
            "host '" + hostName + "' is not in the inventory; add it with putHost first");
      }
      ensureGroup(g);
      addMemberLocked(g, hostName);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Removes a host from the inventory and from every group.
   *
   * @param hostName the host
   * @return {@code true} if it was present
   */
  public boolean removeHost(String hostName) {
    lock.writeLock().lock();
    try {
      if (hosts.remove(hostName) == null) {
        return false;
      }
      LinkedHashSet<String> gs = hostGroups.remove(hostName);
      if (gs != null) {
        for (String g : gs) {
          groups.get(g).hosts.remove(hostName);
        }
      }
      return true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Creates a group if it does not exist.
   *
   * @param name the group name
   * @return the name the group has in this inventory: {@code name}, or its transformation under
   *     {@link GroupNamePolicy#TRANSFORM}, or {@code all} for {@code ungrouped}
   * @throws IllegalArgumentException if the name is refused by the policy or is a host's name
   */
  public String addGroup(String name) {
    lock.writeLock().lock();
    try {
      String g = resolveGroupName(name);
      ensureGroup(g);
      return g;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Makes {@code child} a child group of {@code parent}, creating both if needed. A child of {@code
   * all} is simply a group without other parents.
   *
   * @param parent the parent group
   * @param child the child group
   * @throws IllegalArgumentException if the edge would create a cycle (the message names it, e.g.
   *     {@code a -> b -> a}), {@code child} is {@code all}, or a name is refused
   */
  public void addChild(String parent, String child) {
    lock.writeLock().lock();
    try {
      String p = resolveGroupName(parent);
      String c = resolveGroupName(child);
      if (c.equals(Group.ALL)) {
        throw new Refusal(
            InventoryException.Kind.CHILD_CYCLE,
            "group 'all' cannot be a child of '" + p + "': every group is already in 'all'");
      }
      checkCycle(p, c);
      ensureGroup(p);
      ensureGroup(c);
      if (!p.equals(Group.ALL)) {
        groups.get(p).children.add(c);
        groups.get(c).parents.add(p);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Sets a group variable, creating the group if needed.
   *
   * @param group the group; {@code all} for inventory-wide vars
   * @param key the variable name
   * @param value a JSON-compatible value
   * @throws IllegalArgumentException if the value is not JSON-compatible or the name is refused
   */
  public void setGroupVar(String group, String key, Object value) {
    Objects.requireNonNull(key, "key");
    lock.writeLock().lock();
    try {
      String g = resolveGroupName(group);
      if (group.equals(Group.UNGROUPED)) {
        throw new Refusal(
            InventoryException.Kind.NAME_CONFLICT,
            "vars on 'ungrouped' are not supported: it is not a group of its own in this model; set"
                + " them on the hosts or on 'all'");
      }
      Object frozen = Json.freeze(value, "groups." + g + ".vars." + key);
      ensureGroup(g).vars.put(key, frozen);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Sets several group variables (added to or replacing those already set), creating the group if
   * needed.
   *
   * @param group the group
   * @param vars JSON-compatible values
   * @throws IllegalArgumentException if a value is not JSON-compatible or the name is refused
   */
  public void setGroupVars(String group, Map<String, ?> vars) {
    Map<String, Object> frozen = Json.freezeObject(vars, "groups." + group + ".vars");
    lock.writeLock().lock();
    try {
      String g = resolveGroupName(group);
      if (group.equals(Group.UNGROUPED) && !frozen.isEmpty()) {
        throw new Refusal(
            InventoryException.Kind.NAME_CONFLICT,
            "vars on 'ungrouped' are not supported: set them on the hosts or on 'all'");
      }
      ensureGroup(g).vars.putAll(frozen);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Sets one variable of an existing host (see {@link Host#withVar(String, Object)}).
   *
   * @param hostName the host
   * @param key the variable name
   * @param value a JSON-compatible value
   * @throws IllegalArgumentException if the host does not exist or the value is not JSON-compatible
   */
  public void setHostVar(String hostName, String key, Object value) {
    lock.writeLock().lock();
    try {
      Host h = hosts.get(hostName);
      if (h == null) {
        throw new IllegalArgumentException("host '" + hostName + "' is not in the inventory");
      }
      hosts.put(hostName, h.withVar(key, value));
    } finally {
      lock.writeLock().unlock();
    }
  }

  // ---------------------------------------------------------------- readers

  /**
   * A host by name.
   *
   * @param name the host name
   * @return the host, or empty
   */
  public Optional<Host> host(String name) {
    return read(() -> Optional.ofNullable(hosts.get(name)));
  }

  /**
   * All hosts (the members of {@code all}), in insertion order.
   *
   * @return an immutable list
   */
  public List<Host> hosts() {
    return read(() -> List.copyOf(hosts.values()));
  }

  /**
   * The number of hosts.
   *
   * @return the host count
   */
  public int hostCount() {
    return read(hosts::size);
  }

  /**
   * A group by name.
   *
   * @param name the group name, as stored (after the policy)
   * @return an immutable view, or empty if there is no such group
   */
  public Optional<Group> group(String name) {
    return read(() -> groups.containsKey(name) ? Optional.of(viewLocked(name)) : Optional.empty());
  }

  /**
   * All groups, {@code all} first, then in insertion order.
   *
   * @return immutable views
   */
  public List<Group> groups() {
    return read(
        () -> {
          List<Group> out = new ArrayList<>(groups.size());
          for (String g : groups.keySet()) {
            out.add(viewLocked(g));
          }
          return List.copyOf(out);
        });
  }

  /**
   * The groups a host is a direct member of, in insertion order; {@code all} is not listed.
   *
   * @param hostName the host
   * @return the group names; empty if the host is ungrouped or unknown
   */
  public List<String> groupsOf(String hostName) {
    return read(() -> List.copyOf(hostGroups.getOrDefault(hostName, new LinkedHashSet<>())));
  }

  /**
   * The variables Ansible gives a host, group variables included: the vars of {@code all} and of
   * every group the host is in, directly or through child groups, applied in Ansible's order (by
   * depth below {@code all}, then {@code ansible_group_priority}, then name; deeper groups win),
   * then the host's own {@link Host#hostVars()}. This is what {@code ansible-inventory --list}
   * prints in {@code _meta.hostvars} (without {@code --export}).
   *
   * @param hostName the host
   * @return an immutable map, or empty if the host is unknown
   */
  public Optional<Map<String, Object>> effectiveVars(String hostName) {
    return read(
        () -> {
          Host h = hosts.get(hostName);
          if (h == null) {
            return Optional.empty();
          }
          Set<String> mine = new LinkedHashSet<>();
          Deque<String> todo = new ArrayDeque<>(hostGroups.getOrDefault(hostName, new LinkedHashSet<>()));
          while (!todo.isEmpty()) {
            String g = todo.pop();
            if (mine.add(g)) {
              todo.addAll(groups.get(g).parents);
            }
          }
          Map<String, Integer> depth = new HashMap<>();
          List<String> ordered = new ArrayList<>(mine);
          ordered.sort(
              Comparator.<String>comparingInt(g -> depthLocked(g, depth))
                  .thenComparingInt(this::priorityLocked)
                  .thenComparing(Comparator.naturalOrder()));
          LinkedHashMap<String, Object> merged = new LinkedHashMap<>(groups.get(Group.ALL).vars);
          for (String g : ordered) {
            merged.putAll(groups.get(g).vars);
          }
          merged.putAll(h.hostVars());
          return Optional.of(Json.adoptObject(merged));
        });
  }

  @Override
  public String toString() {
    return read(() -> "Inventory[hosts=" + hosts.size() + ", groups=" + groups.size() + "]");
  }

  // ---------------------------------------------------------------- package-private, for writers

  /**
   * Runs {@code body} under the read lock; the body may use the package-private accessors.
   *
   * @param body the reader
   * @return what it returns
   */
  <T> T read(Supplier<T> body) {
    lock.readLock().lock();
    try {
      return body.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Hosts by name, insertion order; call under {@link #read}. */
  Map<String, Host> hostMap() {
    return hosts;
  }

  /** Groups by name, {@code all} first; call under {@link #read}. */
  Map<String, GroupData> groupMap() {
    return groups;
  }

  /** Whether a host is in no group but {@code all}; call under {@link #read}. */
  boolean isUngrouped(String hostName) {
    LinkedHashSet<String> gs = hostGroups.get(hostName);
    return gs == null || gs.isEmpty();
  }

  /** Whether a group has no parent but {@code all}; call under {@link #read}. */
  boolean isTopLevel(GroupData g) {
    return !g.name.equals(Group.ALL) && g.parents.isEmpty();
  }

  /**
   * Reports a refusal of the model as an {@link InventoryException} at a location.
   *
   * @param e the refusal
   * @param file the file
   * @param line the line, or 0
   * @return the exception to throw
   */
  static InventoryException located(IllegalArgumentException e, String file, int line) {
    if (e instanceof Refusal r) {
      return r.at(file, line);
    }
    return new InventoryException(
        InventoryException.Kind.UNSUPPORTED_VALUE, file, line, e.getMessage(), e);
  }

  // ---------------------------------------------------------------- internals (write lock held)

  private String resolveGroupName(String name) {
    Objects.requireNonNull(name, "group");
    if (name.equals(Group.ALL) || name.equals(Group.UNGROUPED)) {
      return Group.ALL;
    }
    String g = policy.apply(name);
    if (hosts.containsKey(g)) {
      throw conflict(g);
    }
    return g;
  }

  private void checkHostName(String name) {
    if (groups.containsKey(name) || name.equals(Group.UNGROUPED)) {
      throw conflict(name);
    }
  }

  private static Refusal conflict(String name) {
    return new Refusal(
        InventoryException.Kind.NAME_CONFLICT,
        "'"
            + name
            + "' would be both a host and a group; Ansible warns about that (\"Found both group and"
            + " host with same name\"), rename one of them");
  }

  private Host putHostLocked(Host host) {
    return hosts.put(host.name(), host);
  }

  private GroupData ensureGroup(String g) {
    return groups.computeIfAbsent(g, GroupData::new);
  }

  private void addMemberLocked(String g, String hostName) {
    if (g.equals(Group.ALL)) {
      return;
    }
    groups.get(g).hosts.add(hostName);
    hostGroups.computeIfAbsent(hostName, k -> new LinkedHashSet<>()).add(g);
  }

  private void checkCycle(String parent, String child) {
    if (parent.equals(Group.ALL)) {
      return;
    }
    if (parent.equals(child)) {
      throw cycle(List.of(parent, child));
    }
    if (!groups.containsKey(child) || !groups.containsKey(parent)) {
      return;
    }
    // Is parent reachable from child through children? Then child -> ... -> parent -> child.
    List<String> path = new ArrayList<>();
    if (findPath(child, parent, path, new HashSet<>())) {
      List<String> named = new ArrayList<>();
      named.add(parent);
      named.addAll(path);
      throw cycle(named);
    }
  }

  private boolean findPath(String from, String to, List<String> path, Set<String> seen) {
    path.add(from);
    if (from.equals(to)) {
      return true;
    }
    if (seen.add(from)) {
      for (String c : groups.get(from).children) {
        if (findPath(c, to, path, seen)) {
          return true;
        }
      }
    }
    path.remove(path.size() - 1);
    return false;
  }

  private static Refusal cycle(List<String> groupsInCycle) {
    String parent = groupsInCycle.get(0);
    String child = groupsInCycle.get(1);
    return new Refusal(
        InventoryException.Kind.CHILD_CYCLE,
        "adding group '"
            + child
            + "' as a child of '"
            + parent
            + "' would create the cycle "
            + String.join(" -> ", groupsInCycle));
  }

  private int depthLocked(String g, Map<String, Integer> memo) {
    Integer d = memo.get(g);
    if (d != null) {
      return d;
    }
    int max = 0;
    for (String p : groups.get(g).parents) {
      max = Math.max(max, depthLocked(p, memo));
    }
    memo.put(g, max + 1);
    return max + 1;
  }

  private int priorityLocked(String g) {
    Object p = groups.get(g).vars.get("ansible_group_priority");
    return p instanceof Integer i ? i : 1;
  }

  private Group viewLocked(String name) {
    GroupData g = groups.get(name);
    if (name.equals(Group.ALL)) {
      List<String> ungrouped = new ArrayList<>();
      for (String h : hosts.keySet()) {
        if (isUngrouped(h)) {
          ungrouped.add(h);
        }
      }
      List<String> top = new ArrayList<>();
      for (GroupData d : groups.values()) {
        if (isTopLevel(d)) {
          top.add(d.name);
        }
      }
      return new Group(name, ungrouped, top, Json.adoptObject(new LinkedHashMap<>(g.vars)));
    }
    return new Group(
        name,
        new ArrayList<>(g.hosts),
        new ArrayList<>(g.children),
        Json.adoptObject(new LinkedHashMap<>(g.vars)));
  }
}
