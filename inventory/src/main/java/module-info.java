/**
 * A state as an Ansible inventory ({@code io.infrastate.inventory}): the inventory model and
 * Ansible's JSON, YAML and INI formats. {@code io.infrastate.inventory.internal} is not exported.
 */
module io.infrastate.inventory {
  requires transitive io.infrastate.core;
  requires tools.jackson.core;
  requires org.yaml.snakeyaml;

  exports io.infrastate.inventory;
}
