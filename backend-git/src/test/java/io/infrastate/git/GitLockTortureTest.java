package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stress run, only with {@code -Ptorture}: 8 threads on 2 clones of a path remote take one lock
 * in turn, {@code infrastate.torture.rounds} times each (default 60), so that the remote collects
 * thousands of packs while refs are created and deleted at once. No two threads are ever inside
 * together, every round gets in, and {@code git fsck --strict} finds the remote whole.
 */
@Tag("torture")
class GitLockTortureTest {
  @TempDir Path tmp;

  @Test
  void eightThreadsOnTwoClonesTakeTurnsAndTheRemoteStaysWhole() throws Exception {
    int rounds = Integer.getInteger("infrastate.torture.rounds", 60);
    int threads = 8;
    Path remote = Cli.bare(tmp, "infra.git");
    List<GitLockProvider> providers = new ArrayList<>();
    for (String who : List.of("alice", "bob")) {
      providers.add(GitLockProvider.builder()
          .remote(remote.toString())
          .cloneDirectory(Files.createTempDirectory(tmp, who))
          .options(LockOptions.builder().operator(who).pollInterval(Duration.ofMillis(1), Duration.ofMillis(10)).build())
          .build());
    }
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger entries = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long began = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        GitLockProvider p = providers.get(t % 2);
        done.add(pool.submit(() -> {
          start.await();
          for (int r = 0; r < rounds; r++) {
            try (Lock lock = p.acquire("critical", LockRequest.of("torture"), Duration.ofMinutes(5))) {
              if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
              }
              entries.incrementAndGet();
              inside.decrementAndGet();
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
      providers.forEach(GitLockProvider::close);
    }
    long packs;
    try (var files = Files.list(remote.resolve("objects/pack"))) {
      packs = files.filter(f -> f.toString().endsWith(".pack")).count();
    }
    System.out.printf("torture: %d threads x %d rounds in %.1f s; %d packs on the remote%n",
        threads, rounds, (System.nanoTime() - began) / 1e9, packs);
    assertThat(overlaps).hasValue(0);
    assertThat(entries).hasValue(threads * rounds);
    assertThat(Cli.git(remote, "for-each-ref", "--format=%(subject)", "refs/infrastate/locks/").lines())
        .allMatch(l -> l.startsWith("Release lock "));
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }
}
