package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.LockLostException;
import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.s3.S3Credentials;
import io.infrastate.s3.S3TestServer;
import io.infrastate.testkit.JvmProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A lock fences, across processes, on every backend, with default options: a holder with a 1 s
 * lease stalls past it, another process (a separate JVM running the CLI) takes the lock over and
 * writes, and the first holder's later write under its old lock is refused and stores nothing,
 * through the API and through the CLI. (The first holder writes nothing under its 1 s lease before
 * it stalls: opening a clone or an S3 client may itself take longer than that on a busy machine,
 * and the write would then be refused, rightly, for the same reason.)
 */
class FencingAcrossProcessesTest {
  @TempDir Path tmp;

  private S3TestServer server;
  private S3Credentials credentials;

  @AfterEach
  void stopServer() throws Exception {
    if (credentials != null) {
      credentials.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** The second process: takes a lock over through the CLI and writes a host under it. */
  public static final class Takeover {
    private Takeover() {}

    /**
     * Acquires the lock (a takeover, since its lease ended), adds a host under it with {@code
     * --lock}, prints {@code token=N}, and exits with the write's exit code.
     *
     * @param args state URI, lock name, host name, and for S3 the access key and secret
     */
    public static void main(String[] args) {
      if (args.length > 3) {
        System.setProperty("aws.accessKeyId", args[3]);
        System.setProperty("aws.secretAccessKey", args[4]);
      }
      String uri = args[0];
      String lock = args[1];
      Result acquired = run("--state", uri, "--operator", "bob@second", "--json", "lock", "acquire", lock, "--lease", "5m");
      if (acquired.code() != 0) {
        System.out.println("acquire failed: " + acquired);
        System.exit(acquired.code());
      }
      String id = acquired.json().get("id").asString();
      long token = acquired.json().get("token").asLong();
      Result wrote = run("--state", uri, "--operator", "bob@second", "--lock", lock + "=" + id, "host", "add", args[2]);
      System.out.println("token=" + token);
      System.out.println(wrote);
      System.exit(wrote.code());
    }

    private static Result run(String... args) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = InfrastateCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), Map.of());
      return new Result(code, out.toString(), err.toString());
    }
  }

  /** Where the two processes find the state: the same storage, each with its own clone for Git. */
  private record Setup(String first, String second, List<String> credentials) {}

  private Setup setup(String backend) throws Exception {
    switch (backend) {
      case "file" -> {
        String uri = tmp.resolve("state.json").toString();
        return new Setup(uri, uri, List.of());
      }
      case "journal" -> {
        String uri = tmp.resolve("state.json").toUri() + "?journal=true";
        return new Setup(uri, uri, List.of());
      }
      case "git" -> {
        Path remote = tmp.resolve("infra.git");
        try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.init().setBare(true).setDirectory(remote.toFile()).call()) {
          // an empty bare repository: the remote both processes push to
        }
        String base = "git+file://" + remote + "?clone=";
        String path = "#main:state.json";
        return new Setup(base + tmp.resolve("clone-first") + path, base + tmp.resolve("clone-second") + path, List.of());
      }
      case "s3" -> {
        credentials = S3Credentials.set();
        server = S3TestServer.start();
        String bucket = server.newBucket();
        String uri = server.stateUri(bucket, "prod/state.json");
        return new Setup(uri, uri, List.of(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY));
      }
      default -> throw new IllegalArgumentException(backend);
    }
  }

  /** The lock provider the CLI uses for a state URI. */
  private static LockProvider locks(String uri) {
    Root root = new Root(Map.of());
    root.state = uri;
    return root.locks(false);
  }

  /** Runs the second process to completion; returns the token it acquired. */
  private long takeOverInAnotherProcess(Setup s, String lock, String host) throws Exception {
    List<String> args = new ArrayList<>(List.of(s.second(), lock, host));
    args.addAll(s.credentials());
    try (JvmProcess child = JvmProcess.start(Takeover.class, tmp.resolve("second-" + lock + ".log"), args.toArray(String[]::new))) {
      assertThat(child.await(3, TimeUnit.MINUTES)).as(child.output()).isZero();
      Matcher m = Pattern.compile("token=(\\d+)").matcher(child.output());
      assertThat(m.find()).as(child.output()).isTrue();
      return Long.parseLong(m.group(1));
    }
  }

  /** The holder stalls (a long garbage collection, a suspended laptop) until its lease has ended. */
  private static void stallPast(Instant expiresAt) throws InterruptedException {
    while (!Instant.now().isAfter(expiresAt)) {
      Thread.sleep(Math.max(1, Duration.between(Instant.now(), expiresAt).toMillis() + 1));
    }
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.9").build();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"file", "journal", "git", "s3"})
  void aHolderWhoseLeaseEndedAndWasTakenOverCannotWriteThroughTheApi(String backend) throws Exception {
    Setup s = setup(backend);
    long takenToken;
    Lock old;
    try (State first = State.open(s.first()); LockProvider locks = locks(s.first())) {
      first.update(AuditEntry.of("base"), tx -> tx.addHost(host("a1")));
      old = locks.acquire("deploy", LockRequest.builder().operation("deploy").lease(Duration.ofSeconds(1)).build(), Duration.ZERO);
      stallPast(old.info().expiresAt());
      takenToken = takeOverInAnotherProcess(s, "deploy", "b1");
      assertThat(takenToken).isGreaterThan(old.token());

      // the stalled holder resumes, its copy of the state still from before the takeover
      assertThatThrownBy(() -> first.update(old, AuditEntry.of("deploy a2"), tx -> tx.addHost(host("a2"))))
          .isInstanceOf(LockLostException.class)
          .hasMessageContaining("deploy")
          .hasMessageContaining("Nothing was written");
      // and with a fresh copy: the stored token refuses it, atomically with the save
      try (State fresh = State.open(s.first())) {
        assertThatThrownBy(() -> fresh.update(old, AuditEntry.of("deploy a3"), tx -> tx.addHost(host("a3"))))
            .isInstanceOfSatisfying(LockLostException.class, e -> {
              assertThat(e.token()).isEqualTo(old.token());
              assertThat(e.recorded()).isEqualTo(takenToken);
            });
      }
    }
    try (State after = State.open(s.first())) {
      assertThat(after.allHosts()).extracting(HostState::name).containsExactlyInAnyOrder("a1", "b1");
      assertThat(after.metadata().fence("deploy")).isEqualTo(takenToken);
      // newest first: bob's write under his lock, the takeover the CLI recorded, the first write
      List<VersionInfo> history = after.history(10);
      assertThat(history).hasSize(3);
      assertThat(history.get(0).locks()).containsExactly(Map.entry("deploy", takenToken));
      assertThat(history.get(0).operator()).isEqualTo("bob@second");
      assertThat(history.get(1).operation()).startsWith("take over stale lock deploy");
      assertThat(history.get(1).locks()).isEmpty();
      assertThat(history.get(2).operation()).isEqualTo("base");
      assertThat(history.get(2).locks()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"file", "journal", "git", "s3"})
  void aHolderWhoseLeaseEndedAndWasTakenOverCannotWriteThroughTheCli(String backend) throws Exception {
    Setup s = setup(backend);
    CliRunner.ok0(CliRunner.at(s.first(), "host", "add", "c1"));
    Result acquired = CliRunner.at(s.first(), "--json", "lock", "acquire", "gate", "--lease", "1s");
    assertThat(acquired.code()).as(acquired.toString()).isZero();
    String id = acquired.json().get("id").asString();
    long token = acquired.json().get("token").asLong();
    stallPast(Instant.parse(acquired.json().get("expires_at").asString()));
    long takenToken = takeOverInAnotherProcess(s, "gate", "c2");
    assertThat(takenToken).isEqualTo(token + 1);

    Result refused = CliRunner.at(s.first(), "--lock", "gate=" + id, "host", "add", "c3");
    assertThat(refused.code()).as(refused.toString()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(refused.err().lines().toList()).hasSize(1);
    assertThat(refused.err()).startsWith("infrastate: ").contains("gate", id, "nothing was written").doesNotContain("Exception");
    assertThat(refused.out()).isEmpty();

    Result list = CliRunner.ok0(CliRunner.at(s.first(), "--json", "host", "list"));
    List<String> names = new ArrayList<>();
    list.json().forEach(h -> names.add(h.get("name").asString()));
    assertThat(names).containsExactlyInAnyOrder("c1", "c2");
    String history = CliRunner.ok0(CliRunner.at(s.first(), "state", "history")).out();
    assertThat(history).contains("add host c2 [under lock gate (token " + takenToken + ")]").doesNotContain("add host c3");
  }

}
