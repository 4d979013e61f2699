package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.testkit.ChildWriters;
import io.infrastate.testkit.JvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several machines share one remote: separate JVM processes and threads, each with its own clone,
 * writing at the same time. Checked afterwards with the real {@code git} CLI.
 */
class GitCrossProcessTest {
  @TempDir Path tmp;

  /**
   * Eight writer processes, fifty writes each, default options, each with its own clone of one bare
   * remote: every write succeeds, one commit each, none takes more than ten attempts (a writer
   * holding the write lease is overtaken only by saves that read the refs before it took it), and
   * the write lease they took turns on is released at the end.
   */
  @Test
  void eightProcessesTimesFiftyWritesOnABareRemoteAllSucceedWithDefaultOptions() throws Exception {
    eightWriters(false);
  }

  /** As above, beside a process that keeps a CPU busy. */
  @Test
  void eightProcessesTimesFiftyWritesOnABareRemoteAllSucceedBesideABusyCpu() throws Exception {
    eightWriters(true);
  }

  /**
   * Eight writer processes, fifty writes each, default options, all committing directly into one
   * local repository: every write succeeds, and none takes more than two attempts, since a writer
   * that conflicted retries under the branch's write lock, which every other writer's save takes
   * around its ref update.
   */
  @Test
  void eightProcessesTimesFiftyWritesOnALocalRepositoryAllSucceedInAtMostTwoAttempts() throws Exception {
    eightLocalWriters(false);
  }

  /** As above, beside a process that keeps a CPU busy. */
  @Test
  void eightProcessesTimesFiftyWritesOnALocalRepositoryBesideABusyCpuTakeAtMostTwoAttempts() throws Exception {
    eightLocalWriters(true);
  }

