package io.infrastate.inventory;

import io.infrastate.model.HostState;
import io.infrastate.model.InventoryHost;
import io.infrastate.model.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An inventory host: a name, the connection fields Ansible knows as {@code ansible_host}, {@code
 * ansible_port} and {@code ansible_user}, and the other host variables. Immutable; instances are
 * thread-safe.
 *
 * <h2>Canonical form</h2>
 *
 * The connection fields and the {@code ansible_*} variables are two spellings of the same thing, so
 * the constructor keeps one: a variable {@code ansible_host} or {@code ansible_user} holding a
 * non-empty string, or {@code ansible_port} holding an integer 1..65535, moves into the field when
 * the field is unset; when the field is set, it wins and the variable is dropped. Values that do not
 * fit a field (say {@code ansible_port: "22"}, a string) stay in {@link #vars()} unchanged. Two hosts
 * are therefore equal exactly when Ansible sees the same host variables ({@link #hostVars()}), up to
 * order.
 *
 * @param name the inventory hostname, not empty
 * @param address the address to connect to ({@code ansible_host}); empty if unset
 * @param port the SSH port ({@code ansible_port}), 0..65535; 0 if unset
 * @param user the login user ({@code ansible_user}); empty if unset
 * @param vars the other host variables: JSON-compatible values (see {@link HostState#vars()}),
 *     deep-copied and frozen
 */
public record Host(String name, String address, int port, String user, Map<String, Object> vars)
    implements InventoryHost {

  /** The variable that carries {@link #address()}. */
  public static final String ANSIBLE_HOST = "ansible_host";

  /** The variable that carries {@link #port()}. */
  public static final String ANSIBLE_PORT = "ansible_port";

  /** The variable that carries {@link #user()}. */
  public static final String ANSIBLE_USER = "ansible_user";

  /**
   * Creates a host in canonical form (see the class description).
   *
   * @param name the inventory hostname, not empty
   * @param address the address to connect to ({@code ansible_host}); empty if unset
   * @param port the SSH port ({@code ansible_port}), 0..65535; 0 if unset
   * @param user the login user ({@code ansible_user}); empty if unset
   * @param vars the other host variables: JSON-compatible values (see {@link HostState#vars()}),
   *     deep-copied and frozen
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if the name is empty, the port is out of range, or a var is
   *     not JSON-compatible
   */
  public Host {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("host name must not be empty");
    }
    address = address == null ? "" : address;
    user = user == null ? "" : user;
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " of host '" + name + "' is outside 0..65535");
    }
    Map<String, Object> frozen = Json.freezeObject(vars, "hosts." + name + ".vars");
    if (frozen.containsKey(ANSIBLE_HOST)
        || frozen.containsKey(ANSIBLE_PORT)
        || frozen.containsKey(ANSIBLE_USER)) {
      LinkedHashMap<String, Object> rest = new LinkedHashMap<>(frozen);
      if (rest.containsKey(ANSIBLE_HOST)
          && (!address.isEmpty() || isNonEmptyString(rest.get(ANSIBLE_HOST)))) {
        Object v = rest.remove(ANSIBLE_HOST);
        address = address.isEmpty() ? (String) v : address;
      }
      if (rest.containsKey(ANSIBLE_USER)
          && (!user.isEmpty() || isNonEmptyString(rest.get(ANSIBLE_USER)))) {
        Object v = rest.remove(ANSIBLE_USER);
        user = user.isEmpty() ? (String) v : user;
      }
      if (rest.containsKey(ANSIBLE_PORT) && (port != 0 || isPort(rest.get(ANSIBLE_PORT)))) {
        Object v = rest.remove(ANSIBLE_PORT);
        port = port != 0 ? port : ((Number) v).intValue();
      }
      frozen = Json.freezeObject(rest, "hosts." + name + ".vars");
    }
    vars = frozen;
  }

  private static boolean isNonEmptyString(Object v) {
    return v instanceof String s && !s.isEmpty();
  }

  private static boolean isPort(Object v) {
    return (v instanceof Integer i) && i >= 1 && i <= 65535;
  }

  /**
   * A host with only a name.
   *
   * @param name the inventory hostname, not empty
   * @return a new host
   */
  public static Host of(String name) {
    return new Host(name, "", 0, "", Map.of());
  }

  /**
   * A host with a name and variables; {@code ansible_host}, {@code ansible_port} and {@code
   * ansible_user} among them go into the fields where they fit.
   *
   * @param name the inventory hostname, not empty
   * @param vars JSON-compatible host variables
   * @return a new host
   * @throws IllegalArgumentException if a var is not JSON-compatible
   */
  public static Host of(String name, Map<String, ?> vars) {
    return new Host(name, "", 0, "", Json.freezeObject(vars, "hosts." + name + ".vars"));
  }

  /**
   * Copies any inventory host.
   *
   * @param host the host to copy
   * @return a host with the same name, connection fields and vars
   */
  public static Host from(InventoryHost host) {
    if (host instanceof Host h) {
      return h;
    }
    return new Host(host.name(), host.address(), host.port(), host.user(), host.vars());
  }

  /**
   * Copies a state host: name, connection fields and vars; its group and timestamps are not part of
   * an inventory host.
   *
   * @param host the state host
   * @return a host with the same name, connection fields and vars
   */
  public static Host from(HostState host) {
    return new Host(host.name(), host.address(), host.port(), host.user(), host.vars());
  }

  /**
   * The host as a state entry, as Go-FTL2's {@code FromInventoryHost}; same as {@link
   * HostState#fromInventoryHost(InventoryHost, String)}.
   *
   * @param group the group to record; empty for none
   * @return a new host state with unset timestamps
   */
  public HostState toHostState(String group) {
    return HostState.fromInventoryHost(this, group);
  }

  /**
   * The variables as Ansible sees them for this host alone: {@code ansible_host}, {@code
   * ansible_port} and {@code ansible_user} for the fields that are set, then {@link #vars()}. Group
   * variables are not included; see {@link Inventory#effectiveVars(String)}.
   *
   * @return an immutable map in that order
   */
  public Map<String, Object> hostVars() {
    if (address.isEmpty() && port == 0 && user.isEmpty()) {
      return vars;
    }
    LinkedHashMap<String, Object> all = new LinkedHashMap<>(vars.size() + 4);
    if (!address.isEmpty()) {
      all.put(ANSIBLE_HOST, address);
    }
    if (port != 0) {
      all.put(ANSIBLE_PORT, port);
    }
    if (!user.isEmpty()) {
      all.put(ANSIBLE_USER, user);
    }
    all.putAll(vars);
    return Json.adoptObject(all);
  }

  /**
   * Returns a copy with another address.
   *
   * @param newAddress the address; empty to unset
   * @return a new host
   */
  public Host withAddress(String newAddress) {
    return new Host(name, newAddress, port, user, vars);
  }

  /**
   * Returns a copy with another port.
   *
   * @param newPort 0..65535; 0 to unset
   * @return a new host
   * @throws IllegalArgumentException if out of range
   */
  public Host withPort(int newPort) {
    return new Host(name, address, newPort, user, vars);
  }

  /**
   * Returns a copy with another user.
   *
   * @param newUser the user; empty to unset
   * @return a new host
   */
  public Host withUser(String newUser) {
    return new Host(name, address, port, newUser, vars);
  }

  /**
   * Returns a copy whose vars are replaced.
   *
   * @param newVars JSON-compatible values
   * @return a new host
   */
  public Host withVars(Map<String, ?> newVars) {
    return new Host(name, address, port, user, Json.freezeObject(newVars, "hosts." + name + ".vars"));
  }

  /**
   * Returns a copy with one variable set. Setting {@code ansible_host}, {@code ansible_port} or
   * {@code ansible_user} to a value that fits sets the field instead.
   *
   * @param key the variable name
   * @param value a JSON-compatible value
   * @return a new host
   */
  public Host withVar(String key, Object value) {
    Objects.requireNonNull(key, "key");
    LinkedHashMap<String, Object> copy = new LinkedHashMap<>(vars);
    String a = address;
    int p = port;
    String u = user;
    switch (key) {
      case ANSIBLE_HOST -> a = "";
      case ANSIBLE_PORT -> p = 0;
      case ANSIBLE_USER -> u = "";
      default -> { }
    }
    copy.put(key, Json.freeze(value, "hosts." + name + ".vars." + key));
    return new Host(name, a, p, u, copy);
  }
}
