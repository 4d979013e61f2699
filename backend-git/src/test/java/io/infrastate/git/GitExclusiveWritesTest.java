package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The branch's write lock in local mode ({@link GitBackend#exclusive()}): a writer holding it
 * cannot lose its save to another infrastate writer; clone mode has none. The cross-process proof
 * is {@link GitCrossProcessTest}.
 */
class GitExclusiveWritesTest {
  @TempDir Path tmp;

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.5").port(22).user("deploy").build();
  }

  @Test
  void anotherWritersSaveWaitsUntilTheHolderOfTheBranchWriteLockHasSaved() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend a = GitBackend.builder().repository(repo).build();
        GitBackend b = GitBackend.builder().repository(repo).build();
        State sb = State.load(b, StateOptions.builder().operator("bob").build())) {
      sb.addHost(host("web01"));
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread other = new Thread(() -> {
        try {
          sb.addHost(host("web02"));
        } catch (Throwable t) {
          failed.set(t);
        }
      }, "other writer");
      try (ExclusiveWrites.Section section = a.exclusive().orElseThrow()) {
        StoredState seen = a.load().orElseThrow();
        other.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!waitsForTheBranchWriteLock(other)) {
          assertThat(other.isAlive()).as("the other writer waits for the lock instead of finishing").isTrue();
          assertThat(System.nanoTime()).as("the other writer reached the lock").isLessThan(deadline);
          Thread.sleep(5);
        }
        Snapshot next = seen.snapshot().withMetadata(
            seen.snapshot().metadata().withSerial(seen.snapshot().metadata().serial() + 1, seen.snapshot().metadata().updatedAt()));
        SaveResult saved = a.save(new SaveRequest(seen.token(), next, List.of(), AuditEntry.of("held write").withOperator("alice")));
        assertThat(saved).isInstanceOf(SaveResult.Saved.class);
      }
      other.join(TimeUnit.MINUTES.toMillis(1));
      assertThat(other.isAlive()).isFalse();
      assertThat(failed.get()).isNull();
      assertThat(sb.snapshot().hosts().keySet()).containsExactly("web01", "web02");
    }
    assertThat(Cli.git(repo, "log", "--format=%an %s", "main").strip().split("\n"))
        .containsExactly("bob Add host web02", "alice Held write", "bob Add host web01");
    assertThat(repo.resolve("infrastate").resolve("main.writelock")).isRegularFile();
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void cloneModeHasNoBranchWriteLockAndCreatesNoLockFile() {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend c = GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve("clone")).build();
        State s = State.load(c)) {
      s.addHost(host("web01"));
      assertThat(c.exclusive()).isEmpty();
    }
    assertThat(Files.exists(remote.resolve("infrastate"))).isFalse();
    assertThat(Files.exists(tmp.resolve("clone").resolve("infrastate"))).isFalse();
  }

  private static boolean waitsForTheBranchWriteLock(Thread t) {
    return t.getState() == Thread.State.WAITING
        && Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().equals(BranchWriteLock.class.getName()));
  }
}
