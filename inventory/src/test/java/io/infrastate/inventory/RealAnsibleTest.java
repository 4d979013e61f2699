package io.infrastate.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof is real Ansible: ansible-inventory parses what the library writes into the inventory
 * the test built, and parses hand-written YAML and INI files into what the library reads.
 */
class RealAnsibleTest {

  @TempDir Path dir;

  @BeforeAll
  static void ansible() {
    AnsibleCli.assumeAvailable();
  }

  @Test
  void dynamicJsonAndYamlAreParsedByAnsibleIntoTheInventoryTheTestBuilt() throws Exception {
    Inventory inv = Fixtures.big();
    Path script = AnsibleCli.script(dir, "dynamic", AnsibleJson.toList(inv));
    Path yaml = dir.resolve("inventory.yml");
    AnsibleYaml.write(inv, yaml);

    Map<String, Object> fromJson = AnsibleCli.normalize(AnsibleCli.list(script, "script", dir, true));
    Map<String, Object> fromYaml = AnsibleCli.normalize(AnsibleCli.list(yaml, "yaml", dir, true));
    Map<String, Object> expected = AnsibleCli.expected(inv);

    AnsibleCli.assertSame(fromJson, expected, "ansible's parse of the dynamic JSON");
    AnsibleCli.assertSame(fromYaml, expected, "ansible's parse of the YAML file");
    assertThat(fromJson).isEqualTo(fromYaml);
    // the ungrouped host and the group with two parents made it
    assertThat(fromJson.toString()).contains("lonely");

    // Without --export, Ansible merges group vars into hostvars: effectiveVars must agree.
    @SuppressWarnings("unchecked")
    Map<String, Object> merged =
        (Map<String, Object>)
            ((Map<String, Object>) AnsibleCli.list(yaml, "yaml", dir, false).get("_meta")).get("hostvars");
    TreeMap<String, Object> mine = new TreeMap<>();
    for (Host h : inv.hosts()) {
      Map<String, Object> vars = inv.effectiveVars(h.name()).orElseThrow();
      if (!vars.isEmpty()) {
        mine.put(h.name(), vars);
      }
    }
    assertThat(new TreeMap<>(merged)).isEqualTo(mine);
  }

  @Test
  void yamlAndIniFilesParseTheSameInAnsibleAndInTheLibrary() throws Exception {
    Path yaml = dir.resolve("hand.yml");
    Files.writeString(yaml, HAND_YAML, StandardCharsets.UTF_8);
    Path ini = dir.resolve("hand.ini");
    Files.writeString(ini, HAND_INI, StandardCharsets.UTF_8);

    Inventory fromYaml = AnsibleYaml.read(yaml);
    Inventory fromIni = AnsibleIni.read(ini);

    Map<String, Object> ansibleYaml = AnsibleCli.normalize(AnsibleCli.list(yaml, "yaml", dir, true));
    Map<String, Object> ansibleIni = AnsibleCli.normalize(AnsibleCli.list(ini, "ini", dir, true));
    assertThat(AnsibleCli.expected(fromYaml)).as("library vs ansible, YAML").isEqualTo(ansibleYaml);
    assertThat(AnsibleCli.expected(fromIni)).as("library vs ansible, INI").isEqualTo(ansibleIni);

    // And what the library writes from them reads back the same in Ansible.
    Path yamlAgain = dir.resolve("again.yml");
    AnsibleYaml.write(fromIni, yamlAgain);
    Path jsonAgain = AnsibleCli.script(dir, "again", AnsibleJson.toList(fromYaml));
    assertThat(AnsibleCli.normalize(AnsibleCli.list(yamlAgain, "yaml", dir, true))).isEqualTo(ansibleIni);
    assertThat(AnsibleCli.normalize(AnsibleCli.list(jsonAgain, "script", dir, true))).isEqualTo(ansibleYaml);
  }

  @Test
  void inventoriesAnsibleRejectsAreRejectedByTheLibraryToo() throws Exception {
    Map<String, String> bad =
        Map.of(
            "cycle.yml", "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n",
            "notmap.yml", "- just\n- a list\n",
            "cycle.ini", "[a:children]\nb\n[b:children]\na\n",
            "undefined.ini", "[a:children]\nnope\n",
            "badsection.ini", "[web:hostz]\nh1\n");
    for (Map.Entry<String, String> e : bad.entrySet()) {
      Path f = dir.resolve(e.getKey());
      Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
      String plugin = e.getKey().endsWith(".ini") ? "ini" : "yaml";
      AnsibleCli.Result r = AnsibleCli.run(f, plugin, dir, true);
      assertThat(r.exit() != 0 || !r.err().isEmpty()).as("ansible accepted %s", e.getKey()).isTrue();
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> {
                if (plugin.equals("ini")) {
                  AnsibleIni.read(f);
                } else {
                  AnsibleYaml.read(f);
                }
              })
          .as(e.getKey())
          .isInstanceOf(InventoryException.class);
    }
  }

  static final String HAND_YAML =
      """
      # every feature of the YAML plugin that the library reads
      all:
        vars:
          yes_bool: yes
          on_bool: On
          octal: 0755
          underscored: 1_000
          sexagesimal: 1:30
          not_a_float: 1e3
          a_float: 1.0e+3
          date: 2024-01-15
          stamp: 2001-12-14 21:59:43.10 -5
          quoted: "yes"
          nothing: ~
          empty:
          unicode: "h\\u00e9llo ☃"
          list: [1, two, 3.5, no]
          map: {a: 1, b: [x, y]}
        hosts:
          lonely:
            ansible_host: 10.9.9.9
        children:
          web:
            hosts:
              web[01:03]:
                http_port: 80
              web04:2222:
              "[fe80::1]:2200":
                v6: true
            vars: &defaults
              role: web
              tier: front
            children:
              canary:
                hosts:
                  web01:
          db:
            hosts:
              db[a:c].example.com: {ansible_user: postgres}
            vars:
              <<: *defaults
              role2: db
            children:
              canary: {}
          empty_group:
      prod:
        children:
          web:
          db:
        vars:
          env: production
      """;

  static final String HAND_INI =
      """
      ; before any section: ungrouped
      lonely ansible_host=10.9.9.9 note="in no group"
      [web]
      web[01:03] http_port=80 quoted='"80"' flag=True word=yes
      web04:2222 ansible_user=deploy   # a comment
      web[a:b]-x
      [web:vars]
      role = "web"
      list = [1, 'two', 3.5, None]
      dict = {'a': 1, 'b': (2, 3)}
      raw = a b # c
      octal = 0755
      hex = 0x1F
      float = 1e3
      neg = -5
      str_true = true
      empty =
      [db]
      db01 ansible_port=5432 ansible_user=postgres
      [prod:children]
      web
      db
      later
      [later]
      late01
      [prod:vars]
      env=production
      [all:vars]
      ntp=pool.ntp.org
      """;
}
