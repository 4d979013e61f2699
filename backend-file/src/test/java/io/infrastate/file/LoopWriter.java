package io.infrastate.file;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import java.nio.file.Path;

/**
 * Child JVM: writes forever (batches of hosts and a counter), printing each committed serial, until
 * it is killed. Usage: {@code LoopWriter FILE MODE [inline|background]}; in journal mode the
 * backend compacts every 10 records (inline by default) so that kills also land inside
 * compactions, and some writes remove a host.
 */
public final class LoopWriter {
  private LoopWriter() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    FileMode mode = FileMode.valueOf(args[1]);
    boolean background = args.length > 2 && args[2].equals("background");
    FileBackend.Builder builder = mode.builder(file).historyRetention(5);
    if (mode.journal) {
      builder.compactEvery(10).backgroundCompaction(background);
    }
    try (FileBackend backend = builder.build(); State state = State.load(backend)) {
      for (long i = 0; ; i++) {
        long n = i;
        state.update(tx -> {
          int v = tx.getResource("counter").map(r -> ((Number) r.data().get("value")).intValue()).orElse(0);
          tx.addResource("counter", ResourceState.builder("counter", "c").data("value", v + 1).build());
          for (int h = 0; h < 5; h++) {
            tx.addHost(HostState.builder("h" + ((n * 5 + h) % 200)).address("10.0." + h + "." + (n % 250)).var("payload", "x".repeat((int) (n % 300))).build());
          }
          if (mode.journal && n % 7 == 3) {
            tx.removeHost("h" + ((n * 3) % 200));
          }
        });
        System.out.println("committed " + state.metadata().serial());
        System.out.flush();
      }
    }
  }
}
