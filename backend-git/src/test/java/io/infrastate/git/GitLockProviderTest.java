package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.lock.LockNames;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to locks kept as Git refs. */
class GitLockProviderTest {
  @TempDir Path tmp;

  private static LockOptions as(String operator) {
    return LockOptions.builder().operator(operator).hostname("host").build();
  }

  @Test
  void eachNamespaceListsOnlyItsOwnLocks() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitLockProvider main = GitLockProvider.builder().repository(repo).options(as("alice")).build();
        GitLockProvider staging = GitLockProvider.builder().repository(repo).options(as("bob"))
            .refPrefix("refs/infrastate/workspaces/staging/locks/").build()) {
      Lock deploy = main.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
      Lock migrate = staging.tryAcquire("migrate", LockRequest.of("migrate")).orElseThrow();
      assertThat(main.list()).containsExactly(deploy.info());
      assertThat(staging.list()).containsExactly(migrate.info());
      // a ref a person pushed under the namespace with another lock's document is damage, not a lock
      Cli.git(repo, "update-ref", "refs/infrastate/locks/other", "refs/infrastate/locks/deploy");
      assertThatThrownBy(main::list).isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("refs/infrastate/locks/other").hasMessageContaining("'deploy'");
    }
  }

  @Test
  void locksAreRefsOutsideTheStateBranchAndPeopleCanReadThemWithGit() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend backend = GitBackend.builder().repository(repo).build(); State state = State.load(backend)) {
      state.addHost(HostState.builder("web01").address("10.0.0.1").build());
    }
    String mainBefore = Cli.tip(repo, "main");
    try (GitLockProvider locks = GitLockProvider.builder().repository(repo).options(as("alice@build-7")).build()) {
      Lock deploy = locks.tryAcquire("deploy", LockRequest.builder().operation("deploy api v2.1.0").reason("OPS-42").build())
          .orElseThrow();
      Lock resource = locks.tryAcquire(LockNames.forResource("linode:42"), LockRequest.of("resize")).orElseThrow();

      assertThat(Cli.git(repo, "for-each-ref", "--format=%(refname)", "refs/infrastate/locks").strip().split("\n"))
          .containsExactly("refs/infrastate/locks/deploy", "refs/infrastate/locks/resource-linode%3A42");
      byte[] json = Cli.show(repo, "refs/infrastate/locks/deploy", "lock.json");
      LockInfo read = LockInfoCodec.decode(json, "cli");
      assertThat(read).isEqualTo(deploy.info());
      assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"operator\": \"alice@build-7\"", "\"operation\": \"deploy api v2.1.0\"");
      assertThat(Cli.git(repo, "log", "-1", "--format=%an|%s", "refs/infrastate/locks/deploy").strip())
          .isEqualTo("alice@build-7|Lock deploy: alice@build-7 for deploy api v2.1.0 (OPS-42)");

      deploy.renew();
      assertThat(Cli.git(repo, "log", "--format=%s", "refs/infrastate/locks/deploy").strip().split("\n"))
          .hasSize(2)
          .satisfies(lines -> assertThat(lines[0]).startsWith("Renew lock deploy until "));

      assertThat(Cli.tip(repo, "main")).isEqualTo(mainBefore);
      assertThat(Cli.git(repo, "rev-list", "--count", "main").strip()).isEqualTo("1");
      Path person = Cli.personClone(repo, tmp.resolve("person"));
      assertThat(Cli.git(person, "for-each-ref", "--format=%(refname)").strip())
          .doesNotContain("refs/infrastate");

      assertThat(deploy.release()).isTrue();
      assertThat(resource.release()).isTrue();
      // the refs stay, each at a released record that carries its token on to the next holder
      assertThat(Cli.git(repo, "log", "-1", "--format=%s%n%b", "refs/infrastate/locks/deploy").strip())
          .startsWith("Release lock deploy")
          .contains("Lock-Token: " + deploy.token(), "Lock-Released: ");
      assertThat(LockInfoCodec.decode(Cli.show(repo, "refs/infrastate/locks/deploy", "lock.json"), "cli").released()).isTrue();
      assertThat(locks.inspect("deploy")).isEmpty();
      Lock again = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
      assertThat(again.token()).isEqualTo(deploy.token() + 1);
      assertThat(again.release()).isTrue();
    }
    assertThat(Cli.tip(repo, "main")).isEqualTo(mainBefore);
    Cli.git(repo, "fsck", "--strict");
  }

  @Test
  void machinesRacingToCreateOneLockOnARemoteNeverBothHoldIt() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    int machines = 6;
    List<GitLockProvider> providers = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(machines);
    try {
      for (int m = 0; m < machines; m++) {
        providers.add(GitLockProvider.builder()
            .remote(remote.toString())
            .cloneDirectory(tmp.resolve("machine" + m))
            .options(as("m" + m + "@host"))
            .build());
      }
      long lastToken = 0;
      for (int round = 0; round < 5; round++) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Optional<Lock>>> tries = new ArrayList<>();
        for (GitLockProvider p : providers) {
          tries.add(pool.submit(() -> {
            start.await();
            return p.tryAcquire("deploy", LockRequest.of("deploy"));
          }));
        }
        start.countDown();
        List<Lock> winners = new ArrayList<>();
        for (Future<Optional<Lock>> f : tries) {
          f.get().ifPresent(winners::add);
        }
        assertThat(winners).as("round %d", round).hasSize(1);
        LockInfo stored = providers.get(0).inspect("deploy").orElseThrow();
        assertThat(stored).isEqualTo(winners.get(0).info());
        assertThat(winners.get(0).token()).as("round %d's token", round).isGreaterThan(lastToken);
        lastToken = winners.get(0).token();
        assertThat(winners.get(0).release()).isTrue();
      }
    } finally {
      pool.shutdownNow();
      providers.forEach(GitLockProvider::close);
    }
    try (GitLockProvider observer = GitLockProvider.builder().repository(remote).build()) {
      assertThat(observer.inspect("deploy")).isEmpty();
    }
    Cli.git(remote, "fsck", "--strict");
  }

  @Test
  void aLockProviderAndABackendShareOneCloneOfARemote() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path clone = tmp.resolve("clone");
    try (GitBackend backend = GitBackend.builder().remote(remote.toString()).cloneDirectory(clone).build();
        GitLockProvider locks = GitLockProvider.builder().remote(remote.toString()).cloneDirectory(clone).build();
        State state = State.load(backend)) {
      try (Lock lock = locks.acquire(LockNames.STATE, LockRequest.of("provision"), Duration.ofSeconds(5))) {
        state.addHost(HostState.builder("web01").address("10.0.0.1").build());
        assertThat(Cli.git(remote, "for-each-ref", "--format=%(refname)", "refs/infrastate/locks").strip())
            .isEqualTo("refs/infrastate/locks/state");
        assertThat(lock.isHeld()).isTrue();
      }
    }
    assertThat(Cli.git(remote, "log", "--format=%s", "main").strip()).isEqualTo("Add host web01");
    assertThat(Cli.git(remote, "log", "-1", "--format=%s", "refs/infrastate/locks/state").strip())
        .isEqualTo("Release lock state");
  }

  @Test
  void aLockRefDamagedFromOutsideIsReportedAndNeverOverwritten() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    String commit = Cli.commitFile(repo, "scratch", "notes.txt", "not a lock\n".getBytes(StandardCharsets.UTF_8), "Notes");
    Cli.git(repo, "update-ref", "refs/infrastate/locks/deploy", commit);
    try (GitLockProvider locks = GitLockProvider.builder().repository(repo).build()) {
      assertThatThrownBy(() -> locks.inspect("deploy"))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("holds no lock.json")
          .hasMessageContaining("git update-ref -d refs/infrastate/locks/deploy");
      assertThatThrownBy(() -> locks.tryAcquire("deploy", LockRequest.of("deploy")))
          .isInstanceOf(CorruptStateException.class);
    }
    assertThat(Cli.git(repo, "rev-parse", "refs/infrastate/locks/deploy").strip()).isEqualTo(commit);

    String unparsable = Cli.commitFile(repo, "scratch2", "lock.json", "{\"id\": ".getBytes(StandardCharsets.UTF_8), "Broken");
    Cli.git(repo, "update-ref", "refs/infrastate/locks/other", unparsable);
    try (GitLockProvider locks = GitLockProvider.builder().repository(repo).build()) {
      assertThatThrownBy(() -> locks.inspect("other"))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("refs/infrastate/locks/other");
    }
  }

  @Test
  void everyValidLockNameMapsToAValidDistinctRef() {
    List<String> names = List.of("deploy", "state", "Deploy", "deploy.api", "x.lock", ".hidden", "a b", "a:b", "a~b",
        "a^b", "a?b*c[d", "a@{b}", "@", "ünïcödé", "percent%41", LockNames.forResource("aws:arn:aws:ec2/i-0abc"),
        "n".repeat(LockNames.MAX_LENGTH), "é".repeat(LockNames.MAX_LENGTH));
    List<String> refs = new ArrayList<>();
    for (String name : names) {
      String ref = GitLockProvider.refFor(name);
      refs.add(ref);
      assertThat(ref).startsWith(GitLockProvider.REF_PREFIX);
      assertThat(ref.length() - GitLockProvider.REF_PREFIX.length()).isLessThanOrEqualTo(200);
      Cli.Result r = Cli.run(tmp, Map.of(), "check-ref-format", ref);
      assertThat(r.exit()).as("%s -> %s", name, ref).isZero();
    }
    assertThat(refs).doesNotHaveDuplicates();
    assertThat(GitLockProvider.refFor("resource-linode:42")).isEqualTo("refs/infrastate/locks/resource-linode%3A42");
    assertThat(GitLockProvider.refFor("é".repeat(LockNames.MAX_LENGTH))).matches("refs/infrastate/locks/h-[0-9a-f]{64}");
    assertThatThrownBy(() -> GitLockProvider.refFor("../x")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void locationNamesTheRepositoryWithoutCredentials() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitLockProvider locks = GitLockProvider.builder().repository(repo).build()) {
      assertThat(locks.location()).isEqualTo("git+file://" + repo + "#refs/infrastate/locks/");
    }
    Files.createDirectories(tmp.resolve("c"));
    try (GitLockProvider locks = GitLockProvider.builder()
        .remote("https://bot:s3cr3t-token@git.example.com/ops/infra.git")
        .cloneDirectory(tmp.resolve("c"))
        .build()) {
      assertThat(locks.location()).isEqualTo("git+https://git.example.com/ops/infra.git#refs/infrastate/locks/");
      assertThat(Files.readString(tmp.resolve("c/config"))).doesNotContain("s3cr3t-token").doesNotContain("bot");
    }
  }

  @Test
  void receivePackAnswersThatMeanARaceAreTellFromRefusals() {
    assertThat(RemoteFailures.isLockContention("failed to lock")).isTrue();
    assertThat(RemoteFailures.isLockContention("lock error: /srv/infra.git/refs/infrastate/locks/deploy.lock")).isTrue();
    assertThat(RemoteFailures.isLockContention("cannot lock ref 'refs/infrastate/locks/deploy': is at 1a2b but expected 3c4d")).isTrue();
    assertThat(RemoteFailures.isLockContention("failed to update ref")).isTrue();
    assertThat(RemoteFailures.isLockContention("pre-receive hook declined")).isFalse();
    assertThat(RemoteFailures.isLockContention("protected branch hook declined")).isFalse();
    assertThat(RemoteFailures.isLockContention(null)).isFalse();
  }
}
