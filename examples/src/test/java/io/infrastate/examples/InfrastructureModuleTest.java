package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.Allocator;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seed 004: runs {@link InfrastructureModule#main} and checks what it printed and stored. */
class InfrastructureModuleTest {
  @TempDir Path tmp;

  @Test
  void computesRelationshipsAllocatesStablePortsAndVetoesBadServices() {
    Path file = tmp.resolve("infrastructure-state.json");
    String out = QuickStartTest.capture(() -> InfrastructureModule.main(new String[] {file.toString()}));
    int backend = Allocator.port("hostomatic-prod-backend", 8000, 1000, p -> false);
    assertThat(out)
        .contains("hash-based port for hostomatic/prod: " + Allocator.hashBasedPort("hostomatic-prod", 8000, 1000) + "\n")
        .contains("service hostomatic-prod-backend port " + backend + " on web1, web2")
        .contains("services on web1: [digitalpixo-prod-backend, hostomatic-prod-backend, hostomatic-prod-frontend]")
        .contains("load balancer targets for hostomatic-prod-backend: [10.0.0.11:" + backend + ", 10.0.0.12:" + backend + "]")
        .contains("web1 is monitored by: [master, web2]")
        .contains("refused: [$.resources['service:digitalpixo-prod-api'].data.assigned_droplets: droplet web9 does not exist]")
        .contains("validate: no issues")
        .contains("3 hosts, 4 resources")
        .contains("services by project: {digitalpixo=1, hostomatic=3}")
        .contains("serial 7");

    try (State s = State.open(file.toString())) {
      List<ResourceState> services = s.getResourcesByType("service");
      assertThat(services).hasSize(4);
      assertThat(services.stream().map(r -> r.data().get("port")).distinct()).hasSize(4);
      assertThat(s.hasResource("service:digitalpixo-prod-api")).isFalse();
      assertThat(s.getHost("web1").orElseThrow().vars()).containsEntry("monitors", List.of("web2"));
    }

    // A second run finds the recorded ports: the same ports, printed the same way.
    String again = QuickStartTest.capture(() -> InfrastructureModule.main(new String[] {file.toString()}));
    assertThat(portLines(again)).isEqualTo(portLines(out));
    assertThat(again).contains("serial 14");
  }

  private static List<String> portLines(String out) {
    return out.lines().filter(l -> l.startsWith("service ") || l.startsWith("load balancer")).toList();
  }
}
