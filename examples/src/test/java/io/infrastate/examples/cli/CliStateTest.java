package io.infrastate.examples.cli;

import static io.infrastate.examples.cli.CliRunner.ok0;
import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import io.infrastate.examples.Processes;
import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The host, resource and state verbs, in-process, against a real state file. */
class CliStateTest extends CliFileTest {

  void seed() {
    ok(cli.run("host", "add", "web01", "--address", "10.0.0.5", "--port", "22", "--user", "deploy",
        "--group", "web", "--var", "http_port=80", "--var", "tls=true", "--var", "version=\"15\"",
        "--var", "zone=us-east", "--var", "ratio=1.10", "--var", "dns=[\"1.1.1.1\"]"));
    ok(cli.run("host", "add", "db01", "--address", "10.0.0.9", "--group", "db"));
    ok(cli.run("resource", "add", "linode:123", "--name", "web01", "--data", "region=us-east",
        "--data", "disk_gb=80", "--tag", "env=prod"));
  }

  @Test
  void hostAddStoresTypedVarsAndEveryField() {
    seed();
    try (State s = State.open(file.toString())) {
      HostState web = s.getHost("web01").orElseThrow();
      assertThat(web.address()).isEqualTo("10.0.0.5");
      assertThat(web.port()).isEqualTo(22);
      assertThat(web.user()).isEqualTo("deploy");
      assertThat(web.group()).isEqualTo("web");
      assertThat(web.vars())
          .containsEntry("http_port", 80)
          .containsEntry("tls", true)
          .containsEntry("version", "15")
          .containsEntry("zone", "us-east")
          .containsEntry("ratio", "1.10")
          .containsEntry("dns", List.of("1.1.1.1"));
      assertThat(s.getResource("linode:123").orElseThrow().type()).isEqualTo("linode");
      assertThat(s.getResource("linode:123").orElseThrow().id()).isEqualTo("123");
      assertThat(s.getResource("linode:123").orElseThrow().data()).containsEntry("disk_gb", 80);
      assertThat(s.metadata().serial()).isEqualTo(3);
      assertThat(s.history(1).get(0).operation()).isEqualTo("add resource linode:123");
    }
  }

  @Test
  void addPrintsWhatItDidAndUpdateKeepsCreatedAt() {
    Result first = ok(cli.run("host", "add", "web01", "--address", "10.0.0.5"));
    assertThat(first.out()).isEqualTo("added host web01 (serial 1)\n");
    JsonNode created = ok(cli.run("--json", "state", "show", "web01")).json();
    Result second = cli.run("host", "add", "web01", "--address", "10.0.0.6");
    assertThat(second.code()).isZero();
    assertThat(second.out()).isEqualTo("replaced host web01 (serial 2)\n");
    assertThat(second.err()).contains("'host set web01 --var K=V' changes only the fields given");
    JsonNode updated = ok(cli.run("state", "show", "host.web01", "--json")).json();
    assertThat(updated.get("address").asString()).isEqualTo("10.0.0.6");
    assertThat(updated.get("created_at")).isEqualTo(created.get("created_at"));
  }

  @Test
  void listsAreTablesByDefaultAndJsonOnRequest() {
    seed();
    Result table = ok(cli.run("host", "list"));
    assertThat(table.out().lines().toList()).hasSize(3);
    assertThat(table.out().lines().findFirst().orElseThrow()).startsWith("NAME").contains("ADDRESS", "PORT", "USER", "GROUP", "VARS");
    assertThat(table.out()).contains("web01  10.0.0.5  22    deploy  web    dns=[\"1.1.1.1\"] http_port=80");

    JsonNode hosts = ok(cli.run("host", "list", "--json")).json();
    assertThat(hosts.size()).isEqualTo(2);
    assertThat(hosts.get(0).get("name").asString()).isEqualTo("db01");
    assertThat(hosts.get(1).get("vars").get("http_port").asInt()).isEqualTo(80);
    assertThat(hosts.get(1).get("vars").get("version").asString()).isEqualTo("15");

    JsonNode web = ok(cli.run("host", "list", "--group", "web", "--json")).json();
    assertThat(web.size()).isEqualTo(1);

    JsonNode all = ok(cli.run("--json", "state", "list")).json();
    assertThat(all.get("serial").asLong()).isEqualTo(3);
    assertThat(all.get("hosts").toString()).isEqualTo("[\"db01\",\"web01\"]");
    assertThat(all.get("resources").toString()).isEqualTo("[\"linode:123\"]");
    assertThat(ok(cli.run("state", "list")).out())
        .contains("host.db01", "host.web01", "resource.linode:123  linode")
        .contains("2 hosts, 1 resource (serial 3)");

    ok(cli.run("resource", "add", "dns:www", "--data", "ttl=300"));
    JsonNode linodes = ok(cli.run("resource", "list", "--type", "linode", "--json")).json();
    assertThat(linodes.size()).isEqualTo(1);
    assertThat(linodes.get(0).get("key").asString()).isEqualTo("linode:123");
    assertThat(linodes.get(0).get("tags").get("env").asString()).isEqualTo("prod");
  }

