package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.examples.cli.InfrastateCli;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.testkit.DocBlocks;
import java.io.PrintWriter;
import java.io.StringWriter;
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

/** Runs the examples of docs/secrets.md: the two-line CLI setup, and the Java example. */
class SecretsDocTest {
  private static final Path DOC = Processes.REPO.resolve("docs/secrets.md");

  /** The line the test adds to the example to check it. */
  private static final String TEST_ONLY = "revealed = password";

  @TempDir Path tmp;

  /** Splits a shell line into words: white space separates, single quotes group, # starts a comment. */
  static List<String> words(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder w = null;
    boolean quoted = false;
    for (char c : line.toCharArray()) {
      if (quoted) {
        if (c == '\'') {
          quoted = false;
        } else {
          w.append(c);
        }
      } else if (c == '\'') {
        quoted = true;
        w = w == null ? new StringBuilder() : w;
      } else if (c == '#' && w == null) {
        break;
      } else if (Character.isWhitespace(c)) {
        if (w != null) {
          out.add(w.toString());
          w = null;
        }
      } else {
        w = w == null ? new StringBuilder() : w;
        w.append(c);
      }
    }
    if (w != null) {
      out.add(w.toString());
    }
    return out;
  }

  private static String[] run(Map<String, String> env, List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = InfrastateCli.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true), env);
    assertThat(code).as("%s: %s", args, err).isZero();
    return new String[] {out.toString(), err.toString()};
  }

  @Test
  void theTwoLineCliSetupStoresTheSecretSealedAndShowsItOnlyOnRequest() throws Exception {
    Path state = tmp.resolve("state.json");
    Map<String, String> env = new HashMap<>();
    int commands = 0;
    for (String line : DocBlocks.code(Files.readString(DOC), "secrets-setup").strip().split("\n")) {
      List<String> w = words(line);
      if (w.get(0).equals("export")) {
        String[] kv = w.get(1).split("=", 2);
        env.put(kv[0], kv[1]);
      } else {
        assertThat(w.get(0)).isEqualTo("./infrastate");
        List<String> args = new ArrayList<>(List.of("--state", state.toString()));
        args.addAll(w.subList(1, w.size()));
        run(env, args);
        commands++;
      }
    }
    assertThat(commands).isEqualTo(1);
    assertThat(env).containsKey("INFRASTATE_PASSPHRASE");
    assertThat(Files.readString(state)).doesNotContain("s3cr3t").contains("infrastate:secret:v1:");
    assertThat(run(env, List.of("--state", state.toString(), "host", "list"))[0]).contains("db_password=[secret]");
    assertThat(run(env, List.of("--state", state.toString(), "--show-secrets", "host", "list"))[0])
        .contains("db_password=\"s3cr3t\"");
  }

  @Test
  void theJavaExampleIsThisTestsCode() throws Exception {
    String doc = DocBlocks.code(Files.readString(DOC), "secrets-java").strip();
    String mine = DocBlocks.example(Path.of("src/test/java/io/infrastate/examples/SecretsDocTest.java"));
    assertThat(DocBlocks.normalize(mine, TEST_ONLY)).isEqualTo(DocBlocks.normalize(doc.substring(doc.indexOf('\n') + 1), TEST_ONLY));

    Path dir = tmp;
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    Files.writeString(dir.resolve("infra.key"), Base64.getEncoder().encodeToString(k));
    String revealed;
    // example:start
    Keyring keys = Keyring.of(KeySource.keyFile(dir.resolve("infra.key")));
    try (Backend backend = keys.protect(BackendRegistry.defaultRegistry().open(dir.resolve("state.json").toString()));
         State state = State.load(backend)) {
      state.addHost(HostState.builder("db1").address("10.0.0.9").secretVar("db_password", "s3cr3t").build());
      String password = state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal();
      revealed = password;
    }
    // example:end
    assertThat(revealed).isEqualTo("s3cr3t");
    assertThat(Files.readString(dir.resolve("state.json"))).doesNotContain("s3cr3t");
  }
}
