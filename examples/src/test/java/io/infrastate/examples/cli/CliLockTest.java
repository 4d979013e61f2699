package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.file.FileLockProvider;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The lock verbs against the file lock provider in {@code <state>.locks/}. */
class CliLockTest extends CliFileTest {
  Path lockDir;

  @BeforeEach
  void setUp() {
    lockDir = tmp.resolve("state.json.locks");
  }

  @Test
  void acquirePrintsTheIdAndTheLockOutlivesTheCommand() throws Exception {
    Result acquired = cli.run("--operator", "alice@ci", "--reason", "OPS-7", "lock", "acquire", "deploy", "--operation", "deploy api", "--lease", "10m");
    assertThat(acquired.code()).as(acquired.toString()).isZero();
    String id = acquired.out().strip();
    assertThat(id).startsWith("lock_");
    assertThat(lockDir.resolve("deploy.lock")).exists();
    assertThat(Files.readString(lockDir.resolve("deploy.lock"))).contains(id).contains("alice@ci").contains("deploy api").contains("OPS-7");

    Result status = cli.run("lock", "status", "deploy");
    assertThat(status.out()).startsWith("deploy: held by alice@ci").contains("for deploy api (OPS-7)").contains(id);
    JsonNode json = cli.run("--json", "lock", "status", "deploy").json();
    assertThat(json.get("status").asString()).isEqualTo("held");
    assertThat(json.get("lock").get("id").asString()).isEqualTo(id);
    Instant created = Instant.parse(json.get("lock").get("created_at").asString());
    Instant expires = Instant.parse(json.get("lock").get("expires_at").asString());
    assertThat(Duration.between(created, expires)).isEqualTo(Duration.ofMinutes(10));

    Result second = cli.run("lock", "acquire", "deploy");
    assertThat(second.code()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(second.err().lines().count()).isEqualTo(1);
    assertThat(second.err()).contains("held by alice@ci").contains("infrastate force-unlock deploy " + id);

    Result wrong = cli.run("lock", "release", "deploy", "--id", "lock_not-mine");
    assertThat(wrong.code()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(lockDir.resolve("deploy.lock")).exists();

    Result released = cli.run("lock", "release", "deploy", "--id", id);
    assertThat(released.code()).as(released.toString()).isZero();
    assertThat(released.out()).isEqualTo("released lock deploy\n");
    assertThat(cli.run("lock", "status", "deploy").out()).isEqualTo("deploy: free\n");
    assertThat(cli.run("lock", "release", "deploy", "--id", id).code()).isEqualTo(InfrastateCli.ERROR);
  }

  @Test
  void locksOfDifferentNamesAreIndependent() {
    String a = cli.run("lock", "acquire", "resource-web01").out().strip();
    Result b = cli.run("--json", "lock", "acquire", "resource-web02");
    assertThat(b.code()).isZero();
    assertThat(b.json().get("name").asString()).isEqualTo("resource-web02");
    assertThat(b.json().get("id").asString()).isNotEqualTo(a);
  }

  @Test
  void forceUnlockNeedsTheRightIdAndIsRecordedInTheHistory() {
    assertThat(cli.run("host", "add", "web01").code()).isZero();
    String id = cli.run("--operator", "bob@gone", "lock", "acquire", "deploy").out().strip();
    Result wrong = cli.run("force-unlock", "deploy", "lock_other");
    assertThat(wrong.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(wrong.err()).contains("it is held by bob@gone");
    Result forced = cli.run("--operator", "carol@ops", "force-unlock", "deploy", id);
    assertThat(forced.code()).as(forced.toString()).isZero();
    assertThat(forced.out()).isEqualTo("force-unlocked lock deploy (" + id + ")\n");
    assertThat(cli.run("lock", "status", "deploy").out()).isEqualTo("deploy: free\n");
    try (State s = State.open(file.toString())) {
      assertThat(s.history(1).get(0).operator()).isEqualTo("carol@ops");
      assertThat(s.history(1).get(0).operation()).startsWith("force-unlock deploy (held by bob@gone");
    }
  }

  @Test
  void aStaleLockIsTakenOverAndTheTakeoverRecorded() {
    assertThat(cli.run("host", "add", "web01").code()).isZero();
    // A holder whose lease ended an hour ago (its clock is in the past), as if it had crashed.
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
    String staleId;
    try (FileLockProvider old = FileLockProvider.in(lockDir, LockOptions.builder().clock(past).operator("crashed@host").build())) {
      Lock lock = old.acquire("deploy", LockRequest.builder().operation("deploy").lease(Duration.ofHours(1)).build(), Duration.ZERO);
      staleId = lock.id();
    }
    assertThat(cli.run("lock", "status", "deploy").out()).startsWith("deploy: stale by crashed@host");

    Result taken = cli.run("--operator", "dave@ci", "lock", "acquire", "deploy");
    assertThat(taken.code()).as(taken.toString()).isZero();
    assertThat(taken.err()).contains("took over the stale lock 'deploy' of crashed@host");
    assertThat(taken.out().strip()).isNotEqualTo(staleId);
    try (State s = State.open(file.toString())) {
      assertThat(s.history(1).get(0).operation()).startsWith("take over stale lock deploy (held by crashed@host");
    }
  }

  @Test
  void writesUnderALockRecordItsTokenAndALostLockExitsFourWritingNothing() throws Exception {
    Result acquired = cli.run("--json", "lock", "acquire", "deploy");
    assertThat(acquired.code()).as(acquired.toString()).isZero();
    String id = acquired.json().get("id").asString();
    long token = acquired.json().get("token").asLong();
    assertThat(cli.run("lock", "status", "deploy").out()).contains("token " + token);

    Result wrote = cli.run("--lock", "deploy=" + id, "host", "add", "web01");
    assertThat(wrote.code()).as(wrote.toString()).isZero();
    assertThat(Files.readString(file)).contains("\"fences\": {\n      \"deploy\": " + token + "\n    }");
    assertThat(cli.run("state", "history").out()).contains("add host web01 [under lock deploy (token " + token + ")]");
    JsonNode history = cli.run("--json", "state", "history").json();
    assertThat(history.get(0).get("locks").get("deploy").asLong()).isEqualTo(token);
    assertThat(cli.run("lock", "release", "deploy", "--id", id).code()).isZero();

    // a released lock: nothing is written
    Result released = cli.run("--lock", "deploy=" + id, "host", "add", "web02");
    assertThat(released.code()).as(released.toString()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(released.err().lines().count()).isEqualTo(1);
    assertThat(released.err()).contains("is not held by lock id " + id, "it is free", "nothing was written");

    // a lock whose lease ended while nobody took it over: its id still matches, the write is refused
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
    String staleId;
    try (FileLockProvider old = FileLockProvider.in(lockDir, LockOptions.builder().clock(past).operator("stalled@host").build())) {
      staleId = old.acquire("deploy", LockRequest.builder().lease(Duration.ofHours(1)).build(), Duration.ZERO).id();
    }
    Result stale = cli.run("--lock", "deploy=" + staleId, "host", "add", "web03");
    assertThat(stale.code()).as(stale.toString()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(stale.err().lines().count()).isEqualTo(1);
    assertThat(stale.err()).startsWith("infrastate: Refused a write to").contains("no longer held", "Nothing was written");

    Result malformed = cli.run("--lock", "deploy", "host", "add", "web04");
    assertThat(malformed.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(malformed.err()).contains("is not NAME=ID");
    try (State s = State.open(file.toString())) {
      assertThat(s.allHosts()).extracting(io.infrastate.model.HostState::name).containsExactly("web01");
    }
  }

  @Test
  void lockVerbsOnAnUnknownSchemeAreABadCommandLine() {
    Result r = CliRunner.raw(java.util.Map.of(), "--state", "nosuch://host/infra", "lock", "status", "deploy");
    assertThat(r.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(r.err()).contains("No backend for URI scheme 'nosuch'");
  }
}
