package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repositories do not grow without bound: automatic gc, as {@code git commit} runs it. */
class GitMaintenanceTest {
  @TempDir Path tmp;

  private static Map<String, Long> countObjects(Path repo) {
    Map<String, Long> out = new HashMap<>();
    for (String line : Cli.git(repo, "count-objects", "-v").split("\n")) {
      String[] kv = line.split(": ");
      if (kv.length == 2 && kv[1].strip().matches("\\d+")) {
        out.put(kv[0], Long.parseLong(kv[1].strip()));
      }
    }
    return out;
  }

  @Test
  void aCloneThatFetchesOftenKeepsFewPacks() {
    Path remote = Cli.bare(tmp, "infra.git");
    int writes = AutoGc.MAINTENANCE_INTERVAL + 6;
    try (GitBackend writer = GitBackend.builder().repository(remote).fsync(false).build();
        State w = State.load(writer, StateOptions.builder().operator("w@local").build());
        GitBackend reader = GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve("c")).build();
        State r = State.load(reader)) {
      for (int i = 0; i < writes; i++) {
        CounterWriter.increment(w, "w");
        r.refresh(); // one fetch, one new pack in the clone
      }
      assertThat(CounterWriter.value(r.snapshot(), "w")).isEqualTo(writes);
    }
    Map<String, Long> clone = countObjects(tmp.resolve("c"));
    assertThat(clone.get("packs")).as("packs in the clone after %d fetches: %s", writes, clone).isLessThan(20);
    Cli.git(tmp.resolve("c"), "fsck", "--strict");
  }

  /**
   * A clone's gc keeps only what its refs reach and deletes replaced packs at once; a fetched lock
   * commit is reached by none of them. Readers in a clone read a lock while a gc of the clone runs
   * whenever the pack guard lets it, as the store's own maintenance would, only far more often:
   * every read finds the lock, and the clone stays whole.
   */
  @Test
  void readsInACloneSurviveItsGc() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path clone = tmp.resolve("clone");
    int readers = 3;
    int reads = 200;
    try (GitLockProvider writer = GitLockProvider.builder().repository(remote).build();
        GitLockProvider reading = GitLockProvider.builder().remote(remote.toString()).cloneDirectory(clone).build()) {
      FileRepository cloneRepo = (FileRepository) reading.store.repo; // as the store's maintenance runs it
      AtomicBoolean done = new AtomicBoolean();
      AtomicInteger gcs = new AtomicInteger();
      Lock held = writer.tryAcquire("x", LockRequest.of("deploy")).orElseThrow();
      ExecutorService pool = Executors.newFixedThreadPool(readers + 1);
      try {
        List<Future<?>> background = List.of(
            pool.submit(() -> {
              while (!done.get()) {
                PackGuard.of(clone).tryExclusive(() -> {
                  try {
                    new GC(cloneRepo).gc().get();
                    gcs.incrementAndGet();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
                Thread.yield();
              }
              return null;
            }));
        List<Future<?>> readTasks = new ArrayList<>();
        for (int t = 0; t < readers; t++) {
          readTasks.add(pool.submit(() -> {
            for (int i = 0; i < reads; i++) {
              assertThat(reading.inspect("x")).contains(held.info());
            }
            return null;
          }));
        }
        try {
          for (Future<?> f : readTasks) {
            f.get(5, TimeUnit.MINUTES);
          }
        } finally {
          done.set(true);
        }
        for (Future<?> f : background) {
          f.get(1, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(gcs).as("gc runs beside the reads").hasPositiveValue();
    }
    Cli.git(clone, "fsck", "--strict");
  }

  /**
   * A clone is a cache of its remote: objects that vanish from it behind JGit's back are fetched
   * again. A gc of a lock clone loosens the fetched lock commit (no ref of the clone reaches it),
   * and JGit then remembers it as a loose object; once the file is deleted (by a later gc, here
   * or in another process, or by {@code git prune}) JGit still says the clone has it, and a read
   * that trusted that failed with "Missing unknown", as in a contention test of the lock contract.
   * The state's clone gets the same treatment.
   */
  @Test
  void aCloneFetchesAgainWhatVanishedFromIt() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path lockClone = tmp.resolve("locks");
    Path stateClone = tmp.resolve("state");
    try (GitLockProvider writer = GitLockProvider.builder().repository(remote).build();
        GitLockProvider reading = GitLockProvider.builder().remote(remote.toString()).cloneDirectory(lockClone).build();
        GitBackend w = GitBackend.builder().repository(remote).fsync(false).build();
        State ws = State.load(w);
        GitBackend r = GitBackend.builder().remote(remote.toString()).cloneDirectory(stateClone).build();
        State rs = State.load(r)) {
      Lock held = writer.tryAcquire("x", LockRequest.of("deploy")).orElseThrow();
      CounterWriter.increment(ws, "x");
      assertThat(reading.inspect("x")).contains(held.info());
      rs.refresh();
      assertThat(CounterWriter.value(rs.snapshot(), "x")).isEqualTo(1);

      new GC((FileRepository) reading.store.repo).gc().get(); // as the store's maintenance runs it
      assertThat(countObjects(lockClone)).as("the lock commit, loosened").containsEntry("count", 3L);
      assertThat(reading.inspect("x")).contains(held.info());
      deleteObjects(lockClone);
      deleteObjects(stateClone);
      CounterWriter.increment(ws, "x");

      assertThat(reading.inspect("x")).contains(held.info());
      rs.refresh();
      assertThat(CounterWriter.value(rs.snapshot(), "x")).isEqualTo(2);
    }
    Cli.git(lockClone, "fsck", "--strict");
    Cli.git(stateClone, "fsck", "--strict");
  }

  /** Deletes every pack and loose object of a repository, as a gc elsewhere or a prune could. */
  private static void deleteObjects(Path repo) throws Exception {
    try (Stream<Path> files = Files.walk(repo.resolve("objects"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (!f.getParent().getFileName().toString().equals("info")) {
          Files.delete(f);
        }
      }
    }
    assertThat(countObjects(repo)).containsEntry("count", 0L).containsEntry("packs", 0L);
  }

  /**
   * Git (and JGit) estimate the number of loose objects from the directory {@code objects/17}
   * alone: {@code gc.auto=50} means "more than one object there". Plant two, so that the estimate
   * does not depend on which ids the test's commits happen to get.
   */
  private static void plantLooseObjectsInSampledDirectory(Path repo) throws Exception {
    java.security.MessageDigest sha1 = java.security.MessageDigest.getInstance("SHA-1");
    int planted = 0;
    for (int i = 0; planted < 2; i++) {
      byte[] content = ("filler " + i + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      sha1.reset();
      sha1.update(("blob " + content.length + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byte[] id = sha1.digest(content);
      if ((id[0] & 0xff) == 0x17) {
        Cli.gitBytes(repo, content, "hash-object", "-w", "--stdin");
        planted++;
      }
    }
  }

  /**
   * A bare repository whose next automatic gc check finds work: {@code gc.auto=50} and two loose
   * objects planted where the estimate looks.
   */
  private Path gcReadyRepository(String name, boolean autoDetach) throws Exception {
    Path repo = Cli.bare(tmp, name);
    Cli.git(repo, "config", "gc.auto", "50");
    Cli.git(repo, "config", "gc.autoDetach", String.valueOf(autoDetach));
    plantLooseObjectsInSampledDirectory(repo);
    return repo;
  }

  /** Increments counter "x" {@code writes} times through a local-mode backend, then closes it. */
  private static void increment(Path repo, int writes) {
    try (GitBackend b = GitBackend.builder().repository(repo).fsync(false).build(); State s = State.load(b)) {
      for (int i = 0; i < writes; i++) {
        CounterWriter.increment(s, "x");
      }
    }
  }

  /**
   * With {@code gc.autoDetach} (git's default) the gc runs in the background, and ends before
   * {@code close()} returns: a closed backend writes nothing more into the repository (JGit's own
   * background gc went on writing {@code gc.log.lock} and packs after close, and a test's cleanup
   * of the directory failed on it). The writes stop exactly at the one that starts the gc, so that
   * the gc is still running when close is called.
   */
  @Test
  void aBackgroundGcEndsBeforeCloseReturns() throws Exception {
    Path repo = gcReadyRepository("infra.git", true);
    int writes = AutoGc.MAINTENANCE_INTERVAL;
    increment(repo, writes);
    assertThat(Thread.getAllStackTraces().keySet())
        .as("threads still running a gc after close")
        .noneMatch(t -> Arrays.stream(t.getStackTrace())
            .anyMatch(f -> f.getClassName().startsWith("org.eclipse.jgit.internal.storage.file.GC")));
    assertThat(countObjects(repo).get("in-pack")).as("packed objects once close returned").isPositive();
    try (Stream<Path> files = Files.list(repo)) {
      assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("gc.pid", "gc.log.lock");
    }
    assertThat(Cli.commitsTouching(repo, "main", "state.json")).isEqualTo(writes);
    Cli.git(repo, "fsck", "--strict");
  }

  @Test
  void aLocalRepositoryIsGarbageCollectedByItsOwnSettings() throws Exception {
    Path repo = gcReadyRepository("infra.git", false);
    int writes = AutoGc.MAINTENANCE_INTERVAL + 6;
    increment(repo, writes);
    Map<String, Long> objects = countObjects(repo);
    assertThat(objects.get("count")).as("loose objects: %s", objects).isLessThan(3L * writes / 2);
    assertThat(objects.get("in-pack")).as("packed objects: %s", objects).isPositive();
    assertThat(Cli.commitsTouching(repo, "main", "state.json")).isEqualTo(writes);
    Cli.git(repo, "fsck", "--strict");

    Path off = Cli.bare(tmp, "off.git");
    Cli.git(off, "config", "gc.auto", "0");
    plantLooseObjectsInSampledDirectory(off);
    increment(off, writes);
    assertThat(countObjects(off).get("in-pack")).isZero();
  }
}
