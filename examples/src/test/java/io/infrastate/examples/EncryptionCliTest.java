package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.InfrastateCli;
import io.infrastate.spi.StoredForm;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code state encrypt | decrypt | rekey | rotate-data-key} on the command line, and the {@code
 * key} parameter of a state URI.
 */
class EncryptionCliTest {
  @TempDir Path tmp;

  private record Run(int code, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = InfrastateCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
    return new Run(code, out.toString(), err.toString());
  }

  private static Map<String, String> env(String... kv) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return env;
  }

  @Test
  void encryptRekeyAndDecryptOnTheCommandLine() throws Exception {
    String state = tmp.resolve("state.json").toString();
    Map<String, String> old = env("INFRASTATE_PASSPHRASE", "old passphrase");
    assertThat(run(old, "--state", state, "host", "add", "web1", "--address", "10.0.0.1").code()).isZero();

    Run enc = run(old, "--state", state, "state", "encrypt");
    assertThat(enc.code()).as(enc.err()).isZero();
    assertThat(enc.out()).contains("Earlier versions keep their plain form");
    assertThat(run(old, "--state", state, "host", "add", "db1", "--address", "10.0.0.99").code()).isZero();
    assertThat(Files.readAllBytes(Path.of(state))).startsWith(StoredForm.MAGIC.getBytes(StandardCharsets.US_ASCII));
    assertThat(Files.readString(Path.of(state), StandardCharsets.ISO_8859_1)).doesNotContain("10.0.0.99");

    Run noKey = run(env(), "--state", state, "host", "list");
    assertThat(noKey.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(noKey.err()).contains("encrypted").doesNotContain("\tat ");
    Run wrong = run(env("INFRASTATE_PASSPHRASE", "not it"), "--state", state, "host", "list");
    assertThat(wrong.code()).isEqualTo(InfrastateCli.ERROR);

    Run noNew = run(old, "--state", state, "state", "rekey");
    assertThat(noNew.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(noNew.err()).contains("INFRASTATE_NEW_PASSPHRASE");
    Map<String, String> rekey = new HashMap<>(old);
    rekey.put("INFRASTATE_NEW_PASSPHRASE", "new passphrase");
    Run rk = run(rekey, "--state", state, "state", "rekey");
    assertThat(rk.code()).as(rk.err()).isZero();
    Map<String, String> fresh = env("INFRASTATE_PASSPHRASE", "new passphrase");
    assertThat(run(old, "--state", state, "host", "list").code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(run(fresh, "--state", state, "host", "list").out()).contains("db1");

    Run rot = run(fresh, "--state", state, "--json", "state", "rotate-data-key");
    assertThat(rot.code()).as(rot.err()).isZero();
    assertThat(rot.out()).contains("\"encrypted\": true");

    Run dec = run(fresh, "--state", state, "state", "decrypt");
    assertThat(dec.code()).as(dec.err()).isZero();
    assertThat(Files.readString(Path.of(state))).contains("10.0.0.99");
  }

  @Test
  void flippedByteExitsAsDamage() throws Exception {
    String state = tmp.resolve("state.json").toString();
    Map<String, String> env = env("INFRASTATE_PASSPHRASE", "pass");
    run(env, "--state", state, "host", "add", "web1", "--address", "10.0.0.1");
    assertThat(run(env, "--state", state, "state", "encrypt").code()).isZero();
    byte[] b = Files.readAllBytes(Path.of(state));
    b[b.length - 5] ^= 1;
    Files.write(Path.of(state), b);
    Run r = run(env, "--state", state, "host", "list");
    assertThat(r.code()).isEqualTo(InfrastateCli.DAMAGED);
    assertThat(Files.readAllBytes(Path.of(state))).isEqualTo(b);
  }

  @Test
  void rewriteHistoryOnTheCommandLine() throws Exception {
    Path state = tmp.resolve("state.json");
    Map<String, String> env = env("INFRASTATE_PASSPHRASE", "pass");
    assertThat(run(env, "--state", state.toString(), "host", "add", "web1", "--address", "10.0.0.77").code()).isZero();
    assertThat(run(env, "--state", state.toString(), "host", "add", "web2", "--address", "10.0.0.78").code()).isZero();
    Run enc = run(env, "--state", state.toString(), "state", "encrypt", "--rewrite-history");
    assertThat(enc.code()).as(enc.err()).isZero();
    assertThat(enc.out()).contains("and so are the earlier versions");
    for (Map.Entry<String, byte[]> f : SecretsAtRestTest.files(tmp).entrySet()) {
      assertThat(new String(f.getValue(), StandardCharsets.ISO_8859_1)).as(f.getKey()).doesNotContain("10.0.0.77");
    }

    Path remote = tmp.resolve("remote.git");
    SecretsAtRestTest.exec(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
    String git = "git+file://" + remote + "?clone=" + tmp.resolve("clone") + "#main:state.json";
    assertThat(run(env, "--state", git, "host", "add", "web1", "--address", "10.0.0.1").code()).isZero();
    Run refused = run(env, "--state", git, "state", "encrypt", "--rewrite-history");
    assertThat(refused.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(refused.err()).contains("immutable").contains("without --rewrite-history").doesNotContain("\tat ");
  }

  @Test
  void theUriNamesTheKeyProviderNeverTheKey() throws Exception {
    Path dir = tmp;
    String uri = dir.resolve("state.json").toUri() + "?key=passphrase";
    Map<String, String> env = env("INFRASTATE_PASSPHRASE", "pass");
    Run add = run(env, "--state", uri, "host", "add", "db1", "--address", "10.0.0.9", "--secret-var", "pw=s3cr3t");
    assertThat(add.code()).as(add.err()).isZero();
    assertThat(run(env, "--state", uri, "--show-secrets", "host", "list").out()).contains("s3cr3t");
    Run missing = run(env(), "--state", uri, "host", "list");
    assertThat(missing.code()).isEqualTo(InfrastateCli.ERROR);
    assertThat(missing.err()).contains("INFRASTATE_PASSPHRASE");
    Run secretInUri = run(env, "--state", dir.resolve("state.json").toUri() + "?key=passphrase:hunter2", "host", "list");
    assertThat(secretInUri.code()).isNotZero();
    assertThat(secretInUri.err()).contains("Never put a passphrase").doesNotContain("hunter2");
    List<String> args = new ArrayList<>(List.of("--state", dir.resolve("state.json").toUri() + "?journal=false&key=passphrase"));
    args.addAll(List.of("host", "list"));
    assertThat(run(env, args.toArray(String[]::new)).code()).isZero();
  }
}
