// A report on a state: what it holds, who changed it last, what changed since the first version,
// and its hosts as an Ansible inventory. Run after provision.jsh:
//   jshell --class-path examples/target/infrastate.jar examples/jshell/report.jsh
// It reads ./provision-state.json (or $INFRASTATE_STATE) and writes nothing.
import io.infrastate.*;
import io.infrastate.inventory.*;

var path = System.getenv().getOrDefault("INFRASTATE_STATE", "provision-state.json");
try (var state = State.open(path)) {
  System.out.println(state.summary());
  for (var v : state.history(3)) {
    System.out.println("v" + v.serial() + " " + v.operator() + ": " + v.message());
  }
  var first = state.history().get(state.history().size() - 1).serial();
  System.out.println("since v" + first + ": " + StateDiff.between(state.at(first).orElseThrow(), state.snapshot()).summary());
  System.out.print(AnsibleYaml.toYaml(Inventory.from(state.snapshot())));
}
/exit
