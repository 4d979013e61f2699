package io.infrastate.git;

import io.infrastate.AuditEntry;
import io.infrastate.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import java.time.Duration;

/**
 * A child JVM for the multi-process tests: opens a state by URI and increments the shared counter
 * {@code counter:total} and its own counter {@code counter:NAME}, once per write, {@code count}
 * times. Exits 0 after printing {@code done NAME}.
 *
 * <p>Usage: {@code CounterWriter URI NAME COUNT}
 */
public final class CounterWriter {
  private CounterWriter() {}

  /**
   * Runs the writer.
   *
   * @param args URI, writer name, number of writes
   */
  public static void main(String[] args) {
    String uri = args[0];
    String name = args[1];
    int count = Integer.parseInt(args[2]);
    StateOptions options = StateOptions.builder()
        .operator(name + "@writer")
        .maxAttempts(1000)
        .retryBackoff(Duration.ofMillis(2))
        .build();
    try (State state = State.open(uri, options)) {
      for (int i = 0; i < count; i++) {
        increment(state, name);
      }
    }
    System.out.println("done " + name);
  }

  /** One write: both counters plus one. */
  static void increment(State state, String name) {
    state.update(AuditEntry.of("increment counter for " + name), tx -> {
      bump(tx, "total");
      bump(tx, name);
    });
  }

  private static void bump(io.infrastate.Transaction tx, String which) {
    String key = "counter:" + which;
    long n = tx.getResource(key).map(r -> ((Number) r.data().get("n")).longValue()).orElse(0L);
    tx.addResource(key, ResourceState.builder("counter", which).data("n", n + 1).build());
  }

  /** The value of a counter in a snapshot, 0 if absent. */
  static long value(io.infrastate.Snapshot s, String which) {
    return s.getResource("counter:" + which).map(r -> ((Number) r.data().get("n")).longValue()).orElse(0L);
  }
}
