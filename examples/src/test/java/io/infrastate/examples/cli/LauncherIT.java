package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.Processes.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code ./infrastate} launcher at the repository root, run as a real process on the packaged
 * jar, as a user runs it; and real {@code ansible-inventory} reading the CLI through a one-line
 * wrapper script.
 */
class LauncherIT {
  static final Path LAUNCHER = Processes.REPO.resolve("infrastate");

  @TempDir Path tmp;

  Result infrastate(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
    cmd.addAll(List.of(args));
    return Processes.run(tmp, Map.of("JAVA_HOME", System.getProperty("java.home")), cmd);
  }

  @Test
  void theLauncherRunsTheCliWithItsExitCodes() throws Exception {
    assertThat(Files.isRegularFile(Processes.JAR)).as("the package phase built %s", Processes.JAR).isTrue();
    Result help = infrastate("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).startsWith("Usage: infrastate").contains("Exit codes:");

    String state = tmp.resolve("state.json").toString();
    Result add = infrastate("--state", state, "host", "add", "web01", "--address", "10.0.0.5", "--port", "22", "--group", "web");
    assertThat(add.code()).as(add.toString()).isZero();
    assertThat(add.out()).isEqualTo("added host web01 (serial 1)\n");
    assertThat(add.err()).isEmpty();
    Result list = infrastate("--state", state, "state", "list");
    assertThat(list.out()).contains("host.web01").contains("1 host, 0 resources (serial 1)");

    Result usage = infrastate("--state", state, "host", "add", "web02", "--var", "oops");
    assertThat(usage.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(usage.err()).isEqualTo("infrastate: Malformed --var 'oops': expected KEY=VALUE, such as --var http_port=80\n");

    String id = infrastate("--state", state, "lock", "acquire", "deploy").out().strip();
    Result held = infrastate("--state", state, "lock", "acquire", "deploy");
    assertThat(held.code()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(held.err()).contains("force-unlock deploy " + id);
    assertThat(infrastate("--state", state, "lock", "release", "deploy", "--id", id).code()).isZero();

    Files.writeString(tmp.resolve("state.json"), "{\"metadata\"");
    Result damaged = infrastate("--state", state, "host", "list");
    assertThat(damaged.code()).isEqualTo(InfrastateCli.DAMAGED);
    assertThat(damaged.err().lines().count()).isEqualTo(1);
  }

  @Test
  void withoutTheJarTheLauncherSaysHowToBuildIt() throws Exception {
    Path copy = tmp.resolve("infrastate");
    Files.copy(LAUNCHER, copy);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
    Result r = Processes.run(tmp, Map.of(), List.of(copy.toString(), "--help"));
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("infrastate: " + tmp.resolve("examples/target/infrastate.jar")
        + " not found; build it first with the README's demo command: mvn -B -q package -DskipTests\n");
  }

  static Path ansibleInventory() {
    Path ansible = Path.of("/usr/bin/ansible-inventory");
    boolean ci = "true".equals(System.getenv("CI"));
    if (!ci) {
      Assumptions.assumeTrue(Files.isExecutable(ansible),
          "SKIPPED: ansible-inventory is not installed (apt-get install --no-install-recommends ansible-core); CI=true makes this a failure");
    }
    return ansible;
  }

  /** The environment ansible-inventory runs in: the script plugin, and an unparsed source is a failure. */
  Map<String, String> ansibleEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("ANSIBLE_INVENTORY_ENABLED", "script");
    env.put("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True");
    env.put("ANSIBLE_LOCAL_TEMP", tmp.resolve("ansible-tmp").toString());
    env.put("ANSIBLE_NOCOLOR", "1");
    return env;
  }

  /**
   * A wrapper pointing at a state that does not exist (a wrong path, a lost state): the CLI exits 1,
   * so ansible-inventory fails instead of answering with no hosts; {@code --allow-missing} in the
   * wrapper opts in to the empty inventory.
   */
  @Test
  void ansibleInventoryFailsOnAStateThatDoesNotExist() throws Exception {
    Path ansible = ansibleInventory();
    Path missing = tmp.resolve("no-such-state.json");
    Files.writeString(tmp.resolve("inventory.sh"), "#!/bin/sh\nexec " + LAUNCHER + " --state " + missing + " inventory \"$@\"\n");
    Files.setPosixFilePermissions(tmp.resolve("inventory.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Result failed = Processes.run(tmp, ansibleEnv(), List.of(ansible.toString(), "-i", "inventory.sh", "--list"));
    assertThat(failed.code()).as(failed.toString()).isNotZero();
    assertThat(failed.out()).as(failed.toString()).isEmpty();
    assertThat(failed.err().replaceAll("\\s+", " ")).as(failed.toString())
        .contains("No state is stored at")
        .contains("No inventory was parsed");
    assertThat(missing).doesNotExist();

    Files.writeString(tmp.resolve("allowed.sh"),
        "#!/bin/sh\nexec " + LAUNCHER + " --state " + missing + " inventory --allow-missing \"$@\"\n");
    Files.setPosixFilePermissions(tmp.resolve("allowed.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Result allowed = Processes.run(tmp, ansibleEnv(), List.of(ansible.toString(), "-i", "allowed.sh", "--list"));
    assertThat(allowed.code()).as(allowed.toString()).isZero();
    JsonNode inv = JsonMapper.builder().build().readTree(allowed.out());
    assertThat(inv.get("_meta").get("hostvars").size()).as(allowed.toString()).isZero();
  }

  @Test
  void ansibleInventoryReadsTheCliThroughAOneLineWrapper() throws Exception {
    Path ansible = ansibleInventory();
    String state = tmp.resolve("state.json").toString();
    assertThat(infrastate("--state", state, "host", "add", "web01", "--address", "10.0.0.11", "--port", "2222",
        "--user", "deploy", "--group", "web", "--var", "http_port=80", "--var", "tls=true").code()).isZero();
    assertThat(infrastate("--state", state, "host", "add", "web02", "--address", "10.0.0.12", "--group", "web").code()).isZero();
    assertThat(infrastate("--state", state, "host", "add", "bastion", "--address", "10.0.0.2", "--var", "version=\"15\"").code()).isZero();

    // The README's one-liner that makes the wrapper.
    Result made = Processes.run(tmp, Map.of(), List.of("sh", "-c",
        "printf '#!/bin/sh\\nexec %s --state %s inventory \"$@\"\\n' \"" + LAUNCHER + "\" \"$PWD/state.json\" > inventory.sh && chmod +x inventory.sh"));
    assertThat(made.code()).as(made.toString()).isZero();
    assertThat(Files.readString(tmp.resolve("inventory.sh")))
        .isEqualTo("#!/bin/sh\nexec " + LAUNCHER + " --state " + tmp.toRealPath().resolve("state.json") + " inventory \"$@\"\n");

    Result r = Processes.run(tmp, ansibleEnv(), List.of(ansible.toString(), "-i", "inventory.sh", "--list"));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.err()).as(r.toString()).isEmpty();
    JsonNode inv = JsonMapper.builder().build().readTree(r.out());
    JsonNode hostvars = inv.get("_meta").get("hostvars");
    assertThat(hostvars.get("web01").get("ansible_host").asString()).isEqualTo("10.0.0.11");
    assertThat(hostvars.get("web01").get("ansible_port").asInt()).isEqualTo(2222);
    assertThat(hostvars.get("web01").get("ansible_user").asString()).isEqualTo("deploy");
    assertThat(hostvars.get("web01").get("http_port").isInt()).isTrue();
    assertThat(hostvars.get("web01").get("tls").asBoolean()).isTrue();
    assertThat(hostvars.get("bastion").get("version").isString()).isTrue();
    List<String> web = new ArrayList<>();
    inv.get("web").get("hosts").forEach(h -> web.add(h.asString()));
    assertThat(web).containsExactlyInAnyOrder("web01", "web02");
    List<String> ungrouped = new ArrayList<>();
    inv.get("ungrouped").get("hosts").forEach(h -> ungrouped.add(h.asString()));
    assertThat(ungrouped).containsExactly("bastion");
  }

  /**
   * Group names Ansible rejects: under the default policy the CLI refuses {@code cache-tier}, so the
   * inventory of that state still parses; under {@code transform} it stores {@code cache_tier},
   * which ansible-inventory reads as that group.
   */
  @Test
  void ansibleInventoryParsesAStateWithARefusedOrTransformedGroupName() throws Exception {
    Path ansible = ansibleInventory();
    for (String policy : List.of("reject", "transform")) {
      String state = tmp.resolve(policy + ".json").toString();
      assertThat(infrastate("--state", state, "host", "add", "web01", "--group", "web").code()).isZero();
      assertThat(infrastate("--state", state, "state", "settings", "--group-names", policy).code()).isZero();
      Result add = infrastate("--state", state, "host", "add", "cache01", "--address", "10.0.0.7", "--group", "cache-tier");
      assertThat(add.code()).as(add.toString()).isEqualTo(policy.equals("reject") ? InfrastateCli.USAGE : InfrastateCli.OK);
      Path script = tmp.resolve(policy + ".sh");
      Files.writeString(script, "#!/bin/sh\nexec " + LAUNCHER + " --state " + state + " inventory \"$@\"\n");
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
      Result r = Processes.run(tmp, ansibleEnv(), List.of(ansible.toString(), "-i", script.toString(), "--list"));
      assertThat(r.code()).as(r.toString()).isZero();
      JsonNode inv = JsonMapper.builder().build().readTree(r.out());
      assertThat(inv.get("web").get("hosts").toString()).isEqualTo("[\"web01\"]");
      if (policy.equals("transform")) {
        assertThat(inv.get("cache_tier").get("hosts").toString()).as(r.toString()).isEqualTo("[\"cache01\"]");
      } else {
        assertThat(inv.get("_meta").get("hostvars").has("cache01")).isFalse();
      }
    }
  }

  /**
   * The package phase built a class-data-sharing archive that this JDK accepts for the jar
   * ({@code -Xshare:on} fails when it cannot map it), and the launcher runs with it. The archive is
   * a static one: it also holds picocli's old (Java 5) class files and its help renderers, which a
   * dynamic archive of this JDK leaves out.
   */
  @Test
  void thePackagedArchiveIsUsableWithTheJar() throws Exception {
    Path jsa = Processes.REPO.resolve("examples/target/infrastate.jsa");
    assertThat(jsa).isRegularFile();
    Result on = Processes.run(tmp, Map.of(), List.of(Processes.java(), "-XX:SharedArchiveFile=" + jsa, "-Xshare:on",
        "-Xlog:class+load", "-jar", Processes.JAR.toString(), "version"));
    assertThat(on.code()).as(on.toString()).isZero();
    assertThat(on.out()).contains("io.infrastate.examples.cli.InfrastateCli source: shared objects file")
        .contains("picocli.CommandLine source: shared objects file")
        .contains("picocli.CommandLine$Model$UsageMessageSpec$2 source: shared objects file");
  }

  /**
   * A read of a file state loads neither the data-binding library nor the AWS SDK: they cost start-up
   * time that only inventory export/import and S3 states need.
   */
  @Test
  void aFileStateCommandLoadsNeitherDatabindNorTheAwsSdk() throws Exception {
    String state = tmp.resolve("state.json").toString();
    assertThat(infrastate("--state", state, "host", "add", "web01", "--var", "dns=[\"1.1.1.1\"]").code()).isZero();
    for (List<String> args : List.of(List.of("host", "list"), List.of("--json", "host", "list"),
        List.of("host", "set", "web01", "--var", "a=1"))) {
      List<String> cmd = new ArrayList<>(List.of(Processes.java(), "-Xlog:class+load", "-jar", Processes.JAR.toString(),
          "--state", state));
      cmd.addAll(args);
      Result r = Processes.run(tmp, Map.of(), cmd);
      assertThat(r.code()).as(r.toString()).isZero();
      assertThat(r.out()).as(args.toString()).contains("io.infrastate.file.")
          .doesNotContain("tools.jackson.databind.").doesNotContain("software.amazon.");
    }
  }

  /** The launcher runs through a symbolic link, and install-launcher writes one that runs from anywhere. */
  @Test
  void theLauncherIsRelocatable() throws Exception {
    Path link = tmp.resolve("bin/infrastate");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, LAUNCHER);
    Result linked = Processes.run(tmp, Map.of(), List.of(link.toString(), "version"));
    assertThat(linked.code()).as(linked.toString()).isZero();
    assertThat(linked.out()).startsWith("infrastate reference CLI ");

    Path dir = tmp.resolve("elsewhere/bin");
    Result installed = infrastate("install-launcher", dir.toString());
    assertThat(installed.code()).as(installed.toString()).isZero();
    assertThat(installed.out()).isEqualTo("wrote " + dir.resolve("infrastate") + " (runs " + Processes.JAR + ")\n");
    Path copy = tmp.resolve("copy-of-infrastate");
    Files.copy(dir.resolve("infrastate"), copy);
    String state = tmp.resolve("state.json").toString();
    Result add = Processes.run(tmp, Map.of(), List.of(copy.toString(), "--state", state, "host", "add", "web01"));
    assertThat(add.code()).as(add.toString()).isZero();
    assertThat(add.out()).isEqualTo("added host web01 (serial 1)\n");
    Result again = infrastate("install-launcher", dir.toString());
    assertThat(again.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(again.err()).contains("exists; nothing was written. Use --force");
  }
}
