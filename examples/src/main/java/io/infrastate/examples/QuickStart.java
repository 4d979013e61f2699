package io.infrastate.examples;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import java.nio.file.Path;

/**
 * The README's quick start: a local state file, no server, no credentials. Run it with the README's
 * demo command; pass a path to use another file than {@code ./demo-state.json}.
 */
public final class QuickStart {
  private QuickStart() {}

  /**
   * Runs the quick start.
   *
   * @param args an optional state file path
   */
  public static void main(String[] args) {
    Path file = Path.of(args.length > 0 ? args[0] : "demo-state.json");
    // --8<-- [start:quickstart]
    try (State state = State.open(file.toString())) {
      // write-through: each call is one atomic, durable write
      state.addHost(HostState.builder("web01")
          .address("192.168.1.10").port(22).user("admin").group("webservers")
          .var("http_port", 80)
          .build());

      // many changes, one write; the function may run again if another process wrote meanwhile
      state.update(AuditEntry.of("provision db tier").withReason("ticket OPS-42"), tx -> {
        tx.addHost(HostState.builder("db01").address("192.168.1.20").port(22).user("admin")
            .group("databases").var("postgres_version", "15").build());
        tx.addResource("linode:12345678", ResourceState.builder("linode", "12345678")
            .name("db01").data("region", "us-east").tag("environment", "production").build());
      });

      for (HostState h : state.allHosts()) {
        System.out.printf("host %-6s %s:%d (%s)%n", h.name(), h.address(), h.port(), h.group());
      }
      System.out.println("linodes: " + state.getResourcesByType("linode").size());
      System.out.println("serial " + state.metadata().serial() + ", lineage " + state.metadata().lineage());
      for (VersionInfo v : state.history(3)) {
        System.out.println("  v" + v.serial() + " " + v.operator() + ": " + v.message());
      }
    }
    // --8<-- [end:quickstart]
    System.out.println("state written to " + file.toAbsolutePath());
  }
}