  private void eightLocalWriters(boolean busyCpu) throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (State s = State.open("git+file://" + repo, StateOptions.builder().operator("setup@test").build())) {
      s.save(AuditEntry.of("create the counter state"));
    }
    int processes = 8;
    int writes = 50;
    ChildWriters run = ChildWriters.run(CounterWriter.class, tmp, processes, busyCpu,
        p -> new String[] {"git+file://" + repo + "#main:state.json", "p" + p, Integer.toString(writes)});
    System.out.println("Git local repository, " + processes + " processes x " + writes
        + (busyCpu ? " beside a busy CPU" : "") + ": the most attempts one write took: " + run.maxAttempts());
    assertThat(run.maxAttempts()).as("attempts of the write that took most").isBetween(1, 2);
    int total = processes * writes;
    try (State check = State.open("git+file://" + repo)) {
      Snapshot end = check.snapshot();
      assertThat(CounterWriter.value(end, "total")).isEqualTo(total);
      for (int p = 0; p < processes; p++) {
        assertThat(CounterWriter.value(end, "p" + p)).isEqualTo(writes);
      }
      assertThat(end.metadata().serial()).isEqualTo(1 + total);
    }
    assertThat(Cli.git(repo, "rev-list", "--count", "main").strip()).isEqualTo(Integer.toString(1 + total));
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
  }

  private void eightWriters(boolean busyCpu) throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    try (State s = State.open("git+file://" + remote + "?clone=" + tmp.resolve("setup"),
        StateOptions.builder().operator("setup@test").build())) {
      s.save(AuditEntry.of("create the counter state"));
    }
    int processes = 8;
    int writes = 50;
    ChildWriters run = ChildWriters.run(CounterWriter.class, tmp, processes, busyCpu,
        p -> new String[] {"git+file://" + remote + "?clone=" + tmp.resolve("proc" + p) + "#main:state.json", "p" + p,
            Integer.toString(writes)});
    System.out.println("Git remote, " + processes + " processes x " + writes + (busyCpu ? " beside a busy CPU" : "")
        + ": the most attempts one write took: " + run.maxAttempts());
    // two attempts before a writer queues for the write lease, then at most one loss to each of
    // the seven other writers whose save read the refs before its lease was pushed, then its win
    assertThat(run.maxAttempts()).as("attempts of the write that took most").isBetween(1, 10);
    int total = processes * writes;
    try (State check = State.open("git+file://" + remote + "?clone=" + tmp.resolve("check"))) {
      Snapshot end = check.snapshot();
      assertThat(CounterWriter.value(end, "total")).isEqualTo(total);
      for (int p = 0; p < processes; p++) {
        assertThat(CounterWriter.value(end, "p" + p)).isEqualTo(writes);
      }
      assertThat(end.metadata().serial()).isEqualTo(1 + total);
    }
    assertThat(Cli.git(remote, "rev-list", "--count", "main").strip()).isEqualTo(Integer.toString(1 + total));
    // every lease taken was released: its ref stays at the released record that carries its token on
    assertThat(Cli.git(remote, "for-each-ref", "--format=%(subject)", "refs/infrastate/locks/").lines())
        .as("lease refs left held").allMatch(l -> l.startsWith("Release lock "));
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void threeProcessesAndTwoThreadsWithTheirOwnClonesLoseNoUpdate() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    try (State s = State.open("git+file://" + remote + "?clone=" + tmp.resolve("setup"),
        StateOptions.builder().operator("setup@test").build())) {
      s.save(AuditEntry.of("create the counter state"));
    }
    int processes = 3;
    int perProcess = 50;
    int threads = 2;
    int perThread = 25;
    List<JvmProcess> children = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int p = 0; p < processes; p++) {
        String uri = "git+file://" + remote + "?clone=" + tmp.resolve("proc" + p) + "#main:state.json";
        children.add(JvmProcess.start(CounterWriter.class, tmp.resolve("proc" + p + ".log"), uri, "p" + p,
            Integer.toString(perProcess)));
      }
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String name = "t" + t;
        String uri = "git+file://" + remote + "?clone=" + tmp.resolve("thread" + t) + "#main:state.json";
        done.add(pool.submit(() -> {
          CounterWriter.main(new String[] {uri, name, Integer.toString(perThread)});
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
      for (JvmProcess child : children) {
        assertThat(child.await(5, TimeUnit.MINUTES)).as(child.output()).isZero();
        assertThat(child.output()).contains("done p");
      }
    } finally {
      pool.shutdownNow();
      children.forEach(JvmProcess::close);
    }

    int total = processes * perProcess + threads * perThread;
    try (State check = State.open("git+file://" + remote + "?clone=" + tmp.resolve("check"))) {
      Snapshot end = check.snapshot();
      assertThat(CounterWriter.value(end, "total")).isEqualTo(total);
      for (int p = 0; p < processes; p++) {
        assertThat(CounterWriter.value(end, "p" + p)).isEqualTo(perProcess);
      }
      for (int t = 0; t < threads; t++) {
        assertThat(CounterWriter.value(end, "t" + t)).isEqualTo(perThread);
      }
      assertThat(end.metadata().serial()).isEqualTo(1 + total);
      assertThat(check.history()).hasSize(1 + total);
    }
    // One commit per update, each by its writer, verified by git itself.
    assertThat(Cli.git(remote, "log", "--oneline", "main", "--", "state.json").strip().split("\n")).hasSize(1 + total);
    assertThat(Cli.git(remote, "rev-list", "--count", "main").strip()).isEqualTo(Integer.toString(1 + total));
    Map<String, Integer> byAuthor = new TreeMap<>();
    for (String author : Cli.git(remote, "log", "--format=%an", "main").strip().split("\n")) {
      byAuthor.merge(author, 1, Integer::sum);
    }
    assertThat(byAuthor).containsExactlyInAnyOrderEntriesOf(Map.of(
        "setup@test", 1, "p0@writer", perProcess, "p1@writer", perProcess, "p2@writer", perProcess,
        "t0@writer", perThread, "t1@writer", perThread));
    // Serials are consecutive along the branch: no version was skipped or written twice.
    List<String> serials = List.of(Cli.git(remote, "log", "--format=%(trailers:key=Infrastate-Serial,valueonly)", "main")
        .strip().split("\n+"));
    for (int i = 0; i < serials.size(); i++) {
      assertThat(serials.get(i).strip()).isEqualTo(Integer.toString(1 + total - i));
    }
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aGitLockExcludesProcessesOnOtherClones() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path counter = tmp.resolve("counter.txt");
    Files.writeString(counter, "0");
    int processes = 3;
    int rounds = 15;
    Path start = tmp.resolve("start");
    List<JvmProcess> children = new ArrayList<>();
    try {
      for (int p = 0; p < processes; p++) {
        children.add(JvmProcess.start(LockedIncrementer.class, tmp.resolve("lock" + p + ".log"),
            remote.toString(), tmp.resolve("clone" + p).toString(), counter.toString(), "p" + p, Integer.toString(rounds),
            start.toString()));
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      for (int p = 0; p < processes; p++) {
        while (!Files.exists(Path.of(start + ".p" + p))) {
          assertThat(System.nanoTime()).as("child p%d got ready", p).isLessThan(deadline);
          assertThat(children.get(p).process().isAlive()).as(children.get(p).output()).isTrue();
          Thread.sleep(10);
        }
      }
      Files.createFile(start);
      for (JvmProcess child : children) {
        assertThat(child.await(5, TimeUnit.MINUTES)).as(child.output()).isZero();
      }
    } finally {
      children.forEach(JvmProcess::close);
    }
    assertThat(Files.readString(counter).strip()).isEqualTo(Integer.toString(processes * rounds));
    // every lock was released: its ref stays at the released record that carries its token on
    assertThat(Cli.git(remote, "for-each-ref", "--format=%(subject)", "refs/infrastate/locks").lines())
        .allMatch(l -> l.startsWith("Release lock "));
    assertThat(Cli.tip(remote, "main")).isEmpty();
  }
}
