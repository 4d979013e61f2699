package io.infrastate.examples;

import static io.infrastate.examples.SecretsAtRestTest.assertIdentical;
import static io.infrastate.examples.SecretsAtRestTest.closeAll;
import static io.infrastate.examples.SecretsAtRestTest.exec;
import static io.infrastate.examples.SecretsAtRestTest.files;
import static io.infrastate.examples.SecretsAtRestTest.indexOf;
import static io.infrastate.examples.SecretsAtRestTest.objects;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.model.MissingKeyException;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.crypto.WrongKeyException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.StoredForm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import io.infrastate.s3.S3Credentials;
import io.infrastate.s3.S3TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Whole-state encryption at rest: after {@link StateEncryption#encrypt} and writes with a marker
 * (in a host name, an address, a plain var and resource data), no byte sequence of the marker is
 * anywhere in storage; reads with the key return it; reads without the key, with a wrong key, and
 * after one flipped byte fail typed and leave storage byte-identical. Rekey changes no stored
 * version and moves the state to the new passphrase; data-key rotation keeps old versions readable.
 */
class EncryptedStateAtRestTest {
  private static final String MARKER = "MARKER-whole-state-7e2a";

  @TempDir Path tmp;

  /** What a backend stores, unit by unit, and how to flip one byte of its current version. */
  interface Storage {
    Map<String, byte[]> dump() throws Exception;

    void flipCurrent() throws Exception;
  }

  private Keyring keyFile(String name) throws IOException {
    Path f = tmp.resolve(name);
    if (!Files.exists(f)) {
      byte[] k = new byte[32];
      new SecureRandom().nextBytes(k);
      Files.writeString(f, Base64.getEncoder().encodeToString(k));
    }
    return Keyring.of(KeySource.keyFile(f));
  }

  private static Backend backend(String uri, Keyring keys, List<Backend> opened) {
    Backend b = BackendRegistry.defaultRegistry().open(uri);
    if (keys != null) {
      b = keys.protect(b);
    }
    opened.add(b);
    return b;
  }

  /** Writes a plain version, encrypts, writes the marker; returns the stored units. */
  private Map<String, byte[]> writeEncrypted(String uri, Keyring keys, Storage storage) throws Exception {
    List<Backend> opened = new ArrayList<>();
    try {
      Backend b = backend(uri, keys, opened);
      try (State s = State.load(b)) {
        s.addHost(HostState.builder("plain1").address("10.0.0.1").build());
      }
      assertThat(StateEncryption.isEncrypted(b)).isFalse();
      StateEncryption.encrypt(b);
      assertThat(StateEncryption.isEncrypted(b)).isTrue();
      try (State s = State.load(b)) {
        s.addHost(HostState.builder("db-" + MARKER).address("10.0.0.9").var("note", MARKER).build());
        s.addResource("app:" + MARKER, ResourceState.builder("app", MARKER).data(Map.of("token", MARKER)).build());
        for (int i = 0; i < 5; i++) {
          s.addHost(HostState.builder("web" + i).address("10.0.1." + i).var("owner", MARKER).build());
        }
      }
    } finally {
      closeAll(opened);
    }
    return storage.dump();
  }

  private void prove(String uri, Storage storage) throws Exception {
    Keyring keys = keyFile("right.key");
    Map<String, byte[]> stored = writeEncrypted(uri, keys, storage);
    byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
    stored.forEach((name, bytes) -> assertThat(indexOf(bytes, marker)).as("the marker in %s", name).isEqualTo(-1));
    assertThat(stored.values().stream().anyMatch(b -> indexOf(b, StoredForm.MAGIC.getBytes(StandardCharsets.US_ASCII)) >= 0))
        .as("encrypted versions are stored").isTrue();

    List<Backend> opened = new ArrayList<>();
    try {
      try (State s = State.load(backend(uri, keys, opened))) {
        assertThat(s.getHost("db-" + MARKER).orElseThrow().vars()).containsEntry("note", MARKER);
        assertThat(s.getResource("app:" + MARKER).orElseThrow().data()).containsEntry("token", MARKER);
        assertThat(s.getHost("plain1")).isPresent();
      }
      closeAll(opened);
      assertThatThrownBy(() -> State.load(backend(uri, keyFile("wrong.key"), opened))).isInstanceOf(WrongKeyException.class);
      closeAll(opened);
      assertThatThrownBy(() -> State.load(backend(uri, null, opened))).isInstanceOf(MissingKeyException.class);
      closeAll(opened);
      assertIdentical(stored, storage.dump());

      storage.flipCurrent();
      Map<String, byte[]> damaged = storage.dump();
      assertThatThrownBy(() -> State.load(backend(uri, keys, opened))).isInstanceOf(CorruptStateException.class);
      closeAll(opened);
      assertIdentical(damaged, storage.dump());
    } finally {
      closeAll(opened);
    }
  }

  @Test
  void fileBackendWholeFileMode() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    prove(dir.resolve("state.json").toString(), fileStorage(dir));
  }

  @Test
  void fileBackendJournalMode() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    prove(dir.resolve("state.json").toUri() + "?journal=true", fileStorage(dir));
  }

  private static Storage fileStorage(Path dir) {
    return new Storage() {
      @Override
      public Map<String, byte[]> dump() throws IOException {
        return files(dir);
      }

      @Override
      public void flipCurrent() throws IOException {
        Path f = dir.resolve("state.json");
        byte[] b = Files.readAllBytes(f);
        b[b.length - 20] ^= 1;
        Files.write(f, b);
      }
    };
  }

  @Test
  void gitBackendWithABareRemote() throws Exception {
    Path remote = tmp.resolve("remote.git");
    exec(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
    Path clone = tmp.resolve("clone");
    String uri = "git+file://" + remote + "?clone=" + clone + "#main:state.json";
    prove(uri, new Storage() {
      @Override
      public Map<String, byte[]> dump() throws Exception {
        Map<String, byte[]> out = new TreeMap<>(objects(remote, "remote"));
        if (Files.exists(clone.resolve(".git"))) {
          out.putAll(objects(clone.resolve(".git"), "clone"));
        }
        return out;
      }

      @Override
      public void flipCurrent() throws Exception {
        Path work = tmp.resolve("person");
        exec(tmp, "clone", "-q", remote.toString(), work.toString());
        Path f = work.resolve("state.json");
        byte[] b = Files.readAllBytes(f);
        b[b.length - 20] ^= 1;
        Files.write(f, b);
        exec(work, "commit", "-q", "-am", "flip a byte");
        exec(work, "push", "-q", "origin", "main");
      }
    });
  }

  @Test
  void s3BackendOnS3Proxy() throws Exception {
    try (S3TestServer server = S3TestServer.start(); S3Credentials credentials = S3Credentials.set()) {
      String bucket = server.newBucket();
      try (S3Client c = server.client()) {
        prove(server.stateUri(bucket, "envs/prod/state.json"), new Storage() {
          @Override
          public Map<String, byte[]> dump() {
            return server.objects(bucket);
          }

          @Override
          public void flipCurrent() {
            // the newest sealed object: the last log record
            String newest = null;
            for (Map.Entry<String, byte[]> e : dump().entrySet()) {
              if (e.getKey().contains("/log/") && indexOf(e.getValue(), StoredForm.MAGIC.getBytes(StandardCharsets.US_ASCII)) == 0) {
                newest = e.getKey();
              }
            }
            assertThat(newest).as("a sealed log record").isNotNull();
            String key = newest;
            byte[] b = c.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
            b[b.length - 20] ^= 1;
            c.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(b));
          }
        });
      }
    }
  }

  @Test
  void rekeyChangesNoStoredVersionAndMovesTheStateToTheNewPassphrase() throws Exception {
    rekey(false);
  }

  @Test
  void rekeyInJournalMode() throws Exception {
    rekey(true);
  }

  private void rekey(boolean journal) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    String uri = dir.resolve("state.json").toUri() + (journal ? "?journal=true" : "");
    Keyring old = Keyring.of(KeySource.passphrase("old passphrase".toCharArray()));
    Keyring next = Keyring.of(KeySource.passphrase("new passphrase".toCharArray()));
    writeEncrypted(uri, old, fileStorage(dir));
    List<Backend> opened = new ArrayList<>();
    try {
      Backend b = backend(uri, old, opened);
      List<VersionInfo> versions = ((HistoryBackend) b).history(100);
      Map<String, String> before = checksums(dir);
      Map<String, byte[]> beforeBytes = files(dir);
      long serial = StateEncryption.rekey(b, next);
      closeAll(opened);
      Map<String, String> after = checksums(dir);
      Map<String, byte[]> afterBytes = files(dir);
      for (Map.Entry<String, byte[]> e : beforeBytes.entrySet()) {
        if (e.getKey().startsWith("state.json.history") && e.getKey().endsWith(".journal")) {
          // a journal's records stay as they were; the live one gains the rekey's record where it kept zeros
          byte[] kept = e.getValue();
          int end = kept.length;
          while (end > 0 && kept[end - 1] == 0) {
            end--;
          }
          byte[] now = afterBytes.get(e.getKey());
          assertThat(now != null && now.length >= end && Arrays.equals(now, 0, end, kept, 0, end))
              .as("the records of journal %s unchanged", e.getKey()).isTrue();
        } else if (e.getKey().startsWith("state.json.history")) {
          assertThat(after).as("history file %s unchanged", e.getKey()).containsEntry(e.getKey(), before.get(e.getKey()));
        }
      }
      assertThat(after.values()).as("every version stored before is stored unchanged")
          .containsAll(before.entrySet().stream().filter(e -> !e.getKey().endsWith("writelock") && !e.getKey().endsWith(".journal")
              && !e.getKey().endsWith("audit.json")).map(Map.Entry::getValue).toList());

      assertThatThrownBy(() -> State.load(backend(uri, old, opened))).isInstanceOf(WrongKeyException.class);
      closeAll(opened);
      Backend nb = backend(uri, next, opened);
      try (State s = State.load(nb)) {
        assertThat(s.getHost("db-" + MARKER).orElseThrow().vars()).containsEntry("note", MARKER);
        assertThat(s.metadata().serial()).isEqualTo(serial);
      }
      closeAll(opened);
      HistoryBackend h = (HistoryBackend) backend(uri, next, opened);
      for (VersionInfo v : versions) {
        assertThat(h.at(v.serial())).as("version %s", v.serial()).isPresent();
      }
    } finally {
      closeAll(opened);
    }
  }

  @Test
  void rotatedDataKeyKeepsEarlierVersionsReadable() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    String uri = dir.resolve("state.json").toString();
    Keyring keys = Keyring.of(KeySource.passphrase("a passphrase".toCharArray()), KeySource.keyFile(tmp.resolve("second.key")));
    keyFile("second.key");
    writeEncrypted(uri, keys, fileStorage(dir));
    String kidBefore = kid(Files.readAllBytes(dir.resolve("state.json")));
    List<Backend> opened = new ArrayList<>();
    try {
      Backend b = backend(uri, keys, opened);
      long before = ((HistoryBackend) b).history(1).get(0).serial();
      StateEncryption.rotateDataKey(b);
      try (State s = State.load(b)) {
        s.addHost(HostState.builder("after-rotation").address("10.0.2.1").build());
      }
      closeAll(opened);
      assertThat(kid(Files.readAllBytes(dir.resolve("state.json")))).isNotEqualTo(kidBefore);
      // either key alone opens every version, old data key and new
      for (Keyring one : List.of(Keyring.of(KeySource.passphrase("a passphrase".toCharArray())), keyFile("second.key"))) {
        HistoryBackend h = (HistoryBackend) backend(uri, one, opened);
        assertThat(h.at(before).orElseThrow().snapshot().hosts()).containsKey("db-" + MARKER);
        try (State s = State.load(h)) {
          assertThat(s.getHost("after-rotation")).isPresent();
        }
        closeAll(opened);
      }
    } finally {
      closeAll(opened);
    }
  }

  @Test
  void decryptStoresLaterVersionsInClearAndKeepsEarlierOnesEncrypted() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    String uri = dir.resolve("state.json").toString();
    Keyring keys = keyFile("k.key");
    writeEncrypted(uri, keys, fileStorage(dir));
    List<Backend> opened = new ArrayList<>();
    try {
      Backend b = backend(uri, keys, opened);
      long encrypted = ((HistoryBackend) b).history(1).get(0).serial();
      StateEncryption.decrypt(b);
      closeAll(opened);
      assertThat(Files.readString(dir.resolve("state.json"), StandardCharsets.ISO_8859_1)).contains(MARKER);
      assertThat(Files.readAllBytes(dir.resolve("state.json.history").resolve(String.format("%020d.json", encrypted))))
          .as("the earlier version keeps its encrypted form").startsWith(StoredForm.MAGIC.getBytes(StandardCharsets.US_ASCII));
    } finally {
      closeAll(opened);
    }
  }

  private static String kid(byte[] stored) {
    String head = new String(stored, 0, Math.min(stored.length, 4096), StandardCharsets.ISO_8859_1);
    int i = head.indexOf("\"kid\":\"");
    return head.substring(i + 7, head.indexOf('"', i + 7));
  }

  private static Map<String, String> checksums(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : files(dir).entrySet()) {
      out.put(e.getKey(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(e.getValue())));
    }
    return out;
  }

}
