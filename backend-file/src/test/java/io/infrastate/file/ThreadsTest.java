package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.memory.InMemoryBackend;
import io.infrastate.spi.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many writer and reader threads: writers share one handle and also use handles of their own;
 * each write adds a batch of hosts at once. No update is lost, and no reader ever sees half a batch
 * or a serial going backwards.
 */
class ThreadsTest {
  @TempDir Path tmp;

  @Test
  void fileBackend() throws Exception {
    List<Backend> opened = new ArrayList<>();
    try {
      run(() -> {
        Backend b = FileBackend.at(tmp.resolve("state.json"));
        opened.add(b);
        return b;
      });
    } finally {
      opened.forEach(Backend::close);
    }
  }

  @Test
  void memoryBackend() throws Exception {
    InMemoryBackend backend = InMemoryBackend.create();
    run(() -> backend);
  }

  private static void run(Supplier<Backend> backends) throws Exception {
    StateOptions options = StateOptions.defaults();
    State shared = State.load(backends.get(), options);
    int writers = 6;
    int batchesPerWriter = 25;
    int batchSize = 4;
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(writers + 3);
    try {
      List<Future<?>> readers = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        readers.add(pool.submit(() -> {
          long lastSerial = -1;
          while (!stop.get()) {
            Snapshot s = shared.snapshot();
            assertThat(s.metadata().serial()).isGreaterThanOrEqualTo(lastSerial);
            lastSerial = s.metadata().serial();
            Map<Object, Integer> perBatch = new HashMap<>();
            for (HostState h : s.hosts().values()) {
              perBatch.merge(h.vars().get("batch"), 1, Integer::sum);
            }
            perBatch.values().forEach(n -> assertThat(n).as("hosts of one batch").isEqualTo(batchSize));
            reads.incrementAndGet();
          }
          return null;
        }));
      }
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        // half the writers share a handle, half have their own (as separate processes would)
        State state = id % 2 == 0 ? shared : State.load(backends.get(), options);
        futures.add(pool.submit(() -> {
          for (int b = 0; b < batchesPerWriter; b++) {
            String batch = id + "-" + b;
            state.update(tx -> {
              for (int i = 0; i < batchSize; i++) {
                tx.addHost(HostState.builder("h" + batch + "-" + i).var("batch", batch).build());
              }
              int v = tx.getResource("counter").map(r -> ((Number) r.data().get("value")).intValue()).orElse(0);
              tx.addResource("counter", ResourceState.builder("counter", "c").data("value", v + 1).build());
            });
            if (id % 2 == 0) {
              shared.refresh();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(5, TimeUnit.MINUTES);
      }
      shared.refresh();
      stop.set(true);
      for (Future<?> f : readers) {
        f.get(1, TimeUnit.MINUTES);
      }
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
    State check = State.load(backends.get(), options);
    assertThat(check.allHosts()).hasSize(writers * batchesPerWriter * batchSize);
    assertThat(check.getResource("counter").orElseThrow().data().get("value")).isEqualTo(writers * batchesPerWriter);
    // writers sharing a handle may be group-committed into one version: never more versions than updates
    assertThat(check.metadata().serial()).isBetween(1L, (long) writers * batchesPerWriter);
    assertThat(reads.get()).isPositive();
  }
}
