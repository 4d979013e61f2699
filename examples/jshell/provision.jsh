// A provisioning script: run with
//   jshell --class-path examples/target/infrastate.jar examples/jshell/provision.jsh
// It records two hosts and a load balancer in ./provision-state.json (or $INFRASTATE_STATE).
// It stops at the first error with exit code 1: the body is one block, and the exit status is
// set to 0 only when all of it ran (a block that does not even compile leaves it at 1).
import io.infrastate.*;
import io.infrastate.model.*;

int status = 1;
try {
  var path = System.getenv().getOrDefault("INFRASTATE_STATE", "provision-state.json");
  try (var state = State.open(path)) {
    for (var i = 1; i <= 2; i++) {
      state.addHost(HostState.builder("web0" + i).address("10.0.1." + (10 + i)).port(22).user("deploy")
          .group("web").var("role", "frontend").build());
    }
    state.addResource("lb:edge", ResourceState.builder("load_balancer", "edge").name("edge")
        .data("targets", state.allHosts().stream().map(HostState::address).toList()).build());
    System.out.println("hosts=" + state.allHosts().size() + " serial=" + state.metadata().serial());
    System.out.println("lb targets=" + state.getResource("lb:edge").orElseThrow().data().get("targets"));
  }
  status = 0;
} catch (Exception e) {
  System.err.println("provision.jsh: " + e.getMessage());
}
/exit status
