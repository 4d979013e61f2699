package io.infrastate.examples;

import io.infrastate.Allocator;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.Validator;
import io.infrastate.model.Violation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Seed 004, the Python infrastructure module ({@code InfrastructureState} of the Hostomatic
 * orchestrator): droplets and project services in one state, the relationships it computes
 * (services on a droplet, load-balancer targets, who monitors whom), deterministic hash-based
 * ports, validation that vetoes a bad write, and a summary.
 *
 * <p>Droplets are hosts (group = role; size, region and the droplets they monitor are vars);
 * services are resources of type {@code service} keyed {@code service:<project>-<env>-<type>},
 * whose data holds the port and the droplets they run on. Run it with
 * {@code java -cp examples/target/infrastate.jar io.infrastate.examples.InfrastructureModule}; it
 * writes {@code ./infrastructure-state.json} (or the path given). Run it twice: the ports stay
 * the same.
 */
public final class InfrastructureModule {
  private InfrastructureModule() {}

  /** Services that sit behind the load balancer (as the seed's "web services only"). */
  static final Set<String> WEB_SERVICES = Set.of("backend", "frontend");

  /** The seed's port range for services: 8000..8999. */
  static final int BASE_PORT = 8000;

  static final int PORT_RANGE = 1000;

  /**
   * The seed's {@code InfrastructureState}, as a typed facade over a {@link State}: every write
   * is one durable compare-and-swap, checked by {@link #RULES}. Instances are thread-safe (the
   * {@link State} is).
   */
  public static final class InfrastructureState implements AutoCloseable {
    private final State state;

    /**
     * Opens the state.
     *
     * @param uri a path or state URI
     */
    public InfrastructureState(String uri) {
      this.state = State.open(uri, StateOptions.builder().validator(RULES).build());
    }

    /**
     * {@code add_droplet}: adds or updates a droplet.
     *
     * @param name the droplet name
     * @param ip its address
     * @param size its size slug
     * @param region its region
     * @param role master or web
     * @param monitors the droplets it health-checks
     */
    public void addDroplet(String name, String ip, String size, String region, String role, List<String> monitors) {
      state.addHost(HostState.builder(name).address(ip).port(22).user("root").group(role)
          .var("size", size).var("region", region).var("role", role).var("monitors", monitors).build(),
          AuditEntry.of("add droplet " + name));
    }

    /**
     * {@code add_project_service}: adds a service on droplets, with a hash-based port that stays the
     * same for the service once recorded and never collides with another service's port. The port
     * is chosen inside the write, so two processes adding services at once cannot both take one.
     *
     * @param project such as hostomatic
     * @param env such as prod
     * @param type such as backend
     * @param droplets the droplets it runs on
     * @return the port
     * @throws InvalidStateException if a rule vetoes it (nothing is written)
     */
    public int addProjectService(String project, String env, String type, List<String> droplets) {
      String name = serviceName(project, env, type);
      String key = "service:" + name;
      int[] port = new int[1];
      state.update(AuditEntry.of("add service " + name), tx -> {
        Object recorded = tx.getResource(key).map(r -> r.data().get("port")).orElse(null);
        if (recorded instanceof Integer p) {
          port[0] = p;
        } else {
          Set<Integer> taken = new HashSet<>();
          tx.getResourcesByType("service").forEach(r -> {
            if (r.data().get("port") instanceof Integer p) {
              taken.add(p);
            }
          });
          port[0] = Allocator.port(name, BASE_PORT, PORT_RANGE, taken::contains);
        }
        tx.addResource(key, ResourceState.builder("service", name).name(type)
            .data("project", project).data("environment", env).data("service_type", type)
            .data("port", port[0]).data("assigned_droplets", droplets).build());
      });
      return port[0];
    }

    /**
     * {@code get_service_name}.
     *
     * @param project the project
     * @param env the environment
     * @param type the service type
     * @return {@code project-env-type}
     */
    public static String serviceName(String project, String env, String type) {
      return project + "-" + env + "-" + type;
    }

    /**
     * {@code get_services_on_droplet}.
     *
     * @param droplet the droplet
     * @return the service names assigned to it, in key order
     */
    public List<String> servicesOnDroplet(String droplet) {
      List<String> out = new ArrayList<>();
      for (ResourceState r : state.getResourcesByType("service")) {
        if (droplets(r).contains(droplet)) {
          out.add(r.id());
        }
      }
      return out;
    }

    /**
     * {@code get_load_balancer_targets}: {@code ip:port} of every droplet a web service runs on.
     *
     * @param project the project
     * @param env the environment
     * @param type the service type
     * @return the targets; empty for a service that is not a web service
     */
    public List<String> loadBalancerTargets(String project, String env, String type) {
      if (!WEB_SERVICES.contains(type)) {
        return List.of();
      }
      Snapshot s = state.snapshot();
      Optional<ResourceState> service = s.getResource("service:" + serviceName(project, env, type));
      List<String> out = new ArrayList<>();
      service.ifPresent(r -> {
        for (String d : droplets(r)) {
          s.getHost(d).ifPresent(h -> out.add(h.address() + ":" + r.data().get("port")));
        }
      });
      return out;
    }

