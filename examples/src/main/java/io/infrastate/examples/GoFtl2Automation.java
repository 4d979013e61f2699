package io.infrastate.examples;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.inventory.AnsibleYaml;
import io.infrastate.inventory.Group;
import io.infrastate.inventory.Host;
import io.infrastate.inventory.Inventory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Seed 001, Go-FTL2: the automation context that adds hosts during a run, to the run's inventory
 * and, write-through, to the state ({@code AutomationContext.AddHost}); a later run starts by
 * merging the state into its inventory ({@code MergeToInventory}), so hosts provisioned by a run
 * that failed halfway are not lost.
 *
 * <p>Run it with {@code java -cp examples/target/infrastate.jar io.infrastate.examples.GoFtl2Automation};
 * it writes {@code ./go-ftl2-state.json} (or the path given).
 */
public final class GoFtl2Automation {
  private GoFtl2Automation() {}

  /**
   * Go's {@code HostConfig}.
   *
   * @param address the address
   * @param port the SSH port
   * @param user the login user
   * @param group the inventory group
   * @param vars host variables
   */
  public record HostConfig(String address, int port, String user, String group, Map<String, Object> vars) {}

  /**
   * Go's automation {@code Context}: an inventory for this run and, optionally, the state that
   * outlives it. Not thread-safe as a whole (the inventory and the state are, each on its own);
   * use one per run.
   */
  public static final class AutomationContext {
    private final Inventory inventory;
    private final State state;

    /**
     * A context for one run.
     *
     * @param inventory this run's inventory
     * @param state the state, or null when state is disabled (as in Go)
     */
    public AutomationContext(Inventory inventory, State state) {
      this.inventory = Objects.requireNonNull(inventory, "inventory");
      this.state = state;
    }

    /**
     * Starts a run from what earlier runs recorded: every host of the state goes into a new
     * inventory, in its group ({@code state.MergeToInventory(inv)}).
     *
     * @param state the state
     * @return a context whose inventory holds the state's hosts
     */
    public static AutomationContext resume(State state) {
      Inventory inventory = Inventory.create();
      state.mergeToInventory(inventory);
      return new AutomationContext(inventory, state);
    }

    /**
     * {@code AddHost}: adds the host to this run's inventory, then persists it (one durable write),
     * so a run that fails later still leaves it recorded.
     *
     * @param name the host name
     * @param config its connection details, group and vars
     */
    public void addHost(String name, HostConfig config) {
      inventory.putHost(config.group(), new Host(name, config.address(), config.port(), config.user(), config.vars()));
      if (state != null) {
        state.addHost(HostState.builder(name).address(config.address()).port(config.port()).user(config.user())
            .group(config.group()).vars(config.vars()).build());
      }
    }

    /**
     * This run's inventory.
     *
     * @return the inventory
     */
    public Inventory inventory() {
      return inventory;
    }

    /**
     * The state, if enabled.
     *
     * @return the state
     */
    public Optional<State> state() {
      return Optional.ofNullable(state);
    }
  }

  static List<String> members(Inventory inv, String group) {
    return inv.group(group).map(Group::hosts).orElse(List.of());
  }

  /**
   * Runs the example.
   *
   * @param args an optional state file path
   */
  public static void main(String[] args) {
    Path file = Path.of(args.length > 0 ? args[0] : "go-ftl2-state.json");
    try (State state = State.open(file.toString())) {
      // Run 1 provisions two web servers, then fails before the database.
      AutomationContext run1 = new AutomationContext(Inventory.create(), state);
      try {
        for (String web : List.of("web01", "web02")) {
          run1.addHost(web, new HostConfig("10.0.1.1" + web.charAt(4), 22, "deploy", "webservers", Map.of("http_port", 80)));
          System.out.println("run 1: added " + web + " (state serial " + state.metadata().serial() + ")");
        }
        throw new IllegalStateException("provider timeout while creating db01");
      } catch (IllegalStateException e) {
        System.out.println("run 1 failed: " + e.getMessage());
      }

      // Run 2 starts from the state: the hosts of run 1 are in its inventory.
      AutomationContext run2 = AutomationContext.resume(state);
      System.out.println("run 2 starts with webservers " + members(run2.inventory(), "webservers"));
      run2.addHost("db01", new HostConfig("10.0.2.1", 22, "deploy", "databases", Map.of("postgres_version", "15")));
      System.out.println("run 2: added db01 (state serial " + state.metadata().serial() + ")");
      System.out.println("inventory of run 2, as Ansible YAML:");
      System.out.print(AnsibleYaml.toYaml(run2.inventory()));
    }
    System.out.println("state written to " + file.toAbsolutePath());
  }
}