  @Test
  void jsonOutputIsStable() {
    seed();
    String a = ok(cli.run("--json", "host", "list")).out();
    String b = ok(cli.run("--json", "host", "list")).out();
    assertThat(a).isEqualTo(b).contains("\"name\": \"db01\"").startsWith("[\n  {\n");
  }

  @Test
  void showPrintsEveryField() {
    seed();
    Result host = ok(cli.run("state", "show", "web01"));
    assertThat(host.out()).startsWith("host.web01\n").contains("  address     10.0.0.5").contains("  port        22")
        .contains("vars        dns=[\"1.1.1.1\"] http_port=80 ratio=\"1.10\" tls=true version=\"15\" zone=\"us-east\"");
    Result res = ok(cli.run("state", "show", "linode:123"));
    assertThat(res.out()).startsWith("resource.linode:123\n").contains("  type        linode").contains("tags        env=\"prod\"");
  }

  @Test
  void rmRemovesEverythingInOneWriteOrNothing() throws Exception {
    seed();
    byte[] before = Files.readAllBytes(file);
    Result refused = cli.run("state", "rm", "web01", "nope");
    assertThat(refused.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(refused.err()).contains("No host or resource 'nope'");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);

    Result removed = ok(cli.run("state", "rm", "web01", "resource.linode:123"));
    assertThat(removed.out()).isEqualTo("removed host.web01\nremoved resource.linode:123\nserial 4\n");
    try (State s = State.open(file.toString())) {
      assertThat(s.allHosts()).extracting(HostState::name).containsExactly("db01");
      assertThat(s.allResources()).isEmpty();
      assertThat(s.history(1).get(0).operation()).isEqualTo("remove host web01, remove resource linode:123");
    }
    assertThat(cli.run("host", "rm", "db01", "ghost").code()).isEqualTo(InfrastateCli.ERROR);
    ok(cli.run("host", "rm", "db01"));
    assertThat(cli.run("resource", "rm", "ghost").code()).isEqualTo(InfrastateCli.ERROR);
  }

