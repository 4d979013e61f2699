package io.infrastate.model;

/**
 * Something hosts can be merged into: what {@link io.infrastate.State#mergeToInventory(InventoryTarget)} writes
 * to. The {@code infrastate-inventory} module's {@code Inventory} implements it.
 */
@FunctionalInterface
public interface InventoryTarget {
  /**
   * Adds or replaces a host in a group, creating the group if needed.
   *
   * @param group the group name; {@code "all"} for hosts without a group
   * @param host the host
   * @throws IllegalArgumentException if the target refuses the group or host
   */
  void addHost(String group, HostState host);
}
