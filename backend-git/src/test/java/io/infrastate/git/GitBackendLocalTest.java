package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local mode: the backend commits directly into a repository on this machine. */
class GitBackendLocalTest {
  @TempDir Path tmp;

  private static StateOptions as(String operator) {
    return StateOptions.builder().operator(operator).build();
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.5").port(22).user("deploy").build();
  }

  private GitBackend local(Path repo) {
    return GitBackend.builder().repository(repo).build();
  }

  @Test
  void everyWriteIsOneCommitWithTheAuditEntryAsAuthorMessageAndTrailers() {
    Path repo = Cli.bare(tmp, "infra.git");
    Snapshot last;
    try (GitBackend b = local(repo); State s = State.load(b, as("alice@build-7"))) {
      s.addHost(host("web01"));
      s.addHost(host("web02"), new AuditEntry("Jane Doe <jane@example.com>", "deploy garza-home-mcp v2.1.0", "ticket OPS-42"));
      last = s.snapshot();
    }
    String log = Cli.git(repo, "log", "--format=%an|%ae|%cn|%ce|%s", "main");
    assertThat(log.strip().split("\n")).containsExactly(
        "Jane Doe|jane@example.com|Jane Doe|jane@example.com|Deploy garza-home-mcp v2.1.0 (ticket OPS-42)",
        "alice@build-7|alice@build-7|alice@build-7|alice@build-7|Add host web01");
    String trailers = Cli.git(repo, "log", "-1", "--format=%(trailers:only,unfold)", "main");
    String[] lines = trailers.strip().split("\n");
    assertThat(lines).hasSize(4);
    assertThat(java.util.Arrays.copyOf(lines, 3)).containsExactly(
        "Infrastate-Serial: 2", "Infrastate-Operation: deploy garza-home-mcp v2.1.0", "Infrastate-Reason: ticket OPS-42");
    assertThat(lines[3]).matches("Infrastate-Write: [0-9a-f]{8}-[0-9a-f-]{27}"); // the write's id
    assertThat(Cli.git(repo, "show", "--format=", "--name-only", "main").strip()).isEqualTo("state.json");
    assertThat(Cli.git(repo, "show", "main:state.json")).isEqualTo(new String(StateCodec.encode(last), StandardCharsets.UTF_8));
    assertThat(Cli.git(repo, "rev-list", "--count", "main").strip()).isEqualTo("2");
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void loadReadsBackWhatWasWrittenAndUnchangedStateIsNotReloaded() {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = local(repo); State s = State.load(b)) {
      s.addHost(host("web01"));
      StoredState loaded = b.load().orElseThrow();
      assertThat(loaded.snapshot()).isEqualTo(s.snapshot());
      GitVersion v = (GitVersion) loaded.token();
      assertThat(v.commitId()).isEqualTo(Cli.tip(repo, "main"));
      assertThat(v.blobId()).isEqualTo(Cli.git(repo, "rev-parse", "main:state.json").strip());
      assertThat(v.serial()).isEqualTo(1);
      assertThat(b.loadIfChanged(v)).isEmpty();
    }
  }

