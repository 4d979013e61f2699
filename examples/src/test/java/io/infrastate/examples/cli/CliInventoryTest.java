package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.inventory.AnsibleYaml;
import io.infrastate.inventory.Inventory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code inventory --list / --host / export}, in-process (real Ansible reads it in {@code LauncherIT}). */
class CliInventoryTest {
  @TempDir Path tmp;
  CliRunner cli;

  @BeforeEach
  void setUp() {
    cli = new CliRunner(tmp.resolve("state.json"));
    run("host", "add", "web01", "--address", "10.0.0.11", "--port", "22", "--user", "deploy", "--group", "web", "--var", "http_port=80");
    run("host", "add", "web02", "--address", "10.0.0.12", "--group", "web");
    run("host", "add", "bastion", "--address", "10.0.0.2");
  }

  private Result run(String... args) {
    Result r = cli.run(args);
    assertThat(r.code()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void listIsDynamicInventoryJsonWithHostvars() {
    JsonNode list = run("inventory", "--list").json();
    assertThat(list.get("web").get("hosts").toString()).isEqualTo("[\"web01\",\"web02\"]");
    assertThat(list.get("all").get("hosts").toString()).isEqualTo("[\"bastion\"]");
    JsonNode web01 = list.get("_meta").get("hostvars").get("web01");
    assertThat(web01.get("ansible_host").asString()).isEqualTo("10.0.0.11");
    assertThat(web01.get("ansible_port").asInt()).isEqualTo(22);
    assertThat(web01.get("ansible_user").asString()).isEqualTo("deploy");
    assertThat(web01.get("http_port").asInt()).isEqualTo(80);

    JsonNode host = run("inventory", "--host", "web01").json();
    assertThat(host.get("ansible_host").asString()).isEqualTo("10.0.0.11");
    assertThat(run("inventory", "--host", "nope").out().strip()).isEqualTo("{}");
  }

  @Test
  void exportWritesAYamlInventoryThatReadsBack() throws Exception {
    String yaml = run("inventory", "export").out();
    Inventory back = AnsibleYaml.parse(yaml);
    assertThat(back.host("web01").orElseThrow().address()).isEqualTo("10.0.0.11");
    assertThat(back.groupsOf("web02")).contains("web");

    Path out = tmp.resolve("hosts.yml");
    assertThat(run("inventory", "export", "--format", "yaml", "--output", out.toString()).out())
        .isEqualTo("wrote 3 hosts to " + out + "\n");
    assertThat(Files.readString(out)).isEqualTo(yaml);
    assertThat(run("inventory", "export", "--format", "json").json().get("_meta")).isNotNull();
  }

  @Test
  void groupNamesAnsibleWarnsAboutAreRefusedUnlessTransformed() {
    // written through the SDK, which stores any group name; the CLI refuses it when written
    try (io.infrastate.State s = io.infrastate.State.open(tmp.resolve("state.json").toString())) {
      s.update(tx -> tx.addHost(io.infrastate.model.HostState.builder("app01").group("app-servers").build()));
    }
    Result refused = cli.run("inventory", "--list");
    assertThat(refused.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(refused.err()).isEqualTo("infrastate: Host app01 is in group 'app-servers', a name Ansible rejects (only"
        + " letters, digits and _, no leading digit), so there is no inventory. Rename it with 'infrastate host set"
        + " app01 --group app_servers', or add --group-names transform\n");
    JsonNode list = run("inventory", "--list", "--group-names", "transform").json();
    assertThat(list.get("app_servers").get("hosts").toString()).isEqualTo("[\"app01\"]");
  }
}