    /**
     * {@code get_monitored_by}.
     *
     * @param droplet the droplet
     * @return the droplets that list it in their {@code monitors}
     */
    public List<String> monitoredBy(String droplet) {
      List<String> out = new ArrayList<>();
      for (HostState h : state.allHosts()) {
        if (h.vars().get("monitors") instanceof List<?> l && l.contains(droplet)) {
          out.add(h.name());
        }
      }
      return out;
    }

    /**
     * {@code get_hash_based_port}: the port a project and environment hash to, the same in every run
     * and on every machine.
     *
     * @param project the project
     * @param env the environment
     * @param base the first port
     * @param range how many ports
     * @return the port
     */
    public static int hashBasedPort(String project, String env, int base, int range) {
      return Allocator.hashBasedPort(project + "-" + env, base, range);
    }

    /**
     * {@code validate_state}: the rules' findings on the current version (empty when valid).
     *
     * @return one line per issue
     */
    public List<String> validateState() {
      return RULES.validate(state.snapshot()).stream().map(Violation::toString).toList();
    }

    /**
     * {@code get_summary}.
     *
     * @return counts of droplets by role and services by project
     */
    public String summary() {
      Map<String, Integer> byProject = new java.util.TreeMap<>();
      for (ResourceState r : state.getResourcesByType("service")) {
        byProject.merge((String) r.data().get("project"), 1, Integer::sum);
      }
      return state.summary() + "\nservices by project: " + byProject + "\nserial " + state.metadata().serial();
    }

    @Override
    public void close() {
      state.close();
    }
  }

  static List<String> droplets(ResourceState service) {
    List<String> out = new ArrayList<>();
    if (service.data().get("assigned_droplets") instanceof List<?> l) {
      l.forEach(d -> out.add(String.valueOf(d)));
    }
    return out;
  }

  /**
   * The module's rules, checked before every write: a service's port is an integer in the service
   * range, it runs only on droplets that exist, and no two services share a port on one droplet.
   */
  public static final Validator RULES = proposed -> {
    List<Violation> out = new ArrayList<>();
    Map<String, String> portOwners = new HashMap<>();
    proposed.resources().forEach((key, r) -> {
      if (!r.type().equals("service")) {
        return;
      }
      String at = "$.resources['" + key + "']";
      if (!(r.data().get("port") instanceof Integer p) || p < BASE_PORT || p >= BASE_PORT + PORT_RANGE) {
        out.add(new Violation(at + ".data.port", "must be an integer in " + BASE_PORT + ".." + (BASE_PORT + PORT_RANGE - 1)));
        return;
      }
      for (String d : droplets(r)) {
        if (!proposed.hasHost(d)) {
          out.add(new Violation(at + ".data.assigned_droplets", "droplet " + d + " does not exist"));
        }
        String other = portOwners.putIfAbsent(d + ":" + p, r.id());
        if (other != null) {
          out.add(new Violation(at + ".data.port", "port " + p + " on " + d + " is already used by " + other));
        }
      }
    });
    return out;
  };

  /**
   * Runs the example.
   *
   * @param args an optional state file path
   */
  public static void main(String[] args) {
    Path file = Path.of(args.length > 0 ? args[0] : "infrastructure-state.json");
    try (InfrastructureState infra = new InfrastructureState(file.toString())) {
      infra.addDroplet("master", "10.0.0.1", "s-2vcpu-4gb", "lon1", "master", List.of("web1", "web2"));
      infra.addDroplet("web1", "10.0.0.11", "s-2vcpu-4gb", "lon1", "web", List.of("web2"));
      infra.addDroplet("web2", "10.0.0.12", "s-2vcpu-4gb", "lon1", "web", List.of("web1"));

      System.out.println("hash-based port for hostomatic/prod: "
          + InfrastructureState.hashBasedPort("hostomatic", "prod", BASE_PORT, PORT_RANGE));
      for (String type : List.of("backend", "frontend")) {
        int port = infra.addProjectService("hostomatic", "prod", type, List.of("web1", "web2"));
        System.out.println("service hostomatic-prod-" + type + " port " + port + " on web1, web2");
      }
      int worker = infra.addProjectService("hostomatic", "prod", "worker", List.of("master"));
      System.out.println("service hostomatic-prod-worker port " + worker + " on master");
      int pixo = infra.addProjectService("digitalpixo", "prod", "backend", List.of("web1"));
      System.out.println("service digitalpixo-prod-backend port " + pixo + " on web1");

      System.out.println("services on web1: " + infra.servicesOnDroplet("web1"));
      System.out.println("load balancer targets for hostomatic-prod-backend: "
          + infra.loadBalancerTargets("hostomatic", "prod", "backend"));
      System.out.println("web1 is monitored by: " + infra.monitoredBy("web1"));

      try {
        infra.addProjectService("digitalpixo", "prod", "api", List.of("web9"));
      } catch (InvalidStateException e) {
        System.out.println("refused: " + e.violations());
      }
      List<String> issues = infra.validateState();
      System.out.println("validate: " + (issues.isEmpty() ? "no issues" : issues));
      System.out.println(infra.summary());
    }
    System.out.println("state written to " + file.toAbsolutePath());
  }
}
