package io.infrastate.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ansible Vault 1.1 against the real {@code ansible-vault} in both directions, and a YAML inventory
 * with a secret var read by real {@code ansible}.
 */
class AnsibleVaultTest {
  private static final String MARKER = "MARKER-vault-2b9d-secret ünïcode";

  @TempDir Path tmp;

  private static AnsibleCli.Result exec(Path home, List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("ANSIBLE_HOME", home.resolve("ansible-home").toString());
    pb.environment().put("ANSIBLE_LOCAL_TEMP", home.resolve("ansible-tmp").toString());
    pb.environment().put("ANSIBLE_NOCOLOR", "1");
    pb.environment().put("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True");
    pb.environment().put("ANSIBLE_INVENTORY_ENABLED", "yaml");
    pb.environment().put("LC_ALL", "C.UTF-8");
    Path out = Files.createTempFile(home, "out", ".txt");
    Path err = Files.createTempFile(home, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    int exit = pb.start().waitFor();
    return new AnsibleCli.Result(exit, Files.readString(out), Files.readString(err));
  }

  private Path passwordFile(String password) throws Exception {
    Path p = tmp.resolve("vault-pass-" + password.hashCode());
    Files.writeString(p, password + "\n");
    return p;
  }

  @Test
  void whatThisWritesAnsibleVaultDecryptsAndWhatAnsibleVaultWritesThisDecrypts() throws Exception {
    AnsibleCli.assumeAvailable();
    Path pass = passwordFile("vault pass 1");
    AnsibleVault vault = AnsibleVault.withPassword(Files.readString(pass));

    Path ours = tmp.resolve("ours.vault");
    Files.writeString(ours, vault.encrypt(MARKER));
    assertThat(Files.readString(ours)).startsWith("$ANSIBLE_VAULT;1.1;AES256\n").doesNotContain("MARKER");
    AnsibleCli.Result view = exec(tmp, List.of("ansible-vault", "decrypt", "--vault-password-file", pass.toString(),
        "--output", "-", ours.toString()));
    assertThat(view.exit()).as(view.err()).isZero();
    assertThat(view.out()).isEqualTo(MARKER);

    AnsibleCli.Result theirs = exec(tmp, List.of("ansible-vault", "encrypt_string", "--vault-password-file", pass.toString(), MARKER));
    assertThat(theirs.exit()).as(theirs.err()).isZero();
    String text = theirs.out().substring(theirs.out().indexOf("$ANSIBLE_VAULT"));
    assertThat(vault.decrypt(text)).isEqualTo(MARKER);
    assertThatThrownBy(() -> AnsibleVault.withPassword("another").decrypt(text))
        .isInstanceOf(InventoryException.class).hasMessageContaining("HMAC");
  }

  @Test
  void aSecretVarIsExportedAsVaultAndAnsibleDecryptsItOnlyWithThePassword() throws Exception {
    AnsibleCli.assumeAvailable();
    Path pass = passwordFile("vault pass 2");
    HostState db = HostState.builder("db1").address("127.0.0.1").var("db_port", 5432)
        .secretVar("db_password", MARKER).build();
    Snapshot s = Snapshot.of(new Metadata("1.0", 1, "l", null, null), Map.of("db1", db), Map.of());
    Inventory inv = Inventory.from(s);

    assertThatThrownBy(() -> AnsibleYaml.toYaml(inv))
        .isInstanceOf(InventoryException.class).hasMessageContaining("--vault-password-file");
    assertThatThrownBy(() -> AnsibleJson.toList(inv))
        .isInstanceOf(InventoryException.class).hasMessageContaining("--show-secrets").hasMessageNotContaining(MARKER);

    String yaml = AnsibleYaml.toYaml(inv, AnsibleVault.withPassword(Files.readString(pass)));
    assertThat(yaml).contains("db_password: !vault |").contains("$ANSIBLE_VAULT;1.1;AES256").doesNotContain("MARKER");
    Path file = tmp.resolve("hosts.yml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);

    List<String> debug = new ArrayList<>(List.of("ansible", "-i", file.toString(), "db1", "-c", "local", "-m", "debug",
        "-a", "var=db_password"));
    List<String> withPassword = new ArrayList<>(debug);
    withPassword.addAll(List.of("--vault-password-file", pass.toString()));
    AnsibleCli.Result ok = exec(tmp, withPassword);
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("\"db_password\": \"" + MARKER + "\"");

    AnsibleCli.Result without = exec(tmp, debug);
    assertThat(without.exit()).as(without.out() + without.err()).isNotZero();
    assertThat(without.out() + without.err()).doesNotContain(MARKER).containsIgnoringCase("vault");

    AnsibleCli.Result wrong = exec(tmp, List.of("ansible", "-i", file.toString(), "db1", "-c", "local", "-m", "debug",
        "-a", "var=db_password", "--vault-password-file", passwordFile("wrong").toString()));
    assertThat(wrong.exit()).isNotZero();
    assertThat(wrong.out() + wrong.err()).doesNotContain(MARKER);

    AnsibleCli.Result inventory = exec(tmp, List.of("ansible-inventory", "-i", file.toString(), "--host", "db1",
        "--vault-password-file", pass.toString()));
    assertThat(inventory.exit()).as(inventory.err()).isZero();
    assertThat(inventory.out()).contains("__ansible_vault").doesNotContain(MARKER);
  }
}
