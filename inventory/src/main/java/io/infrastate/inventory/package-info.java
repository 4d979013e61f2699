/**
 * API: a state as a first-class Ansible inventory: the inventory model, and Ansible's dynamic-inventory
 * JSON, YAML and INI formats.
 *
 * <h2>Model</h2>
 *
 * {@link io.infrastate.inventory.Inventory} holds groups (hosts, child groups, vars) and {@link
 * io.infrastate.inventory.Host}s (name, address, port, user, vars). Every host is in {@code all}; a
 * host may be in several groups; child-group cycles are rejected with the cycle named. It is
 * thread-safe. Go-FTL2's dynamic-inventory functions map as follows:
 *
 * <ul>
 *   <li>{@code state.MergeToInventory(inv)} is {@code state.mergeToInventory(inventory)} (core),
 *       which calls {@link io.infrastate.inventory.Inventory#addHost(String,
 *       io.infrastate.model.HostState)} for each host in name order, with {@code all} for an empty group;
 *       {@link io.infrastate.inventory.Inventory#from(io.infrastate.model.Snapshot)} does the same into a
 *       new inventory.
 *   <li>{@code FromInventoryHost(host, group)} is {@link
 *       io.infrastate.model.HostState#fromInventoryHost(io.infrastate.model.InventoryHost, String)} (or {@link
 *       io.infrastate.inventory.Host#toHostState(String)}); an empty group stays empty in the state
 *       and becomes {@code all} when merged back.
 * </ul>
 *
 * <h2>Format mapping</h2>
 *
 * <table>
 *   <caption>Model to Ansible</caption>
 *   <tr><th>Model</th><th>Ansible</th></tr>
 *   <tr><td>{@code Host.address()}</td><td>{@code ansible_host} (when not empty)</td></tr>
 *   <tr><td>{@code Host.port()}</td><td>{@code ansible_port} (when not 0)</td></tr>
 *   <tr><td>{@code Host.user()}</td><td>{@code ansible_user} (when not empty)</td></tr>
 *   <tr><td>{@code Host.vars()}</td><td>host vars, JSON types kept: int, float, bool, null, string
 *       (any Unicode), list, map</td></tr>
 *   <tr><td>host in no group</td><td>{@code all.hosts}; Ansible reports it in {@code ungrouped}</td></tr>
 *   <tr><td>group vars, children</td><td>{@code vars}, {@code children} of the group</td></tr>
 * </table>
 *
 * <p>Reading goes the other way: {@code ansible_host}/{@code ansible_user} strings and {@code
 * ansible_port} integers 1..65535 become the fields; anything else stays a var (see {@link
 * io.infrastate.inventory.Host}).
 *
 * <h2>Formats</h2>
 *
 * <ul>
 *   <li>{@link io.infrastate.inventory.AnsibleJson}: the dynamic-inventory JSON ({@code --list} with
 *       {@code _meta.hostvars}, {@code --host NAME}), streamed with Jackson.
 *   <li>{@link io.infrastate.inventory.AnsibleYaml}: YAML inventories, read and write. Typing is
 *       YAML 1.1 as PyYAML does it ({@code yes}/{@code on} are true, {@code 0755} is 493, {@code
 *       1e3} is a string); strings that would read as something else are quoted on write.
 *   <li>{@link io.infrastate.inventory.AnsibleIni}: INI inventories, read. Values are typed by
 *       Python's {@code ast.literal_eval} ({@code 80} is an int, {@code True} a bool, {@code yes} a
 *       string); ranges ({@code web[01:03]}), {@code host:port}, {@code :vars} and {@code :children}
 *       work as in Ansible.
 * </ul>
 *
 * <h2>Group names</h2>
 *
 * Ansible warns about group names with a dash, dot, space or other non-word character, or a
 * leading digit. This package does not write such names silently. By default ({@link
 * io.infrastate.inventory.GroupNamePolicy#REJECT}) they are rejected with a message that suggests the
 * transformed name; with {@link io.infrastate.inventory.GroupNamePolicy#TRANSFORM} every offending
 * character becomes {@code _} ({@code web-servers} → {@code web_servers}, {@code 1st} → {@code _st}),
 * which is Ansible's own rule for {@code TRANSFORM_INVALID_GROUP_CHARS=always}. The policy applies to
 * the model and to both readers.
 *
 * <h2>Errors</h2>
 *
 * Model methods throw {@link java.lang.IllegalArgumentException} for a refused name, a cycle or a
 * value that is not JSON-compatible. Readers and writers throw {@link
 * io.infrastate.inventory.InventoryException} (a {@link io.infrastate.model.StateException}) with a {@link
 * io.infrastate.inventory.InventoryException.Kind}, the file and, where known, the line. Where
 * Ansible merely warns and drops data (unknown keys, sections that are not mappings, duplicate
 * keys, a name used for a host and a group), these readers fail instead.
 *
 * <p>The package {@code io.infrastate.inventory.internal} is not API.
 */
package io.infrastate.inventory;
