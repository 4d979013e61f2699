// A report on a state: what it holds, who changed it last, what changed since the first version,
// and its hosts as an Ansible inventory. Run after provision.jsh:
//   jshell --class-path examples/target/infrastate.jar examples/jshell/report.jsh
// It reads ./provision-state.json (or $INFRASTATE_STATE) and writes nothing. It stops at the first
// error with exit code 1: the body is one block, and the exit status is set to 0 only when all of
// it ran (a block that does not even compile leaves it at 1).
import io.infrastate.*;
import io.infrastate.model.*;
import io.infrastate.inventory.*;

int status = 1;
try {
  var path = System.getenv().getOrDefault("INFRASTATE_STATE", "provision-state.json");
  try (var state = State.open(path)) {
    System.out.println(state.summary());
    var history = state.history();
    if (history.isEmpty()) {
      System.out.println("no versions yet: nothing was ever written to " + state.location());
    } else {
      for (var v : state.history(3)) {
        System.out.println("v" + v.serial() + " " + v.operator() + ": " + v.message());
      }
      var first = history.get(history.size() - 1).serial();
      var from = state.at(first).orElseThrow(() -> new IllegalStateException("version " + first + " is listed but not stored"));
      System.out.println("since v" + first + ": " + StateDiff.between(from, state.snapshot()).summary());
    }
    System.out.print(AnsibleYaml.toYaml(Inventory.from(state.snapshot())));
  }
  status = 0;
} catch (Exception e) {
  System.err.println("report.jsh: " + e.getMessage());
}
/exit status
