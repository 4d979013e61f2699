package io.infrastate.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.memory.InMemoryBackend;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InventoryModelTest {

  @Test
  void everyHostIsInAllAndAHostMayBeInSeveralGroups() {
    Inventory inv = Inventory.create();
    inv.putHost("web", Host.of("h1"));
    inv.addMember("canary", "h1");
    inv.putHost(Host.of("h2"));
    assertThat(inv.hosts()).extracting(Host::name).containsExactly("h1", "h2");
    assertThat(inv.groupsOf("h1")).containsExactly("web", "canary");
    assertThat(inv.group("all").orElseThrow().hosts()).containsExactly("h2");
    assertThat(inv.group("all").orElseThrow().children()).containsExactly("web", "canary");
  }

  @Test
  void childCyclesAreRejectedWithTheCycleNamed() {
    Inventory inv = Inventory.create();
    inv.addChild("a", "b");
    inv.addChild("b", "c");
    assertThatThrownBy(() -> inv.addChild("c", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("c -> a -> b -> c");
    assertThatThrownBy(() -> inv.addChild("a", "a")).hasMessageContaining("a -> a");
    assertThat(inv.group("c").orElseThrow().children()).isEmpty();
  }

  @Test
  void groupNamesAnsibleWarnsAboutAreRejectedOrTransformed() {
    assertThatThrownBy(() -> Inventory.create().addGroup("web-servers"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("web_servers");
    for (String bad : List.of("a.b", "a b", "1st", "x-y", "")) {
      assertThat(GroupNamePolicy.isValid(bad)).as(bad).isFalse();
    }
    assertThat(GroupNamePolicy.isValid("gr\u00fcppe_1")).isTrue();
    Inventory t = Inventory.create(GroupNamePolicy.TRANSFORM);
    assertThat(t.addGroup("web-servers")).isEqualTo("web_servers");
    assertThat(t.addGroup("1st.db")).isEqualTo("_st_db");
  }

  @Test
  void aNameCannotBeBothHostAndGroup() {
    Inventory inv = Inventory.create();
    inv.addGroup("web");
    assertThatThrownBy(() -> inv.putHost(Host.of("web"))).hasMessageContaining("both a host and a group");
  }

  @Test
  void connectionVarsAndFieldsAreOneThing() {
    Host h = Host.of("h", Map.of("ansible_host", "10.0.0.1", "ansible_port", 2222, "ansible_user", "u", "x", 1));
    assertThat(h).isEqualTo(new Host("h", "10.0.0.1", 2222, "u", Map.of("x", 1)));
    assertThat(h.hostVars()).containsEntry("ansible_port", 2222).containsEntry("x", 1);
    Host odd = Host.of("h", Map.of("ansible_port", "22"));
    assertThat(odd.port()).isZero();
    assertThat(odd.vars()).containsEntry("ansible_port", "22");
  }

  @Test
  void stateMergesIntoAnInventoryAsGoDoes() {
    try (State state = State.load(InMemoryBackend.create())) {
      state.addHost(HostState.builder("web01").address("10.0.0.5").port(22).user("admin").group("web").var("http_port", 80).build());
      state.addHost(HostState.builder("solo").build());
      Inventory merged = Inventory.create();
      state.mergeToInventory(merged);
      Inventory from = Inventory.from(state);
      for (Inventory inv : List.of(merged, from)) {
        assertThat(inv.groupsOf("web01")).containsExactly("web");
        assertThat(inv.groupsOf("solo")).isEmpty();
        assertThat(inv.host("web01").orElseThrow().hostVars())
            .isEqualTo(Map.of("ansible_host", "10.0.0.5", "ansible_port", 22, "ansible_user", "admin", "http_port", 80));
      }
      HostState back = HostState.fromInventoryHost(merged.host("web01").orElseThrow(), "");
      assertThat(back.group()).isEmpty();
      assertThat(back.vars()).containsEntry("http_port", 80);
    }
  }

  @Test
  void dynamicJsonListAndHost() {
    Inventory inv = Inventory.create();
    inv.putHost("web", new Host("w1", "10.0.0.1", 0, "", Map.of("n", 1)));
    inv.putHost(Host.of("plain"));
    inv.addGroup("empty");
    assertThat(AnsibleJson.toList(inv))
        .isEqualTo(
            "{\"_meta\":{\"hostvars\":{\"w1\":{\"ansible_host\":\"10.0.0.1\",\"n\":1}}},"
                + "\"all\":{\"hosts\":[\"plain\"],\"children\":[\"web\",\"empty\"]},"
                + "\"web\":{\"hosts\":[\"w1\"]},\"empty\":{\"hosts\":[]}}");
    assertThat(AnsibleJson.toHost(inv, "w1")).isEqualTo("{\"ansible_host\":\"10.0.0.1\",\"n\":1}");
    assertThat(AnsibleJson.toHost(inv, "nope")).isEqualTo("{}");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AnsibleJson.respond(inv, List.of("--host", "w1"), out);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("10.0.0.1");
  }

  @Test
  void yamlWriterQuotesStringsThatWouldChangeType() {
    Inventory inv = Inventory.create();
    inv.putHost(Host.of("h", Map.of("a", "yes", "b", "0755", "c", 1.0e20, "d", "plain")));
    String yaml = AnsibleYaml.toYaml(inv);
    assertThat(yaml).contains("a: 'yes'").contains("b: '0755'").contains("c: 1.0e+20").contains("d: plain");
    assertThat(AnsibleYaml.parse(yaml).host("h").orElseThrow().vars())
        .isEqualTo(Map.of("a", "yes", "b", "0755", "c", 1.0e20, "d", "plain"));
    inv.putHost(Host.of("web[1:2]"));
    assertThatThrownBy(() -> AnsibleYaml.toYaml(inv))
        .isInstanceOfSatisfying(
            InventoryException.class, e -> assertThat(e.kind()).isEqualTo(InventoryException.Kind.INVALID_HOST_NAME));
  }
}
