package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The verbs users look for: state list filters, --dry-run, --serial, lock list, inventory import,
 * completion, short help and "did you mean", in-process on a real state file.
 */
class CliVerbsTest extends CliFileTest {
  void seed() {
    ok(cli.run("host", "add", "web01", "--group", "web"));
    ok(cli.run("host", "add", "web02", "--group", "web"));
    ok(cli.run("host", "add", "db01", "--group", "db"));
    ok(cli.run("resource", "add", "linode:1", "--tag", "env=prod"));
    ok(cli.run("resource", "add", "linode:2", "--tag", "env=test"));
    ok(cli.run("resource", "add", "dns:www", "--tag", "env=prod"));
  }

  @Test
  void stateListFiltersByTypeGroupTagAndGlob() {
    seed();
    assertThat(ok(cli.run("--json", "state", "list", "web*")).json().get("hosts").toString())
        .isEqualTo("[\"web01\",\"web02\"]");
    JsonNode byType = ok(cli.run("--json", "state", "list", "--type", "linode")).json();
    assertThat(byType.get("hosts").size()).isZero();
    assertThat(byType.get("resources").toString()).isEqualTo("[\"linode:1\",\"linode:2\"]");
    assertThat(ok(cli.run("--json", "state", "list", "--type", "host", "--group", "db")).json().get("hosts").toString())
        .isEqualTo("[\"db01\"]");
    JsonNode prod = ok(cli.run("--json", "state", "list", "--tag", "env=prod")).json();
    assertThat(prod.get("resources").toString()).isEqualTo("[\"dns:www\",\"linode:1\"]");
    assertThat(prod.get("hosts").size()).isZero();
    assertThat(ok(cli.run("--json", "state", "list", "--tag", "env", "resource.linode:?")).json().get("resources").toString())
        .isEqualTo("[\"linode:1\",\"linode:2\"]");
    assertThat(ok(cli.run("state", "list", "host.db*")).out()).contains("host.db01").contains("1 host, 0 resources");
    Result bad = cli.run("state", "list", "--tag", "=x");
    assertThat(bad.code()).isEqualTo(InfrastateCli.USAGE);
  }

