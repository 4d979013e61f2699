package io.infrastate.model;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A provisioned host, as Go-FTL2's {@code HostState}: name, connection details, free-form vars and
 * an optional group. Immutable; build one with {@link #builder(String)} and copy it with the
 * {@code with…} methods.
 *
 * <p>{@code vars} holds JSON-compatible values only (see {@link #vars()}); they are deep-copied and
 * frozen on construction. Timestamps are set by the {@link io.infrastate.State} when the host is written: a new
 * host gets {@code createdAt = updatedAt = now}, an update keeps {@code createdAt} and sets {@code
 * updatedAt}, exactly as the Go code does. A host that was never written carries {@link
 * #UNSET_TIME}, Go's zero time.
 *
 * <pre>{@code
 * HostState web = HostState.builder("web01")
 *     .address("10.0.0.5").port(22).user("deploy").group("webservers")
 *     .var("http_port", 80)
 *     .build();
 * }</pre>
 *
 * @param name the host name; also its key in the state
 * @param address the address to connect to, empty if unknown
 * @param port the SSH port, 0..65535 (0 means unset, as in Go)
 * @param user the login user, empty if unset
 * @param vars host variables: JSON-compatible values, immutable
 * @param group the inventory group, empty for none (merged into {@code all})
 * @param createdAt when the host was first written
 * @param updatedAt when the host was last written
 */
public record HostState(
    String name,
    String address,
    int port,
    String user,
    Map<String, Object> vars,
    String group,
    Instant createdAt,
    Instant updatedAt) {

  /** Go's zero {@code time.Time}, {@code 0001-01-01T00:00:00Z}: the time of a host never written. */
  // From epoch seconds, not parsed: Instant.parse initializes java.time's formatters (and regex),
  // about 10 ms of every command-line run's first load for a constant.
  public static final Instant UNSET_TIME = Instant.ofEpochSecond(-62_135_596_800L);

  /**
   * Creates a host, copying and freezing {@code vars}.
   *
   * @param name the host name; also its key in the state
   * @param address the address to connect to, empty if unknown
   * @param port the SSH port, 0..65535 (0 means unset, as in Go)
   * @param user the login user, empty if unset
   * @param vars host variables: JSON-compatible values, immutable
   * @param group the inventory group, empty for none (merged into {@code all})
   * @param createdAt when the host was first written
   * @param updatedAt when the host was last written
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if a var is not JSON-compatible
   */
  public HostState {
    Objects.requireNonNull(name, "name");
    address = address == null ? "" : address;
    user = user == null ? "" : user;
    group = group == null ? "" : group;
    vars = Json.freezeObject(vars, "vars");
    createdAt = createdAt == null ? UNSET_TIME : createdAt;
    updatedAt = updatedAt == null ? UNSET_TIME : updatedAt;
  }

  /**
   * Starts a builder for a host.
   *
   * @param name the host name, not empty
   * @return a new builder
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * Creates a host from an inventory host, as Go's {@code FromInventoryHost}: name, address, port,
   * user and vars are taken over and {@code group} is set. An empty group is kept empty; it is
   * merged into {@code all} by {@link io.infrastate.State#mergeToInventory(InventoryTarget)}.
   *
   * @param host the inventory host
   * @param group the group to record, may be empty
   * @return a new host state with unset timestamps
   */
  public static HostState fromInventoryHost(InventoryHost host, String group) {
    return new HostState(
        host.name(), host.address(), host.port(), host.user(), host.vars(), group, null, null);
  }

  /**
   * Returns a builder holding this host's values, for copies that change several fields.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder(name).address(address).port(port).user(user).group(group).vars(vars);
    b.createdAt = createdAt;
    b.updatedAt = updatedAt;
    return b;
  }

  /**
   * Returns a copy with another address.
   *
   * @param newAddress the address
   * @return a new host state
   */
  public HostState withAddress(String newAddress) {
    return new HostState(name, newAddress, port, user, vars, group, createdAt, updatedAt);
  }

  /**
   * Returns a copy with another port.
   *
   * @param newPort the port, 0..65535
   * @return a new host state
   * @throws IllegalArgumentException if the port is out of range
   */
  public HostState withPort(int newPort) {
    return new HostState(name, address, checkPort(newPort), user, vars, group, createdAt, updatedAt);
  }

  /**
   * Returns a copy with another user.
   *
   * @param newUser the user
   * @return a new host state
   */
  public HostState withUser(String newUser) {
    return new HostState(name, address, port, newUser, vars, group, createdAt, updatedAt);
  }

  /**
   * Returns a copy with another group.
   *
   * @param newGroup the group, empty for none
   * @return a new host state
   */
  public HostState withGroup(String newGroup) {
    return new HostState(name, address, port, user, vars, newGroup, createdAt, updatedAt);
  }

  /**
   * Returns a copy whose vars are replaced by {@code newVars}.
   *
   * @param newVars JSON-compatible values
   * @return a new host state
   */
  public HostState withVars(Map<String, ?> newVars) {
    return new HostState(name, address, port, user, Json.freezeObject(newVars, "vars"), group, createdAt, updatedAt);
  }

  /**
   * Returns a copy with one var set (added or replaced).
   *
   * @param key the var name
   * @param value a JSON-compatible value
   * @return a new host state
   */
  public HostState withVar(String key, Object value) {
    LinkedHashMap<String, Object> copy = new LinkedHashMap<>(vars);
    copy.put(Objects.requireNonNull(key, "key"), value);
    return withVars(copy);
  }

  /**
   * The var {@code key} if it holds a {@link Secret} (set with {@link Builder#secretVar(String,
   * String)}, or read from storage in its sealed form).
   *
   * @param key the var name
   * @return the secret, or empty if the var is absent or not secret
   */
  public Optional<Secret> secretVar(String key) {
    return vars.get(key) instanceof Secret s ? Optional.of(s) : Optional.empty();
  }

  /**
   * Returns a copy with other timestamps. The {@link io.infrastate.State} sets timestamps on write; this is for
   * importers and tests.
   *
   * @param created the creation time
   * @param updated the last update time
   * @return a new host state
   */
  public HostState withTimestamps(Instant created, Instant updated) {
    return new HostState(name, address, port, user, vars, group, created, updated);
  }

  static int checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 0..65535");
    }
    return port;
  }

  /** Builds a {@link HostState}. Not thread-safe; use one per thread. */
  public static final class Builder {
    private final String name;
    private String address = "";
    private int port;
    private String user = "";
    private String group = "";
    private final LinkedHashMap<String, Object> vars = new LinkedHashMap<>();
    private Instant createdAt;
    private Instant updatedAt;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("host name must not be empty");
      }
      this.name = name;
    }

    /**
     * Sets the address.
     *
     * @param address an IP address or DNS name
     * @return this builder
     */
    public Builder address(String address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Sets the port.
     *
     * @param port 0..65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int port) {
      this.port = checkPort(port);
      return this;
    }

    /**
     * Sets the login user.
     *
     * @param user the user name
     * @return this builder
     */
    public Builder user(String user) {
      this.user = Objects.requireNonNull(user, "user");
      return this;
    }

    /**
     * Sets the group.
     *
     * @param group the inventory group, empty for none
     * @return this builder
     */
    public Builder group(String group) {
      this.group = Objects.requireNonNull(group, "group");
      return this;
    }

    /**
     * Sets one var.
     *
     * @param key the var name
     * @param value a JSON-compatible value
     * @return this builder
     * @throws IllegalArgumentException if the value is not JSON-compatible
     */
    public Builder var(String key, Object value) {
      Objects.requireNonNull(key, "key");
      vars.put(key, Json.freeze(value, "vars." + key));
      return this;
    }

    /**
     * Sets one secret var: stored encrypted in place and printed as {@value Secret#MASK} (see
     * {@link Secret}). Writing it needs a handle opened with a key ({@link
     * io.infrastate.crypto.Keyring#protect(io.infrastate.spi.Backend)}).
     *
     * @param key the var name
     * @param value the secret text
     * @return this builder
     */
    public Builder secretVar(String key, String value) {
      Objects.requireNonNull(key, "key");
      vars.put(key, Secret.of(value));
      return this;
    }

    /**
     * Sets several vars (added to those already set).
     *
     * @param values JSON-compatible values
     * @return this builder
     */
    public Builder vars(Map<String, ?> values) {
      values.forEach(this::var);
      return this;
    }

    /**
     * Builds the host.
     *
     * @return a new immutable host state
     */
    public HostState build() {
      return new HostState(name, address, port, user, vars, group, createdAt, updatedAt);
    }
  }
}
