package io.infrastate.file;

import io.infrastate.HostState;
import io.infrastate.ResourceState;
import io.infrastate.State;
import java.nio.file.Path;

/**
 * Child JVM: writes forever on a journaled backend (batches of hosts and a counter), compacting
 * inline every 10 records so that kills also land inside compactions, and printing each committed
 * serial, until it is killed.
 */
public final class JournalLoopWriter {
  private JournalLoopWriter() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    boolean background = args.length > 1 && args[1].equals("background");
    try (FileBackend backend = FileBackend.builder(file).journal(true).historyRetention(5).compactEvery(10).backgroundCompaction(background).build();
        State state = State.load(backend)) {
      for (long i = 0; ; i++) {
        long n = i;
        state.update(tx -> {
          int v = tx.getResource("counter").map(r -> ((Number) r.data().get("value")).intValue()).orElse(0);
          tx.addResource("counter", ResourceState.builder("counter", "c").data("value", v + 1).build());
          for (int h = 0; h < 5; h++) {
            tx.addHost(HostState.builder("h" + ((n * 5 + h) % 200)).address("10.0." + h + "." + (n % 250)).var("payload", "x".repeat((int) (n % 300))).build());
          }
          if (n % 7 == 3) {
            tx.removeHost("h" + ((n * 3) % 200));
          }
        });
        System.out.println("committed " + state.metadata().serial());
        System.out.flush();
      }
    }
  }
}