  @Test
  void aKeyThatIsBothHostAndResourceNeedsAPrefix() {
    ok(cli.run("host", "add", "edge"));
    ok(cli.run("resource", "add", "edge", "--type", "lb", "--id", "e1"));
    Result r = cli.run("state", "show", "edge");
    assertThat(r.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(r.err()).contains("write host.edge or resource.edge");
    assertThat(ok(cli.run("state", "show", "resource.edge")).out()).contains("type        lb");
  }

  @Test
  void mvRenamesAndRefusesToOverwrite() {
    seed();
    Result moved = ok(cli.run("--reason", "rename", "state", "mv", "web01", "web02"));
    assertThat(moved.out()).isEqualTo("moved host.web01 to host.web02 (serial 4)\n");
    try (State s = State.open(file.toString())) {
      assertThat(s.hasHost("web01")).isFalse();
      HostState web02 = s.getHost("web02").orElseThrow();
      assertThat(web02.address()).isEqualTo("10.0.0.5");
      assertThat(web02.vars()).containsEntry("http_port", 80);
      VersionInfo v = s.history(1).get(0);
      assertThat(v.operation()).isEqualTo("move host.web01 to host.web02");
      assertThat(v.reason()).isEqualTo("rename");
    }
    ok(cli.run("state", "mv", "linode:123", "resource.linode:124"));
    Result clash = cli.run("state", "mv", "web02", "db01");
    assertThat(clash.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(clash.err()).contains("host.db01 exists");
    assertThat(cli.run("state", "mv", "web02", "resource.x").code()).isEqualTo(InfrastateCli.USAGE);
  }

  @Test
  void pullPrintsTheStoredFileAndPushChecksLineageAndSerial() throws Exception {
    seed();
    Result pulled = ok(cli.run("state", "pull"));
    assertThat(pulled.out().getBytes(StandardCharsets.UTF_8)).isEqualTo(Files.readAllBytes(file));
    Path copy = tmp.resolve("pulled.json");
    Files.writeString(copy, pulled.out());

    // nothing changed: a no-op
    assertThat(ok(cli.run("state", "push", copy.toString())).out()).startsWith("nothing to push");

    // edit the pulled copy and push it: a new version with the edit
    Files.writeString(copy, pulled.out().replace("10.0.0.9", "10.0.0.99"));
    assertThat(ok(cli.run("state", "push", copy.toString())).out()).isEqualTo("pushed " + copy + " as serial 4 (1 change)\n");
    try (State s = State.open(file.toString())) {
      assertThat(s.getHost("db01").orElseThrow().address()).isEqualTo("10.0.0.99");
      assertThat(s.history(1).get(0).operation()).isEqualTo("push pulled.json");
    }

    // the same copy again is now older than the stored serial: refused, untouched
    byte[] before = Files.readAllBytes(file);
    Files.writeString(copy, pulled.out().replace("10.0.0.9", "10.0.0.77"));
    Result stale = cli.run("state", "push", copy.toString());
    assertThat(stale.code()).isEqualTo(InfrastateCli.CONFLICT);
    assertThat(stale.err()).contains("has serial 3, older than the stored serial 4").contains("--force");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);

    // another lineage: refused
    Path other = tmp.resolve("other.json");
    try (State o = State.open(other.toString())) {
      o.addHost(HostState.builder("x").build());
      for (int i = 0; i < 5; i++) {
        o.save(AuditEntry.of("bump"));
      }
    }
    Result foreign = cli.run("state", "push", other.toString());
    assertThat(foreign.code()).isEqualTo(InfrastateCli.CONFLICT);
    assertThat(foreign.err()).contains("it is another state");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);

    // forced: stored, keeping this state's lineage
    String lineage;
    try (State s = State.open(file.toString())) {
      lineage = s.metadata().lineage();
    }
    ok(cli.run("state", "push", "--force", other.toString()));
    try (State s = State.open(file.toString())) {
      assertThat(s.metadata().lineage()).isEqualTo(lineage);
      assertThat(s.metadata().serial()).isEqualTo(5);
      assertThat(s.allHosts()).extracting(HostState::name).containsExactly("x");
      assertThat(s.history(1).get(0).operation()).isEqualTo("push other.json");
    }

    // a damaged file is refused with its path
    Path broken = tmp.resolve("broken.json");
    Files.writeString(broken, "{\"metadata\": ");
    Result damaged = cli.run("state", "push", broken.toString());
    assertThat(damaged.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(damaged.err()).contains(broken.toString()).contains("nothing was changed");
  }

  @Test
  void historyRollbackAndDiff() {
    seed();
    assertThat(cli.run("--operator", "alice@build-7", "--reason", "OPS-42", "host", "add", "web01", "--address",
        "10.0.0.50", "--port", "2222").code()).isZero();
    Result history = ok(cli.run("state", "history"));
    List<String> lines = history.out().lines().toList();
    assertThat(lines.get(0)).startsWith("SERIAL").contains("TIME", "OPERATOR", "MESSAGE");
    assertThat(lines.get(1)).startsWith("4 ").contains("alice@build-7", "update host web01 (OPS-42)");
    assertThat(lines).hasSize(5);
    JsonNode json = ok(cli.run("state", "history", "--json", "--limit", "2")).json();
    assertThat(json.size()).isEqualTo(2);
    assertThat(json.get(0).get("operator").asString()).isEqualTo("alice@build-7");
    assertThat(json.get(0).get("reason").asString()).isEqualTo("OPS-42");

    Result diff = ok(cli.run("state", "diff", "3", "current"));
    assertThat(diff.out()).contains("~ host web01").contains("~ address: \"10.0.0.5\" -> \"10.0.0.50\"").contains("~ port: 22 -> 2222");
    JsonNode jd = ok(cli.run("--json", "state", "diff", "3", "4")).json();
    assertThat(jd.get("entries").get(0).get("key").asString()).isEqualTo("web01");
    assertThat(jd.get("entries").get(0).get("kind").asString()).isEqualTo("changed");
    assertThat(ok(cli.run("state", "diff", "4", "current")).out()).isEqualTo("no differences\n");

    Result rolled = ok(cli.run("state", "rollback", "3"));
    assertThat(rolled.out()).isEqualTo("rolled back to version 3 as serial 5\n");
    try (State s = State.open(file.toString())) {
      assertThat(s.getHost("web01").orElseThrow().port()).isEqualTo(22);
      assertThat(s.history(1).get(0).operation()).isEqualTo("rollback to version 3");
    }
    Result missing = cli.run("state", "rollback", "99");
    assertThat(missing.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(missing.err()).contains("Version 99 is not in the history");
  }

  @Test
  void diffAgainstAnObservedFileShowsDrift() throws Exception {
    seed();
    Path observed = tmp.resolve("observed.json");
    Files.writeString(observed, ok(cli.run("state", "pull")).out().replace("\"port\": 22", "\"port\": 2222"));
    Result drift = ok(cli.run("state", "diff", "current", observed.toString()));
    assertThat(drift.out()).startsWith("1 difference: 1 host changed").contains("~ port: 22 -> 2222");
  }

  @Test
  void readsOfAStateNeverWrittenAreEmptyAndCreateNothing() {
    Result r = ok0(cli.run("state", "list"));
    assertThat(r.out()).contains("0 hosts, 0 resources (serial 0)");
    assertThat(r.err()).contains("no state is stored at");
    assertThat(ok(cli.run("host", "list", "--json")).out()).isEqualTo("[]\n");
    assertThat(cli.run("state", "pull").code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(file).doesNotExist();
  }


  /**
   * Sixteen {@code host add} processes at once on one state file, as an Ansible play with many
   * forks would run them: every one exits 0 and every host is stored.
   */
  @Test
  void sixteenConcurrentHostAddProcessesAllSucceed() throws Exception {
    int processes = 16;
    ExecutorService pool = Executors.newFixedThreadPool(processes);
    try {
      List<Future<Processes.Result>> results = new ArrayList<>();
      for (int p = 0; p < processes; p++) {
        String name = "fork" + p;
        // JVM options as the testkit's child JVMs use them: quick to start, light on a busy machine
        results.add(pool.submit(() -> Processes.run(tmp, Map.of(), List.of(Processes.java(),
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
            "-cp", System.getProperty("java.class.path"), InfrastateCli.class.getName(),
            "--state", file.toString(), "host", "add", name, "--address", "10.2.0.1"))));
      }
      for (Future<Processes.Result> f : results) {
        Processes.Result r = f.get();
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).as(r.toString()).isEmpty();
      }
    } finally {
      pool.shutdown();
    }
    try (State s = State.open(file.toString())) {
      assertThat(s.allHosts()).hasSize(processes);
      assertThat(s.metadata().serial()).isEqualTo(processes);
    }
  }

  @Test
  void concurrentCommandsLoseNoUpdate() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Result>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 10; i++) {
          String name = "h" + t + "-" + i;
          results.add(pool.submit(() -> cli.run("host", "add", name, "--address", "10.1.0.1")));
        }
      }
      for (Future<Result> f : results) {
        ok(f.get());
      }
    } finally {
      pool.shutdown();
    }
    try (State s = State.open(file.toString())) {
      assertThat(s.allHosts()).hasSize(40);
      assertThat(s.metadata().serial()).isEqualTo(40);
    }
  }
}
