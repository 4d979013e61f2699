package io.infrastate.inventory;

import io.infrastate.model.Json;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable view of one inventory group, as {@link Inventory#group(String)} returns it. Instances
 * are thread-safe; they do not change when the inventory does.
 *
 * @param name the group name
 * @param hosts the names of the hosts that are direct members, in insertion order. For {@code all},
 *     these are the hosts that are in no other group (Ansible lists them under {@code ungrouped})
 * @param children the names of the child groups, in insertion order. For {@code all}, the groups that
 *     have no other parent
 * @param vars the group variables, JSON-compatible and frozen
 */
public record Group(String name, List<String> hosts, List<String> children, Map<String, Object> vars) {

  /** The name of the group every host and every group belongs to. */
  public static final String ALL = "all";

  /**
   * The name Ansible gives the hosts that are in no group but {@code all}. It is not a group of its
   * own in this model: adding a host to it adds the host to {@code all} only.
   */
  public static final String UNGROUPED = "ungrouped";

  /**
   * Creates a view, copying the lists and freezing the vars.
   *
   * @param name the group name
   * @param hosts the names of the hosts that are direct members, in insertion order. For {@code all},
   *     these are the hosts that are in no other group (Ansible lists them under {@code ungrouped})
   * @param children the names of the child groups, in insertion order. For {@code all}, the groups that
   *     have no other parent
   * @param vars the group variables, JSON-compatible and frozen
   * @throws NullPointerException if an argument is null
   */
  public Group {
    Objects.requireNonNull(name, "name");
    hosts = List.copyOf(hosts);
    children = List.copyOf(children);
    vars = Json.freezeObject(vars, "groups." + name + ".vars");
  }

  /**
   * Whether the group has neither hosts, children nor vars. Ansible leaves such groups out of its
   * output.
   *
   * @return {@code true} if empty
   */
  public boolean isEmpty() {
    return hosts.isEmpty() && children.isEmpty() && vars.isEmpty();
  }
}
