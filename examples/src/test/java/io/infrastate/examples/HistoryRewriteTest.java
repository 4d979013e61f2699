package io.infrastate.examples;

import static io.infrastate.examples.SecretsAtRestTest.exec;
import static io.infrastate.examples.SecretsAtRestTest.files;
import static io.infrastate.examples.SecretsAtRestTest.indexOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.State;
import io.infrastate.crypto.ImmutableHistoryException;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.crypto.StateEncryption.History;
import io.infrastate.model.HostState;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.StoredForm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code state encrypt --rewrite-history} and {@code state decrypt --rewrite-history}: the file
 * backend re-stores its own earlier versions in the new form (no marker byte, then no sealed byte
 * sequence, anywhere under the state's directory), every version stays readable, another state's
 * storage is untouched; Git refuses, typed, writing nothing.
 */
class HistoryRewriteTest {
  private static final String MARKER = "MARKER-rewrite-history-93b0";
  private static final byte[] MARKER_BYTES = MARKER.getBytes(StandardCharsets.UTF_8);
  private static final byte[] MAGIC = StoredForm.MAGIC.getBytes(StandardCharsets.US_ASCII);

  @TempDir Path tmp;

  private Keyring key() throws Exception {
    Path f = tmp.resolve("infra.key");
    if (!Files.exists(f)) {
      byte[] k = new byte[32];
      new SecureRandom().nextBytes(k);
      Files.writeString(f, Base64.getEncoder().encodeToString(k));
    }
    return Keyring.of(KeySource.keyFile(f));
  }

  @Test
  void wholeFileMode() throws Exception {
    rewriteBothWays(false);
  }

  @Test
  void journalMode() throws Exception {
    rewriteBothWays(true);
  }

  private void rewriteBothWays(boolean journal) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    String uri = dir.resolve("state.json").toUri() + (journal ? "?journal=true" : "");
    Path otherDir = Files.createDirectories(tmp.resolve("other"));
    String other = otherDir.resolve("state.json").toUri() + (journal ? "?journal=true" : "");
    for (String u : List.of(uri, other)) {
      try (Backend b = key().protect(BackendRegistry.defaultRegistry().open(u)); State s = State.load(b)) {
        for (int i = 0; i < 4; i++) {
          s.addHost(HostState.builder("web" + i + "-" + MARKER).address("10.0.0." + i).var("note", MARKER).build());
        }
      }
    }
    Map<String, byte[]> otherBefore = files(otherDir);
    assertThat(anyContains(files(dir), MARKER_BYTES)).as("the marker is stored in clear before").isTrue();

    List<VersionInfo> versions;
    try (Backend b = key().protect(BackendRegistry.defaultRegistry().open(uri))) {
      StateEncryption.encrypt(b, History.REWRITE);
      try (State s = State.load(b)) {
        s.addHost(HostState.builder("after-" + MARKER).address("10.0.1.1").build());
      }
      versions = ((HistoryBackend) b).history(100);
    }
    Map<String, byte[]> encrypted = files(dir);
    encrypted.forEach((name, bytes) -> assertThat(indexOf(bytes, MARKER_BYTES)).as("the marker in %s", name).isEqualTo(-1));
    assertThat(versions).hasSizeGreaterThanOrEqualTo(5);
    assertEveryVersionReadable(uri, key(), versions);
    Map<String, byte[]> otherAfter = files(otherDir);
    assertThat(otherAfter).as("another state's storage").containsOnlyKeys(otherBefore.keySet());
    otherBefore.forEach((name, bytes) -> assertThat(Arrays.equals(bytes, otherAfter.get(name))).as(name).isTrue());

    try (Backend b = key().protect(BackendRegistry.defaultRegistry().open(uri))) {
      StateEncryption.decrypt(b, History.REWRITE);
    }
    files(dir).forEach((name, bytes) -> assertThat(indexOf(bytes, MAGIC)).as("a sealed sequence in %s", name).isEqualTo(-1));
    assertEveryVersionReadable(uri, null, versions);
  }

  private static void assertEveryVersionReadable(String uri, Keyring keys, List<VersionInfo> versions) throws Exception {
    Backend raw = BackendRegistry.defaultRegistry().open(uri);
    try (Backend b = keys == null ? raw : keys.protect(raw)) {
      for (VersionInfo v : versions) {
        assertThat(((HistoryBackend) b).at(v.serial())).as("version %s", v.serial()).isPresent();
      }
      assertThat(((HistoryBackend) b).at(versions.get(versions.size() - 1).serial()).orElseThrow().snapshot().hosts())
          .containsKey("web0-" + MARKER);
    }
  }

  private static boolean anyContains(Map<String, byte[]> files, byte[] needle) {
    return files.values().stream().anyMatch(b -> indexOf(b, needle) >= 0);
  }

  @Test
  void gitRefusesBecauseItsHistoryIsImmutableAndWritesNothing() throws Exception {
    Path remote = tmp.resolve("remote.git");
    exec(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
    String uri = "git+file://" + remote + "?clone=" + tmp.resolve("clone") + "#main:state.json";
    try (Backend b = key().protect(BackendRegistry.defaultRegistry().open(uri))) {
      try (State s = State.load(b)) {
        s.addHost(HostState.builder("web1").address("10.0.0.1").build());
      }
      long serial = ((HistoryBackend) b).history(1).get(0).serial();
      assertThatThrownBy(() -> StateEncryption.encrypt(b, History.REWRITE))
          .isInstanceOf(ImmutableHistoryException.class).hasMessageContaining("immutable").hasMessageContaining("Nothing was written");
      assertThat(StateEncryption.isEncrypted(b)).isFalse();
      assertThat(((HistoryBackend) b).history(1).get(0).serial()).isEqualTo(serial);
    }
  }
}
