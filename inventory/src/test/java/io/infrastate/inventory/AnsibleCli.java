package io.infrastate.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.Json;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import tools.jackson.databind.json.JsonMapper;

/** Runs the real {@code ansible-inventory} (see ../shared/notes/test-servers.md). */
final class AnsibleCli {
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  private AnsibleCli() {}

  /** Skips with a visible reason when ansible-inventory is missing, except under CI=true (fails). */
  static void assumeAvailable() {
    boolean present = onPath("ansible-inventory");
    if (!present) {
      String reason =
          "ansible-inventory is not on PATH; install it with 'apt-get install -y"
              + " --no-install-recommends ansible-core' to run the real-Ansible tests";
      if ("true".equals(System.getenv("CI"))) {
        Assertions.fail("CI=true but " + reason);
      }
      Assumptions.abort(reason);
    }
  }

  static boolean onPath(String exe) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, exe))) {
        return true;
      }
    }
    return false;
  }

  /** A finished process: exit code, stdout, stderr. */
  record Result(int exit, String out, String err) {}

  /**
   * Runs ansible-inventory.
   *
   * @param inventory the source
   * @param plugin script, yaml or ini
   * @param export whether to pass --export
   */
  static Result run(Path inventory, String plugin, Path home, boolean export) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ansible-inventory", "-i", inventory.toString(), "--list"));
    if (export) {
      cmd.add("--export");
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.put("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True");
    env.put("ANSIBLE_INVENTORY_ENABLED", plugin);
    env.put("ANSIBLE_HOME", home.resolve("ansible-home").toString());
    env.put("ANSIBLE_LOCAL_TEMP", home.resolve("ansible-tmp").toString());
    env.put("ANSIBLE_NOCOLOR", "1");
    env.put("ANSIBLE_DEPRECATION_WARNINGS", "True");
    env.put("LC_ALL", "C.UTF-8");
    Path out = Files.createTempFile(home, "out", ".json");
    Path err = Files.createTempFile(home, "err", ".txt");
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    int exit = pb.start().waitFor();
    return new Result(
        exit,
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** Runs ansible-inventory and requires success with an empty stderr; returns the parsed JSON. */
  static Map<String, Object> list(Path inventory, String plugin, Path home, boolean export)
      throws Exception {
    Result r = run(inventory, plugin, home, export);
    assertThat(r.err()).as("stderr of ansible-inventory -i %s (plugin %s)", inventory, plugin).isEmpty();
    assertThat(r.exit()).as("exit code; stdout: %s", r.out()).isZero();
    @SuppressWarnings("unchecked")
    Map<String, Object> parsed = MAPPER.readValue(r.out(), Map.class);
    return Json.freezeObject(parsed, "ansible");
  }

  /** Writes an executable script that prints a fixed dynamic-inventory JSON for --list. */
  static Path script(Path dir, String name, String json) throws IOException {
    Path data = dir.resolve(name + ".json");
    Files.writeString(data, json, StandardCharsets.UTF_8);
    Path script = dir.resolve(name + ".sh");
    Files.writeString(
        script,
        "#!/bin/sh\n"
            + "if [ \"$1\" = \"--list\" ]; then exec cat '"
            + data
            + "'; fi\n"
            + "echo '{}'\n",
        StandardCharsets.UTF_8);
    assertThat(script.toFile().setExecutable(true)).isTrue();
    return script;
  }

  /**
   * Ansible's {@code --list --export} output, normalized: group name to {hosts (sorted), children
   * (sorted), vars}; {@code all} keeps only vars; groups with nothing are dropped; empty hostvars
   * are dropped.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> normalize(Map<String, Object> ansible) {
    TreeMap<String, Object> groups = new TreeMap<>();
    TreeMap<String, Object> hostvars = new TreeMap<>();
    for (Map.Entry<String, Object> e : ansible.entrySet()) {
      Map<String, Object> v = (Map<String, Object>) e.getValue();
      if (e.getKey().equals("_meta")) {
        Map<String, Object> hv = (Map<String, Object>) v.getOrDefault("hostvars", Map.of());
        hv.forEach(
            (h, vars) -> {
              if (!((Map<?, ?>) vars).isEmpty()) {
                hostvars.put(h, vars);
              }
            });
        continue;
      }
      boolean all = e.getKey().equals("all");
      List<String> hosts = all ? List.of() : sorted((List<String>) v.getOrDefault("hosts", List.of()));
      List<String> children =
          all ? List.of() : sorted((List<String>) v.getOrDefault("children", List.of()));
      Map<String, Object> vars = (Map<String, Object>) v.getOrDefault("vars", Map.of());
      if (!hosts.isEmpty() || !children.isEmpty() || !vars.isEmpty()) {
        groups.put(e.getKey(), Map.of("hosts", hosts, "children", children, "vars", vars));
      }
    }
    return Map.of("groups", groups, "hostvars", hostvars);
  }

  /** What {@link #normalize} of Ansible's parse must be for an inventory the library built. */
  static Map<String, Object> expected(Inventory inv) {
    TreeMap<String, Object> groups = new TreeMap<>();
    TreeMap<String, Object> hostvars = new TreeMap<>();
    for (Host h : inv.hosts()) {
      if (!h.hostVars().isEmpty()) {
        hostvars.put(h.name(), h.hostVars());
      }
    }
    for (Group g : inv.groups()) {
      if (g.name().equals(Group.ALL)) {
        if (!g.vars().isEmpty()) {
          groups.put("all", Map.of("hosts", List.of(), "children", List.of(), "vars", g.vars()));
        }
        if (!g.hosts().isEmpty()) {
          groups.put(
              Group.UNGROUPED,
              Map.of("hosts", sorted(g.hosts()), "children", List.of(), "vars", Map.of()));
        }
        continue;
      }
      if (!g.isEmpty()) {
        groups.put(
            g.name(),
            Map.of("hosts", sorted(g.hosts()), "children", sorted(g.children()), "vars", g.vars()));
      }
    }
    return Map.of("groups", groups, "hostvars", hostvars);
  }

  /** Compares two normalized parses entry by entry, so that a failure names the group, host and var. */
  @SuppressWarnings("unchecked")
  static void assertSame(Map<String, Object> actual, Map<String, Object> expected, String what) {
    org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
    for (String part : List.of("groups", "hostvars")) {
      Map<String, Object> a = (Map<String, Object>) actual.get(part);
      Map<String, Object> e = (Map<String, Object>) expected.get(part);
      soft.assertThat(a.keySet()).as("%s: %s names", what, part).isEqualTo(e.keySet());
      for (String k : e.keySet()) {
        Object av = a.get(k);
        Object ev = e.get(k);
        if (av instanceof Map<?, ?> am && ev instanceof Map<?, ?> em) {
          for (Object vk : em.keySet()) {
            soft.assertThat(am.get(vk)).as("%s: %s %s . %s", what, part, k, vk).isEqualTo(em.get(vk));
          }
          soft.assertThat(am.keySet()).as("%s: %s %s keys", what, part, k).isEqualTo(em.keySet());
        } else {
          soft.assertThat(av).as("%s: %s %s", what, part, k).isEqualTo(ev);
        }
      }
    }
    soft.assertAll();
  }

  private static List<String> sorted(List<String> l) {
    List<String> c = new ArrayList<>(l);
    c.sort(null);
    return List.copyOf(c);
  }
}
