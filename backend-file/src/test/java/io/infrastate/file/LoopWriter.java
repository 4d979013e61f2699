package io.infrastate.file;

import io.infrastate.HostState;
import io.infrastate.ResourceState;
import io.infrastate.State;
import java.nio.file.Path;

/**
 * Child JVM: writes forever (batches of hosts and a counter), printing each committed serial, until
 * it is killed.
 */
public final class LoopWriter {
  private LoopWriter() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    try (FileBackend backend = FileBackend.builder(file).historyRetention(5).build();
        State state = State.load(backend)) {
      for (long i = 0; ; i++) {
        long n = i;
        state.update(tx -> {
          int v = tx.getResource("counter").map(r -> ((Number) r.data().get("value")).intValue()).orElse(0);
          tx.addResource("counter", ResourceState.builder("counter", "c").data("value", v + 1).build());
          for (int h = 0; h < 5; h++) {
            tx.addHost(HostState.builder("h" + ((n * 5 + h) % 200)).address("10.0." + h + "." + (n % 250)).var("payload", "x".repeat((int) (n % 300))).build());
          }
        });
        System.out.println("committed " + state.metadata().serial());
        System.out.flush();
      }
    }
  }
}
