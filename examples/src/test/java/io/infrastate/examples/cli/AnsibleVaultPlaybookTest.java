package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secrets of an encrypted state, exported by {@code inventory export --vault-password-file},
 * reach real Ansible: {@code ansible -c local -m debug} and a {@code -c local} play run by {@code
 * ansible-playbook} print the decrypted value with the vault password, and fail without it.
 */
class AnsibleVaultPlaybookTest {
  private static final String MARKER = "MARKER-playbook-5d21-secret";

  @TempDir Path tmp;

  /** Skips with a visible reason when Ansible is missing, except under CI=true (fails). */
  private static void assumeAnsible() {
    for (String exe : List.of("ansible", "ansible-playbook")) {
      boolean present = false;
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        present |= !dir.isEmpty() && Files.isExecutable(Path.of(dir, exe));
      }
      if (!present) {
        String reason = exe + " is not on PATH; install it with 'apt-get install -y --no-install-recommends ansible-core'"
            + " to run the real-Ansible tests";
        if ("true".equals(System.getenv("CI"))) {
          Assertions.fail("CI=true but " + reason);
        }
        Assumptions.abort(reason);
      }
    }
  }

  private record Run(int exit, String out) {}

  private Run ansible(List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true);
    pb.environment().put("ANSIBLE_HOME", tmp.resolve("ansible-home").toString());
    pb.environment().put("ANSIBLE_LOCAL_TEMP", tmp.resolve("ansible-tmp").toString());
    pb.environment().put("ANSIBLE_NOCOLOR", "1");
    pb.environment().put("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True");
    pb.environment().put("ANSIBLE_INVENTORY_ENABLED", "yaml");
    pb.environment().put("ANSIBLE_RETRY_FILES_ENABLED", "False");
    pb.environment().put("LC_ALL", "C.UTF-8");
    Path out = Files.createTempFile(tmp, "ansible", ".out");
    pb.redirectOutput(out.toFile());
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      Assertions.fail("did not finish: " + cmd);
    }
    return new Run(p.exitValue(), Files.readString(out));
  }

  private static List<String> with(List<String> cmd, String... more) {
    List<String> all = new ArrayList<>(cmd);
    all.addAll(List.of(more));
    return all;
  }

  @Test
  void anExportedSecretIsDecryptedByAnsibleAndAPlaybookOnlyWithTheVaultPassword() throws Exception {
    assumeAnsible();
    Path state = tmp.resolve("state.json");
    Map<String, String> env = Map.of("INFRASTATE_PASSPHRASE", "state passphrase");
    for (String[] args : List.of(
        new String[] {"state", "encrypt"},
        new String[] {"host", "add", "db1", "--address", "127.0.0.1", "--var", "db_port=5432", "--secret-var", "db_password=" + MARKER})) {
      List<String> all = with(List.of("--state", state.toString()), args);
      Result r = CliRunner.raw(env, all.toArray(String[]::new));
      assertThat(r.code()).as(r.toString()).isZero();
    }
    Path pass = tmp.resolve("vault-pass");
    Files.writeString(pass, "vault password\n");
    Result export = CliRunner.raw(env, "--state", state.toString(), "inventory", "export", "--vault-password-file", pass.toString());
    assertThat(export.code()).as(export.toString()).isZero();
    Path hosts = tmp.resolve("hosts.yml");
    Files.writeString(hosts, export.out(), StandardCharsets.UTF_8);
    assertThat(Files.readString(hosts)).contains("db_password: !vault |").doesNotContain(MARKER);
    Path play = tmp.resolve("show.yml");
    Files.writeString(play, """
        - hosts: all
          gather_facts: false
          tasks:
            - ansible.builtin.debug:
                msg: "password={{ db_password }} port={{ db_port }}"
        """);

    List<String> debug = List.of("ansible", "-i", hosts.toString(), "all", "-c", "local", "-m", "debug", "-a", "var=db_password");
    List<String> playbook = List.of("ansible-playbook", "-i", hosts.toString(), "-c", "local", play.toString());

    Run adHoc = ansible(with(debug, "--vault-password-file", pass.toString()));
    assertThat(adHoc.exit()).as(adHoc.out()).isZero();
    assertThat(adHoc.out()).contains("\"db_password\": \"" + MARKER + "\"");
    Run played = ansible(with(playbook, "--vault-password-file", pass.toString()));
    assertThat(played.exit()).as(played.out()).isZero();
    assertThat(played.out()).contains("password=" + MARKER + " port=5432").contains("ok=1");

    for (List<String> cmd : List.of(debug, playbook)) {
      Run without = ansible(cmd);
      assertThat(without.exit()).as(without.out()).isNotZero();
      assertThat(without.out()).containsIgnoringCase("vault").doesNotContain(MARKER);
    }
  }
}
