package io.infrastate.postgres;

import io.infrastate.testkit.Commits;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;

/**
 * A child JVM that opens the state by URI with the default options and makes N updates, each
 * adding its own resource and incrementing a shared counter in one transaction. Prints {@code
 * COMMITTED <serial> <writer>-<i>} after each update returns. Args: uri writer count.
 */
public final class PostgresWriterMain {
  private PostgresWriterMain() {}

  public static void main(String[] args) {
    String writer = args[1];
    int count = Integer.parseInt(args[2]);
    try (State state = State.open(args[0])) {
      for (int i = 0; i < count; i++) {
        Snapshot s = increment(state, writer, i);
        System.out.println(Commits.line(s.metadata().serial(), writer + "-" + i));
      }
    }
    System.out.println("DONE " + writer);
  }

  /** One update: the writer's own resource plus the shared counter, in one transaction. */
  static Snapshot increment(State state, String writer, int i) {
    return state.update(tx -> {
      int value = tx.getResource("counter:c").map(c -> ((Number) c.data().get("value")).intValue()).orElse(0);
      tx.addResource("counter:c", ResourceState.builder("counter", "c").data("value", value + 1).build());
      tx.addResource("update:" + writer + "-" + i,
          ResourceState.builder("update", writer + "-" + i).data("seen", value).build());
    });
  }
}
