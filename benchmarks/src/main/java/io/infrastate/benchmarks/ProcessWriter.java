package io.infrastate.benchmarks;

import io.infrastate.model.ConflictException;
import io.infrastate.State;
import io.infrastate.file.FileBackend;
import io.infrastate.spi.Backend;
import java.nio.file.Path;

/**
 * One writer process of the comparison's "processes" scenario: opens the state with default
 * options, waits for the common start time, adds hosts flat out until the window ends, and prints
 * {@code result writes=W failed=F waited=G}: its successful writes, the writes that failed
 * ({@link ConflictException}), and the most writes of other processes stored between two of its
 * own (how long it waited for its turn, in writes).
 *
 * <p>Usage: {@code ProcessWriter file|journal STATE_FILE START_EPOCH_MILLIS SECONDS ID}
 */
final class ProcessWriter {
  private ProcessWriter() {}

  /**
   * Runs one writer.
   *
   * @param args mode, state file, start time, window in seconds, writer id
   * @throws Exception if the state cannot be opened or a write fails other than by a conflict
   */
  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[1]);
    long startAt = Long.parseLong(args[2]);
    double seconds = Double.parseDouble(args[3]);
    long id = Long.parseLong(args[4]);
    try (Backend backend = args[0].equals("file") ? FileBackend.at(file) : FileBackend.builder(file).journal(true).build();
        State state = State.load(backend)) {
      long wait = startAt - System.currentTimeMillis();
      if (wait > 0) {
        Thread.sleep(wait);
      }
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      long last = state.refresh().metadata().serial();
      long writes = 0;
      long failed = 0;
      long waited = 0;
      for (long k = id << 40; System.nanoTime() < deadline; k++) {
        try {
          state.addHost(Data.newHost(k));
          long serial = state.metadata().serial();
          waited = Math.max(waited, serial - last - 1);
          last = serial;
          writes++;
        } catch (ConflictException e) {
          failed++;
        }
      }
      System.out.println("result writes=" + writes + " failed=" + failed + " waited=" + waited);
    }
  }
}
