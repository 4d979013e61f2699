package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.examples.cli.InfrastateCli;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.StoredForm;
import io.infrastate.testkit.DocBlocks;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the whole-state encryption examples of docs/secrets.md: the CLI setup, the rekey, the Java example. */
class EncryptionDocTest {
  private static final Path DOC = Processes.REPO.resolve("docs/secrets.md");
  private static final byte[] MAGIC = StoredForm.MAGIC.getBytes(StandardCharsets.US_ASCII);

  @TempDir Path tmp;

  /** Runs a doc block's lines: exports set the environment, VAR=value prefixes set it for one command. */
  private static int runBlock(String block, Path state, Map<String, String> env) {
    int commands = 0;
    for (String line : block.strip().split("\n")) {
      List<String> w = new ArrayList<>(SecretsDocTest.words(line));
      if (w.get(0).equals("export")) {
        String[] kv = w.get(1).split("=", 2);
        env.put(kv[0], kv[1]);
        continue;
      }
      Map<String, String> one = new HashMap<>(env);
      while (w.get(0).contains("=")) {
        String[] kv = w.remove(0).split("=", 2);
        one.put(kv[0], kv[1]);
      }
      assertThat(w.get(0)).isEqualTo("./infrastate");
      List<String> args = new ArrayList<>(List.of("--state", state.toString()));
      args.addAll(w.subList(1, w.size()));
      run(one, args);
      commands++;
    }
    return commands;
  }

  private static String run(Map<String, String> env, List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = InfrastateCli.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true), env);
    assertThat(code).as("%s: %s", args, err).isZero();
    return out.toString();
  }

  @Test
  void theCliSetupAndRekeyWork() throws Exception {
    Path state = tmp.resolve("state.json");
    Map<String, String> env = new HashMap<>();
    String text = Files.readString(DOC);
    assertThat(runBlock(DocBlocks.code(text, "encryption-setup"), state, env)).isEqualTo(1);
    run(env, List.of("--state", state.toString(), "host", "add", "db1", "--address", "10.0.0.99"));
    assertThat(Files.readAllBytes(state)).startsWith(MAGIC);
    assertThat(Files.readString(state, StandardCharsets.ISO_8859_1)).doesNotContain("10.0.0.99");

    Map<String, String> before = new HashMap<>(env);
    assertThat(runBlock(DocBlocks.code(text, "encryption-rekey"), state, env)).isEqualTo(2);
    assertThat(env.get("INFRASTATE_PASSPHRASE")).isNotEqualTo(before.get("INFRASTATE_PASSPHRASE"));
    assertThat(run(env, List.of("--state", state.toString(), "host", "list"))).contains("db1");
    StringWriter err = new StringWriter();
    int old = InfrastateCli.execute(new String[] {"--state", state.toString(), "host", "list"}, new PrintWriter(new StringWriter()),
        new PrintWriter(err, true), before);
    assertThat(old).as("the old passphrase no longer opens the state").isEqualTo(InfrastateCli.ERROR);
  }

  @Test
  void theJavaExampleIsThisTestsCode() throws Exception {
    String doc = DocBlocks.code(Files.readString(DOC), "encryption-java").strip();
    String mine = DocBlocks.example(Path.of("src/test/java/io/infrastate/examples/EncryptionDocTest.java"));
    assertThat(DocBlocks.normalize(mine)).isEqualTo(DocBlocks.normalize(doc));

    Path dir = tmp;
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    Files.writeString(dir.resolve("infra.key"), Base64.getEncoder().encodeToString(k));
    char[] newPassphrase = "a new passphrase".toCharArray();
    // example:start
    Keyring keys = Keyring.of(KeySource.keyFile(dir.resolve("infra.key")));
    try (State state = State.open(dir.resolve("state.json").toString(), StateOptions.builder().keyring(keys).build())) {
      state.addHost(HostState.builder("db1").address("10.0.0.9").build());
    }
    try (Backend backend = keys.protect(BackendRegistry.defaultRegistry().open(dir.resolve("state.json").toString()))) {
      StateEncryption.encrypt(backend);   // later versions are stored encrypted
      StateEncryption.rekey(backend, Keyring.of(KeySource.passphrase(newPassphrase)));
    }
    // example:end
    assertThat(Files.readAllBytes(dir.resolve("state.json"))).startsWith(MAGIC);
    StateOptions withNew = StateOptions.builder().keyring(Keyring.of(KeySource.passphrase(newPassphrase))).build();
    try (State state = State.open(dir.resolve("state.json").toString(), withNew)) {
      assertThat(state.getHost("db1").orElseThrow().address()).isEqualTo("10.0.0.9");
    }
  }
}