  @Test
  void aStaleExpectedVersionIsAConflictThatCarriesTheCurrentVersion() {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend a = local(repo); GitBackend b = local(repo); State sa = State.load(a)) {
      sa.addHost(host("web01"));
      StoredState seen = b.load().orElseThrow();
      sa.addHost(host("web02"));
      String tipBefore = Cli.tip(repo, "main");
      Snapshot next = seen.snapshot().withMetadata(seen.snapshot().metadata().withSerial(2, seen.snapshot().metadata().updatedAt()));
      SaveResult r = b.save(new SaveRequest(seen.token(), next, List.of(), AuditEntry.of("stale write").withOperator("bob")));
      assertThat(r).isInstanceOf(SaveResult.Conflict.class);
      StoredState current = ((SaveResult.Conflict) r).current().orElseThrow();
      assertThat(current.snapshot().hasHost("web02")).isTrue();
      assertThat(Cli.tip(repo, "main")).isEqualTo(tipBefore);
    }
  }

  @Test
  void creatingAStateThatAnotherWriterCreatedFirstIsAConflict() {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend a = local(repo); GitBackend b = local(repo); State sa = State.load(a); State sb = State.load(b)) {
      sa.addHost(host("web01"));
      sb.addHost(host("web02"));
      assertThat(sb.snapshot().hosts().keySet()).containsExactly("web01", "web02");
      assertThat(sb.metadata().lineage()).isEqualTo(sa.metadata().lineage());
      assertThat(Cli.commitsTouching(repo, "main", "state.json")).isEqualTo(2);
    }
  }

  @Test
  void threadsWithTheirOwnHandlesOnOneRepositoryNeverLoseAnUpdate() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    int threads = 4;
    int each = 25;
    try (GitBackend b = local(repo); State s = State.load(b)) {
      s.save(AuditEntry.of("create counter state"));
    }
    inParallel(threads, t -> {
      String name = "t" + t;
      StateOptions o = StateOptions.builder().operator(name + "@test").build();
      try (GitBackend b = local(repo); State s = State.load(b, o)) {
        for (int i = 0; i < each; i++) {
          CounterWriter.increment(s, name);
        }
      }
    });
    try (GitBackend b = local(repo)) {
      Snapshot end = b.load().orElseThrow().snapshot();
      assertThat(CounterWriter.value(end, "total")).isEqualTo(threads * each);
      for (int t = 0; t < threads; t++) {
        assertThat(CounterWriter.value(end, "t" + t)).isEqualTo(each);
      }
      assertThat(end.metadata().serial()).isEqualTo(1 + threads * each);
    }
    assertThat(Cli.commitsTouching(repo, "main", "state.json")).isEqualTo(1 + threads * each);
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aSharedBackendServesSeveralHandles() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = local(repo)) {
      try (State s = State.load(b)) {
        s.save();
      }
      inParallel(3, t -> {
        try (State s = State.load(b)) {
          for (int i = 0; i < 10; i++) {
            CounterWriter.increment(s, "h" + t);
          }
        }
      });
      assertThat(CounterWriter.value(b.load().orElseThrow().snapshot(), "total")).isEqualTo(30);
    }
  }

  @Test
  void historyListsTheCommitsNewestFirstAndRollbackIsANewCommit() {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = local(repo); State s = State.load(b, as("ops@ci"))) {
      s.addHost(host("web01"));
      Snapshot v1 = s.snapshot();
      s.addHost(host("web02"), AuditEntry.of("add second web host").withReason("load"));
      s.removeHost("web01");
      List<VersionInfo> h = s.history();
      assertThat(h).extracting(VersionInfo::serial).containsExactly(3L, 2L, 1L);
      assertThat(h).extracting(VersionInfo::operation)
          .containsExactly("remove host web01", "add second web host", "add host web01");
      assertThat(h.get(1).reason()).isEqualTo("load");
      assertThat(h).extracting(VersionInfo::operator).containsOnly("ops@ci");
      assertThat(s.history(2)).hasSize(2);
      assertThat(s.at(1)).contains(v1);
      assertThat(s.at(9)).isEmpty();

      Snapshot rolled = s.rollback(1, AuditEntry.DEFAULT);
      assertThat(rolled.metadata().serial()).isEqualTo(4);
      assertThat(rolled.hosts().keySet()).containsExactly("web01");
      assertThat(s.history().get(0).operation()).isEqualTo("rollback to version 1");
    }
    assertThat(Cli.commitsTouching(repo, "main", "state.json")).isEqualTo(4);
    assertThat(Cli.git(repo, "log", "-1", "--format=%s", "main").strip()).isEqualTo("Rollback to version 1");
  }

  @Test
  void commitsOfOtherFilesAreKeptAndDoNotMakeAWriteConflict() {
    Path remote = Cli.bare(tmp, "infra.git");
    CountingBackend counted;
    try (GitBackend b = local(remote); State s = State.load(counted = new CountingBackend(b))) {
      s.addHost(host("web01"));
      Path person = Cli.personClone(remote, tmp.resolve("person"));
      writeString(person.resolve("README.md"), "# infra\n");
      writeString(person.resolve("docs/runbook.md"), "restart with care\n");
      Cli.git(person, "add", ".");
      Cli.git(person, "commit", "-q", "-m", "Add README and runbook");
      Cli.git(person, "push", "-q", "origin", "main");

      s.addHost(host("web02"));
      assertThat(counted.conflicts.get()).isZero();
    }
    assertThat(Cli.git(remote, "show", "main:README.md")).isEqualTo("# infra\n");
    assertThat(Cli.git(remote, "show", "main:docs/runbook.md")).isEqualTo("restart with care\n");
    assertThat(Cli.git(remote, "log", "--format=%s", "main").strip().split("\n"))
        .containsExactly("Add host web02", "Add README and runbook", "Add host web01");
    assertThat(Cli.git(remote, "show", "--format=", "--name-only", "main").strip()).isEqualTo("state.json");
  }

  @Test
  void aNestedPathKeepsItsSiblingsAndADirectoryInTheWayIsRefused() {
    Path remote = Cli.bare(tmp, "infra.git");
    Path person = Cli.personClone(remote, tmp.resolve("person"));
    writeString(person.resolve("state/prod/NOTES"), "notes\n");
    writeString(person.resolve("state/zz.txt"), "z\n");
    writeString(person.resolve("blocked.json/file"), "x\n");
    Cli.git(person, "add", ".");
    Cli.git(person, "commit", "-q", "-m", "Layout");
    Cli.git(person, "push", "-q", "origin", "main");
    try (GitBackend b = GitBackend.builder().repository(remote).path("state/prod/state.json").build(); State s = State.load(b)) {
      s.addHost(host("web01"));
    }
    assertThat(Cli.git(remote, "ls-tree", "-r", "--name-only", "main").strip().split("\n"))
        .containsExactly("blocked.json/file", "state/prod/NOTES", "state/prod/state.json", "state/zz.txt");
    Cli.git(remote, "fsck", "--strict", "--no-dangling");

    try (GitBackend b = GitBackend.builder().repository(remote).path("blocked.json").build()) {
      assertThatThrownBy(() -> b.load())
          .isInstanceOf(io.infrastate.model.CorruptStateException.class)
          .hasMessageContaining("blocked.json is a directory");
    }
    try (GitBackend b = GitBackend.builder().repository(remote).path("state/zz.txt/state.json").build(); State s = State.load(b)) {
      assertThatThrownBy(() -> s.addHost(host("web01")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("'state/zz.txt' is a file, not a directory");
    }
  }

  @Test
  void aBranchCheckedOutInAWorkTreeIsNeverWrittenButOtherBranchesAre() {
    Path work = tmp.resolve("work");
    Cli.git(tmp, "init", "-q", "-b", "main", work.toString());
    writeString(work.resolve("README.md"), "hello\n");
    Cli.git(work, "add", ".");
    Cli.git(work, "commit", "-q", "-m", "Start");
    String before = Cli.tip(work, "main");
    try (GitBackend b = GitBackend.builder().repository(work).build(); State s = State.load(b)) {
      assertThatThrownBy(() -> s.addHost(host("web01")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("checked out in the work tree " + work)
          .hasMessageContaining("bare repository");
    }
    assertThat(Cli.tip(work, "main")).isEqualTo(before);
    try (GitBackend b = GitBackend.builder().repository(work).branch("infra-state").build(); State s = State.load(b)) {
      s.addHost(host("web01"));
    }
    assertThat(Cli.git(work, "status", "--porcelain")).isEmpty();
    assertThat(Cli.git(work, "show", "infra-state:state.json")).contains("web01");

    // A linked work tree counts too.
    Cli.git(work, "worktree", "add", "-q", tmp.resolve("wt").toString(), "infra-state");
    try (GitBackend b = GitBackend.builder().repository(work).branch("infra-state").build(); State s = State.load(b)) {
      assertThatThrownBy(() -> s.addHost(host("web02")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("checked out in the work tree " + tmp.resolve("wt"));
    }
  }

  @Test
  void aMissingRepositoryIsAnErrorUnlessCreationIsAllowed() {
    Path missing = tmp.resolve("nothing-here.git");
    assertThatThrownBy(() -> GitBackend.builder().repository(missing).build())
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("No Git repository at " + missing)
        .hasMessageContaining("git init --bare");
    assertThat(missing).doesNotExist();
    try (GitBackend b = GitBackend.builder().repository(missing).createRepository(true).branch("state").build();
        State s = State.load(b)) {
      s.addHost(host("web01"));
    }
    assertThat(Cli.git(missing, "rev-parse", "--is-bare-repository").strip()).isEqualTo("true");
    assertThat(Cli.git(missing, "symbolic-ref", "HEAD").strip()).isEqualTo("refs/heads/state");
    Path clone = Cli.personClone(missing, tmp.resolve("person"));
    assertThat(clone.resolve("state.json")).exists();
  }

  @Test
  void builderRejectsBadSettingsNamingThem() {
    Path repo = Cli.bare(tmp, "infra.git");
    assertThatThrownBy(() -> GitBackend.builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("repository(...)");
    assertThatThrownBy(() -> GitBackend.builder().repository(repo).branch("a..b").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("branch");
    for (String bad : List.of("/abs.json", "a//b.json", "../x.json", ".git/config", "dir/", "a/./b")) {
      assertThatThrownBy(() -> GitBackend.builder().repository(repo).path(bad).build())
          .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("path");
    }
    assertThatThrownBy(() -> GitBackend.builder().repository(repo).remote("x"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("repository was already set");
    assertThatThrownBy(() -> GitBackend.builder().remote("https://h/x.git").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cloneDirectory");
    assertThatThrownBy(() -> GitBackend.builder().repository(repo).timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
  }

  @Test
  void anOperationOnAClosedBackendFails() {
    Path repo = Cli.bare(tmp, "infra.git");
    GitBackend b = local(repo);
    b.close();
    b.close();
    assertThatThrownBy(b::load).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  static void writeString(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A real backend with its conflicts counted (a wrapper, not a mock). */
  static final class CountingBackend implements io.infrastate.spi.HistoryBackend {
    final GitBackend delegate;
    final AtomicInteger conflicts = new AtomicInteger();

    CountingBackend(GitBackend delegate) {
      this.delegate = delegate;
    }

    @Override
    public String location() {
      return delegate.location();
    }

    @Override
    public java.util.Optional<StoredState> load() {
      return delegate.load();
    }

    @Override
    public java.util.Optional<StoredState> loadIfChanged(io.infrastate.spi.VersionToken known) {
      return delegate.loadIfChanged(known);
    }

    @Override
    public SaveResult save(SaveRequest request) {
      SaveResult r = delegate.save(request);
      if (r instanceof SaveResult.Conflict) {
        conflicts.incrementAndGet();
      }
      return r;
    }

    @Override
    public List<VersionInfo> history(int limit) {
      return delegate.history(limit);
    }

    @Override
    public java.util.Optional<StoredState> at(long serial) {
      return delegate.at(serial);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** A task of {@link #inParallel}, given its index. */
  @FunctionalInterface
  private interface Task {
    void run(int index) throws Exception;
  }

  /** Runs {@code task} with indexes 0..threads-1 on as many threads at once; rethrows the first failure. */
  private static void inParallel(int threads, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int index = t;
        done.add(pool.submit(() -> {
          task.run(index);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
