package io.infrastate.git;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;

/**
 * A child JVM for the multi-process tests: opens a state by URI and increments the shared counter
 * {@code counter:total} and its own counter {@code counter:NAME}, once per write, {@code count}
 * times, with default options. Prints {@code attempts N} (the most attempts one write took) and
 * exits 0 after printing {@code done NAME}.
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
    StateOptions options = StateOptions.builder().operator(name + "@writer").build();
    try (State state = State.open(uri, options)) {
      int maxRuns = 0;
      for (int i = 0; i < count; i++) {
        maxRuns = Math.max(maxRuns, increment(state, name));
      }
      // how often one write was applied at most: its attempts
      System.out.println("attempts " + maxRuns);
    }
    System.out.println("done " + name);
  }

  /**
   * One write: both counters plus one.
   *
   * @return how often the change was applied (the write's attempts)
   */
  static int increment(State state, String name) {
    int[] runs = {0};
    state.update(AuditEntry.of("increment counter for " + name), tx -> {
      runs[0]++;
      bump(tx, "total");
      bump(tx, name);
    });
    return runs[0];
  }

  private static void bump(io.infrastate.Transaction tx, String which) {
    String key = "counter:" + which;
    long n = tx.getResource(key).map(r -> ((Number) r.data().get("n")).longValue()).orElse(0L);
    tx.addResource(key, ResourceState.builder("counter", which).data("n", n + 1).build());
  }

  /** The value of a counter in a snapshot, 0 if absent. */
  static long value(io.infrastate.model.Snapshot s, String which) {
    return s.getResource("counter:" + which).map(r -> ((Number) r.data().get("n")).longValue()).orElse(0L);
  }
}
