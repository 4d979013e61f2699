package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --secret-var}, {@code --secret-data}, {@code --key-file}, {@code --show-secrets} and the key errors' exit codes. */
class CliSecretsTest {
  private static final String MARKER = "MARKER-cli-7f3e-secret";

  @TempDir Path tmp;
  Path state;
  Path key;

  @BeforeEach
  void setUp() throws Exception {
    state = tmp.resolve("state.json");
    key = tmp.resolve("infra.key");
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    Files.writeString(key, Base64.getEncoder().encodeToString(k) + "\n");
  }

  private Result run(Map<String, String> env, String... args) {
    List<String> all = new ArrayList<>(List.of("--state", state.toString()));
    all.addAll(List.of(args));
    return CliRunner.raw(env, all.toArray(String[]::new));
  }

  private Result ok(Map<String, String> env, String... args) {
    Result r = run(env, args);
    assertThat(r.code()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void aSecretVarIsStoredSealedPrintedMaskedAndShownOnlyWithTheKey() throws Exception {
    ok(Map.of(), "--key-file", key.toString(), "host", "add", "db1", "--address", "10.0.0.9",
        "--var", "db_port=5432", "--secret-var", "db_password=" + MARKER);
    ok(Map.of(), "--key-file", key.toString(), "resource", "add", "stripe:live", "--secret-data", "api_key=" + MARKER);
    assertThat(Files.readString(state)).doesNotContain(MARKER).contains("infrastate:secret:v1:");

    Result listed = ok(Map.of(), "--key-file", key.toString(), "host", "list");
    assertThat(listed.out()).contains("db_password=[secret]").contains("db_port=5432").doesNotContain(MARKER);
    assertThat(ok(Map.of(), "--key-file", key.toString(), "--json", "host", "list").out())
        .contains("\"db_password\": \"[secret]\"").doesNotContain(MARKER);
    assertThat(ok(Map.of(), "--key-file", key.toString(), "state", "show", "host.db1").out()).doesNotContain(MARKER);
    assertThat(ok(Map.of(), "--key-file", key.toString(), "state", "history").out()).doesNotContain(MARKER);

    assertThat(ok(Map.of(), "--key-file", key.toString(), "--show-secrets", "host", "list").out())
        .contains("db_password=\"" + MARKER + "\"");
    assertThat(ok(Map.of(), "--key-file", key.toString(), "--show-secrets", "--json", "resource", "list").out())
        .contains(MARKER);

    // without a key: listed masked, never revealed
    assertThat(ok(Map.of(), "host", "list").out()).contains("db_password=[secret]");
    Result noKey = run(Map.of(), "--show-secrets", "host", "list");
    assertThat(noKey.code()).as(noKey.toString()).isEqualTo(1);
    assertThat(noKey.err()).contains("INFRASTATE_PASSPHRASE").contains("--key-file").doesNotContain(MARKER);
  }

  @Test
  void thePassphraseComesFromTheEnvironment() throws Exception {
    Map<String, String> env = Map.of("INFRASTATE_PASSPHRASE", "correct horse battery staple");
    ok(env, "host", "add", "db1", "--secret-var", "db_password=" + MARKER);
    assertThat(Files.readString(state)).doesNotContain(MARKER).contains("\"iterations\": \"600000\"");
    assertThat(ok(env, "--show-secrets", "host", "list").out()).contains(MARKER);
    Result wrong = run(Map.of("INFRASTATE_PASSPHRASE", "wrong"), "host", "list");
    assertThat(wrong.code()).as(wrong.toString()).isEqualTo(1);
    assertThat(wrong.err()).contains("INFRASTATE_PASSPHRASE");
  }

  @Test
  void writingASecretWithoutAKeyFailsWithExitOneAndWritesNothing() throws Exception {
    ok(Map.of(), "host", "add", "web1");
    byte[] before = Files.readAllBytes(state);
    Result r = run(Map.of(), "host", "add", "db1", "--secret-var", "db_password=" + MARKER);
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("no key").contains("--key-file").doesNotContain(MARKER);
    assertThat(Files.readAllBytes(state)).isEqualTo(before);
  }

  @Test
  void aWrongKeyIsExitOneAndATamperedSecretExitFiveBothLeavingTheFileAlone() throws Exception {
    ok(Map.of(), "--key-file", key.toString(), "host", "add", "db1", "--secret-var", "db_password=" + MARKER);
    byte[] before = Files.readAllBytes(state);
    Path other = tmp.resolve("other.key");
    Files.writeString(other, Base64.getEncoder().encodeToString(new byte[32]));
    Result wrong = run(Map.of(), "--key-file", other.toString(), "host", "list");
    assertThat(wrong.code()).as(wrong.toString()).isEqualTo(1);
    assertThat(wrong.err()).contains("key file").doesNotContain("Exception");
    assertThat(Files.readAllBytes(state)).isEqualTo(before);

    String text = Files.readString(state);
    int at = text.indexOf("infrastate:secret:v1:") + 40;
    String damaged = text.substring(0, at) + (text.charAt(at) == 'A' ? 'B' : 'A') + text.substring(at + 1);
    Files.writeString(state, damaged);
    Result tampered = run(Map.of(), "--key-file", key.toString(), "--show-secrets", "host", "list");
    assertThat(tampered.code()).as(tampered.toString()).isEqualTo(5);
    assertThat(tampered.err()).contains("$.hosts.db1.vars.db_password").contains("does not authenticate");
    assertThat(Files.readString(state)).isEqualTo(damaged);
  }

  @Test
  void aMalformedSecretVarDoesNotEchoItsValue() {
    Result r = run(Map.of(), "--key-file", key.toString(), "host", "add", "db1", "--secret-var", MARKER);
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--secret-var").doesNotContain(MARKER);
  }

  @Test
  void theInventoryRefusesSecretsInClearUnlessAskedAndExportsThemAsVault() throws Exception {
    ok(Map.of(), "--key-file", key.toString(), "host", "add", "db1", "--address", "127.0.0.1",
        "--secret-var", "db_password=" + MARKER);
    Result list = run(Map.of(), "--key-file", key.toString(), "inventory", "--list");
    assertThat(list.code()).as(list.toString()).isEqualTo(1);
    assertThat(list.out()).isEmpty();
    assertThat(list.err()).contains("--show-secrets").doesNotContain(MARKER);
    assertThat(ok(Map.of(), "--key-file", key.toString(), "--show-secrets", "inventory", "--list").out())
        .contains("\"db_password\":\"" + MARKER + "\"");

    Path pass = tmp.resolve("vault-pass");
    Files.writeString(pass, "vault password\n");
    Result refused = run(Map.of(), "--key-file", key.toString(), "inventory", "export");
    assertThat(refused.code()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("--vault-password-file");
    String yaml = ok(Map.of(), "--key-file", key.toString(), "inventory", "export", "--vault-password-file", pass.toString()).out();
    assertThat(yaml).contains("db_password: !vault |").contains("$ANSIBLE_VAULT;1.1;AES256").doesNotContain(MARKER);
    assertThat(io.infrastate.inventory.AnsibleVault.withPassword("vault password")
        .decrypt(yaml.substring(yaml.indexOf("$ANSIBLE_VAULT")).replaceAll("(?m)^\\s+", ""))).isEqualTo(MARKER);
    Result noKey = run(Map.of(), "inventory", "export", "--vault-password-file", pass.toString());
    assertThat(noKey.code()).as(noKey.toString()).isEqualTo(1);
    assertThat(noKey.err()).contains("INFRASTATE_PASSPHRASE").doesNotContain(MARKER);
  }

  @Test
  void movingAHostWithSecretsNeedsTheKeyWhichSealsThemForTheirNewName() throws Exception {
    ok(Map.of(), "--key-file", key.toString(), "host", "add", "db1", "--secret-var", "db_password=" + MARKER);
    byte[] before = Files.readAllBytes(state);
    Result refused = run(Map.of(), "state", "mv", "db1", "db2");
    assertThat(refused.code()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("without the key");
    assertThat(Files.readAllBytes(state)).isEqualTo(before);
    ok(Map.of(), "--key-file", key.toString(), "state", "mv", "db1", "db2");
    assertThat(ok(Map.of(), "--key-file", key.toString(), "--show-secrets", "host", "list").out())
        .contains("db2").contains("db_password=\"" + MARKER + "\"");
  }
}
