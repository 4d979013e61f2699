package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.testkit.JvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A gc of a repository never runs while a fetch into it is under way, in this JVM or another. */
class PackGuardTest {
  @TempDir Path tmp;

  @Test
  void aGcIsSkippedWhileAThreadFetchesAndRunsAfterwards() throws Exception {
    PackGuard guard = PackGuard.of(tmp);
    AtomicInteger gcs = new AtomicInteger();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    CompletableFuture<Void> fetch = CompletableFuture.runAsync(() -> {
      try {
        guard.using(() -> {
          inside.countDown();
          try {
            return done.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new java.io.InterruptedIOException(e.toString());
          }
        });
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(guard.tryExclusive(gcs::incrementAndGet)).isFalse();
    assertThat(PackGuard.of(tmp.resolve(".")).tryExclusive(gcs::incrementAndGet)).isFalse(); // same directory, same guard
    assertThat(gcs).hasValue(0);
    done.countDown();
    fetch.get(30, TimeUnit.SECONDS);
    assertThat(guard.tryExclusive(gcs::incrementAndGet)).isTrue();
    assertThat(gcs).hasValue(1);
  }

  @Test
  void aGcIsSkippedWhileAnotherProcessFetches() throws Exception {
    Path repo = Files.createDirectories(tmp.resolve("clone"));
    Path release = tmp.resolve("release");
    AtomicInteger gcs = new AtomicInteger();
    try (JvmProcess child = JvmProcess.start(PackGuardHolder.class, tmp.resolve("holder.log"), repo.toString(), release.toString())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!child.output().contains("holding")) {
        assertThat(child.process().isAlive()).as("holder exited early: %s", child.output()).isTrue();
        assertThat(System.nanoTime()).as("holder never took the guard").isLessThan(deadline);
        Thread.sleep(10);
      }
      assertThat(PackGuard.of(repo).tryExclusive(gcs::incrementAndGet)).isFalse();
      assertThat(gcs).hasValue(0);
      Files.createFile(release);
      assertThat(child.await(60, TimeUnit.SECONDS)).isZero();
      assertThat(child.output()).contains("released");
    }
    assertThat(PackGuard.of(repo).tryExclusive(gcs::incrementAndGet)).isTrue();
    assertThat(gcs).hasValue(1);
  }
}
