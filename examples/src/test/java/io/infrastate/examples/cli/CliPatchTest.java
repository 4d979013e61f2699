package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code host set}, {@code resource set} and the state's group-name policy, in-process, on a real file. */
class CliPatchTest extends CliFileTest {
  @Test
  void hostSetChangesOnlyTheFieldsGivenInOneWrite() {
    ok(cli.run("host", "add", "web11", "--address", "1.1.1.1", "--port", "22", "--user", "deploy", "--group", "web",
        "--var", "http_port=80", "--var", "tls=true"));
    Result set = ok(cli.run("host", "set", "web11", "--address", "1.1.1.2", "--var", "http_port=8080",
        "--unset-var", "tls", "--var", "zone=eu"));
    assertThat(set.out()).isEqualTo("updated host web11 (serial 2)\n");
    try (State s = State.open(file.toString())) {
      HostState h = s.getHost("web11").orElseThrow();
      assertThat(h.address()).isEqualTo("1.1.1.2");
      assertThat(h.port()).isEqualTo(22);
      assertThat(h.user()).isEqualTo("deploy");
      assertThat(h.group()).isEqualTo("web");
      assertThat(h.vars()).containsOnlyKeys("http_port", "zone").containsEntry("http_port", 8080);
      assertThat(s.metadata().serial()).isEqualTo(2);
      assertThat(s.history(1).get(0).operation()).isEqualTo("update host web11");
    }
    JsonNode json = ok(cli.run("--json", "host", "set", "web11", "--port", "2222")).json();
    assertThat(json.get("created").asBoolean()).isFalse();
    assertThat(json.get("host").get("port").asInt()).isEqualTo(2222);
    assertThat(json.get("host").get("vars").get("zone").asString()).isEqualTo("eu");
  }

  @Test
  void hostSetRefusesAnUnknownHostOrVariableAndWritesNothing() throws Exception {
    ok(cli.run("host", "add", "web11", "--address", "1.1.1.1"));
    byte[] before = Files.readAllBytes(file);
    Result missing = cli.run("host", "set", "web12", "--address", "1.1.1.3");
    assertThat(missing.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(missing.err()).isEqualTo("infrastate: No host 'web12' in " + file + "; nothing was written. Use"
        + " 'host set web12 --create …' to add it, or see 'infrastate host list'\n");
    Result unknownVar = cli.run("host", "set", "web11", "--unset-var", "nope");
    assertThat(unknownVar.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(unknownVar.err()).contains("has no variable 'nope'");
    Result both = cli.run("host", "set", "web11", "--var", "a=1", "--unset-var", "a");
    assertThat(both.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(Files.readAllBytes(file)).isEqualTo(before);

    Result created = ok(cli.run("host", "set", "web12", "--create", "--address", "1.1.1.3"));
    assertThat(created.out()).isEqualTo("added host web12 (serial 2)\n");
  }

  @Test
  void resourceSetPatchesDataAndTags() throws Exception {
    ok(cli.run("resource", "add", "linode:1", "--name", "web", "--data", "region=us-east", "--data", "disk_gb=80",
        "--tag", "env=prod", "--tag", "team=a"));
    Result set = ok(cli.run("resource", "set", "linode:1", "--data", "disk_gb=160", "--unset-data", "region",
        "--tag", "tier=1", "--unset-tag", "team"));
    assertThat(set.out()).isEqualTo("updated resource linode:1 (serial 2)\n");
    try (State s = State.open(file.toString())) {
      ResourceState r = s.getResource("linode:1").orElseThrow();
      assertThat(r.name()).isEqualTo("web");
      assertThat(r.type()).isEqualTo("linode");
      assertThat(r.data()).containsOnlyKeys("disk_gb").containsEntry("disk_gb", 160);
      assertThat(r.tags()).containsOnlyKeys("env", "tier");
    }
    byte[] before = Files.readAllBytes(file);
    Result missing = cli.run("resource", "set", "linode:2", "--name", "x");
    assertThat(missing.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(missing.err()).contains("No resource 'linode:2'").contains("--create");
    Result badTag = cli.run("resource", "set", "linode:1", "--unset-tag", "nope");
    assertThat(badTag.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    ok(cli.run("resource", "set", "dns:www", "--create", "--data", "ttl=300"));
    try (State s = State.open(file.toString())) {
      assertThat(s.getResource("dns:www").orElseThrow().type()).isEqualTo("dns");
    }
  }

  @Test
  void addOnAnExistingEntryReplacesItAndPointsToSet() {
    ok(cli.run("resource", "add", "linode:1", "--data", "a=1"));
    Result again = cli.run("resource", "add", "linode:1", "--data", "b=2");
    assertThat(again.code()).isZero();
    assertThat(again.out()).isEqualTo("replaced resource linode:1 (serial 2)\n");
    assertThat(again.err()).contains("'resource set linode:1 --data K=V' changes only the fields given");
  }

  @Test
  void groupNamesAnsibleRejectsAreRefusedByDefault() throws Exception {
    ok(cli.run("host", "add", "web01", "--group", "web"));
    byte[] before = Files.readAllBytes(file);
    for (List<String> args : List.of(List.of("host", "add", "c1", "--group", "cache-tier"),
        List.of("host", "set", "web01", "--group", "cache-tier"))) {
      Result r = cli.run(args.toArray(String[]::new));
      assertThat(r.code()).as(r.toString()).isEqualTo(InfrastateCli.USAGE);
      assertThat(r.err()).isEqualTo("infrastate: Group name 'cache-tier' would make Ansible reject the inventory"
          + " (only letters, digits and _ are allowed, and no leading digit); nothing was written. Use --group"
          + " cache_tier, or have this state transform such names: 'infrastate state settings --group-names"
          + " transform'\n");
      assertThat(r.err()).doesNotContain("GroupNamePolicy").doesNotContain("Exception");
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    assertThat(ok(cli.run("state", "show")).out()).contains("group-names  reject");
  }

  @Test
  void aStateThatTransformsStoresTheNameAnsibleReads() {
    Result chosen = ok(cli.run("state", "settings", "--group-names", "transform"));
    assertThat(chosen.out()).isEqualTo("group-names  transform  (serial 1)\n");
    assertThat(ok(cli.run("state", "show")).out()).contains("group-names  transform");
    assertThat(ok(cli.run("--json", "state", "show")).json().get("group_names").asString()).isEqualTo("transform");
    Result add = cli.run("host", "add", "c1", "--group", "cache-tier");
    assertThat(add.code()).isZero();
    assertThat(add.err()).isEqualTo("infrastate: note: stored group 'cache-tier' as 'cache_tier' (this state"
        + " transforms group names Ansible rejects; see 'infrastate state show')\n");
    try (State s = State.open(file.toString())) {
      assertThat(s.getHost("c1").orElseThrow().group()).isEqualTo("cache_tier");
      assertThat(s.history(2).get(1).operation()).isEqualTo("set group-name policy transform");
    }
    JsonNode inv = ok(cli.run("inventory", "--list")).json();
    assertThat(inv.get("cache_tier").get("hosts").toString()).isEqualTo("[\"c1\"]");
    Result bad = cli.run("state", "settings", "--group-names", "sometimes");
    assertThat(bad.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(bad.err()).isEqualTo("infrastate: Unknown group-name policy 'sometimes': use reject or transform\n");
  }
}
