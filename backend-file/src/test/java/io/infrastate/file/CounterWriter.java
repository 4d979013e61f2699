package io.infrastate.file;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import java.nio.file.Path;

/**
 * Child JVM: increments the counter resource N times through its own State handle. Usage: {@code
 * CounterWriter FILE N NAME MODE}; in journal mode the backend compacts in the background every 25
 * records, so that processes append while others compact.
 */
public final class CounterWriter {
  private CounterWriter() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    int n = Integer.parseInt(args[1]);
    String who = args[2];
    FileMode mode = FileMode.valueOf(args[3]);
    try (FileBackend backend = mode.journal ? mode.builder(file).compactEvery(25).build() : mode.open(file);
        State state = State.load(backend, StateOptions.builder().operator(who).build())) {
      int maxRuns = 0;
      for (int i = 0; i < n; i++) {
        int[] runs = {0};
        state.update(AuditEntry.of("increment by " + who), tx -> {
          runs[0]++;
          int v = tx.getResource("counter").map(r -> ((Number) r.data().get("value")).intValue()).orElse(0);
          tx.addResource("counter", ResourceState.builder("counter", "c").data("value", v + 1).data("last", who).build());
        });
        maxRuns = Math.max(maxRuns, runs[0]);
      }
      // how often one write was applied at most: its attempts
      System.out.println("attempts " + maxRuns);
    }
    System.out.println("done " + who);
  }
}
