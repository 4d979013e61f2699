package io.infrastate.file;

import io.infrastate.AuditEntry;
import io.infrastate.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import java.nio.file.Path;

/**
 * Child JVM: increments the counter resource N times through its own State handle on a journaled
 * backend that compacts in the background every 25 records, so that processes append while others
 * compact.
 */
public final class JournalCounterWriter {
  private JournalCounterWriter() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    int n = Integer.parseInt(args[1]);
    String who = args[2];
    try (JournalFileBackend backend = JournalFileBackend.builder(file).compactEvery(25).build();
        State state = State.load(backend, StateOptions.builder().maxAttempts(1000).operator(who).build())) {
      for (int i = 0; i < n; i++) {
        state.update(AuditEntry.of("increment by " + who), tx -> {
          int v = tx.getResource("counter").map(r -> ((Number) r.data().get("value")).intValue()).orElse(0);
          tx.addResource("counter", ResourceState.builder("counter", "c").data("value", v + 1).data("last", who).build());
        });
      }
    }
    System.out.println("done " + who);
  }
}