  @Test
  void dryRunChecksAndWritesNothing() throws Exception {
    seed();
    byte[] before = Files.readAllBytes(file);
    assertThat(ok(cli.run("state", "rm", "--dry-run", "web01", "linode:1")).out())
        .isEqualTo("would remove host.web01\nwould remove resource.linode:1\ndry run: nothing was written (serial 6)\n");
    assertThat(ok(cli.run("state", "mv", "--dry-run", "web01", "web09")).out())
        .isEqualTo("would move host.web01 to host.web09\ndry run: nothing was written (serial 6)\n");
    JsonNode json = ok(cli.run("--json", "state", "rm", "--dry-run", "db01")).json();
    assertThat(json.get("would_remove").toString()).isEqualTo("[\"host.db01\"]");
    assertThat(json.get("dry_run").asBoolean()).isTrue();
    Result unknown = cli.run("state", "rm", "--dry-run", "nope");
    assertThat(unknown.code()).isEqualTo(InfrastateCli.ERROR);
    Result taken = cli.run("state", "mv", "--dry-run", "web01", "web02");
    assertThat(taken.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(taken.err()).contains("host.web02 exists");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
  }

  @Test
  void showAndPullReadAnOldVersion() {
    ok(cli.run("host", "add", "web01", "--address", "10.0.0.1"));
    ok(cli.run("host", "set", "web01", "--address", "10.0.0.2"));
    assertThat(ok(cli.run("--json", "state", "show", "web01", "--serial", "1")).json().get("address").asString())
        .isEqualTo("10.0.0.1");
    assertThat(ok(cli.run("--json", "state", "show", "web01")).json().get("address").asString()).isEqualTo("10.0.0.2");
    String old = ok(cli.run("state", "pull", "--serial", "1")).out();
    assertThat(old).contains("\"serial\": 1").contains("10.0.0.1").doesNotContain("10.0.0.2");
    Result missing = cli.run("state", "pull", "--serial", "9");
    assertThat(missing.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(missing.err()).isEqualTo("infrastate: Version 9 is not in the history of " + file
        + "; see 'infrastate state history'\n");
  }

  @Test
  void lockListShowsTheStoredLocks() {
    ok(cli.run("host", "add", "web01"));
    assertThat(ok(cli.run("lock", "list")).out()).isEqualTo("NAME  STATUS  OPERATOR  OPERATION  EXPIRES\n");
    ok(cli.run("--operator", "alice", "lock", "acquire", "deploy", "--operation", "deploy api"));
    ok(cli.run("--operator", "bob", "lock", "acquire", "backup"));
    Result list = ok(cli.run("lock", "list"));
    assertThat(list.out().lines().toList()).hasSize(3);
    assertThat(list.out().lines().skip(1).toList().get(0)).startsWith("backup  held    bob");
    assertThat(list.out().lines().skip(2).toList().get(0)).startsWith("deploy  held    alice     deploy api");
    JsonNode json = ok(cli.run("--json", "lock", "list")).json();
    assertThat(json.get(1).get("lock").get("operator").asString()).isEqualTo("alice");
  }

  @Test
  void inventoryImportAddsHostsInOneWriteAndReportsWhatItSkipped() throws Exception {
    ok(cli.run("host", "add", "web02", "--address", "1.1.1.1"));
    Path ini = tmp.resolve("hosts.ini");
    Files.writeString(ini, "[web]\nweb01 ansible_host=10.0.0.1 ansible_port=2222 http_port=80\nweb02 ansible_host=10.0.0.2\n\n"
        + "[db]\ndb01 ansible_host=10.0.0.9\nweb01\n\n[web:vars]\nntp=time.example\n");
    Result r = ok(cli.run("inventory", "import", ini.toString()));
    assertThat(r.out()).isEqualTo("added host web01 (group web)\n"
        + "added host db01 (group db)\n"
        + "skipped group db of host web01: a state host has one group; it is in web\n"
        + "skipped host web02: the state has it already (change it with 'host set')\n"
        + "skipped vars of group web: group variables are not stored in the state (ntp)\n"
        + "2 hosts added, 3 skipped (serial 2)\n");
    try (State s = State.open(file.toString())) {
      HostState web01 = s.getHost("web01").orElseThrow();
      assertThat(web01.address()).isEqualTo("10.0.0.1");
      assertThat(web01.port()).isEqualTo(2222);
      assertThat(web01.vars()).containsEntry("http_port", 80);
      assertThat(s.getHost("web02").orElseThrow().address()).isEqualTo("1.1.1.1");
      assertThat(s.history(1).get(0).operation()).isEqualTo("import inventory hosts.ini");
    }
    Path yml = tmp.resolve("more.yml");
    Files.writeString(yml, "all:\n  children:\n    cache-tier:\n      hosts:\n        c1:\n          ansible_host: 10.0.0.7\n");
    byte[] before = Files.readAllBytes(file);
    Result refused = cli.run("inventory", "import", yml.toString());
    assertThat(refused.code()).as(refused.toString()).isEqualTo(InfrastateCli.USAGE);
    assertThat(refused.err()).contains("this state refuses such names").doesNotContain("GroupNamePolicy");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    ok(cli.run("state", "settings", "--group-names", "transform"));
    assertThat(ok(cli.run("inventory", "import", yml.toString())).out()).startsWith("added host c1 (group cache_tier)\n");
  }

  @Test
  void completionPrintsABashScript() {
    Result r = ok(CliRunner.raw(Map.of(), "completion"));
    assertThat(r.out()).startsWith("#!/usr/bin/env bash").contains("infrastate").contains("inventory")
        .contains("--unset-var");
  }

  @Test
  void verbHelpIsShortAndMistypesGetASuggestion() {
    Result help = ok(CliRunner.raw(Map.of(), "host", "set", "--help"));
    assertThat(help.out()).startsWith("Usage: infrastate host set [OPTIONS] NAME").contains("--unset-var")
        .doesNotContain("Exit codes").doesNotContain("--key-command").contains("'infrastate --help'");
    assertThat(help.out().lines().count()).isLessThan(30);
    Result verb = CliRunner.raw(Map.of(), "hots", "list");
    assertThat(verb.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(verb.err()).contains("Did you mean 'host'?");
    Result option = cli.run("host", "list", "--grop", "web");
    assertThat(option.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(option.err()).contains("Did you mean '--group'?");
  }

  @Test
  void errorsNameNoJavaTypes() {
    Path missing = tmp.resolve("missing.json");
    Result push = cli.run("state", "push", missing.toString());
    assertThat(push.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(push.err()).isEqualTo("infrastate: Cannot read " + missing + ": no such file\n");
    Result imp = cli.run("inventory", "import", tmp.resolve("missing.ini").toString());
    assertThat(imp.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(imp.err()).doesNotContain("Exception").doesNotContain("java.");
  }
}
