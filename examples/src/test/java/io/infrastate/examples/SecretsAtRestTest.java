package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.model.MissingKeyException;
import io.infrastate.crypto.WrongKeyException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import io.infrastate.s3.S3Credentials;
import io.infrastate.s3.S3TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Secret values at rest on every backend: after writes with a marker secret, no byte sequence of
 * the marker is anywhere in storage (every file under the state's directory, every Git object of the
 * remote and the clone through {@code git cat-file --batch-all-objects --batch}, every S3 object);
 * reads with the key return it; reads without the key or with a wrong key, and reads after one
 * flipped byte in the sealed value, fail typed and leave storage byte-identical.
 */
class SecretsAtRestTest {
  private static final String MARKER = "MARKER-at-rest-5d1c-do-not-store";
  private static final Pattern SEALED = Pattern.compile("infrastate:secret:v1:[0-9a-f]+:[A-Za-z0-9_-]+");

  @TempDir Path tmp;

  /** What a backend stores, unit by unit (file, Git object, S3 object), and how to damage it. */
  interface Storage {
    Map<String, byte[]> dump() throws Exception;

    /** Replaces {@code sealed} by {@code flipped} where a load will read it. */
    void replace(String sealed, String flipped) throws Exception;
  }

  private Keyring keys(String name) throws IOException {
    Path f = tmp.resolve(name);
    if (!Files.exists(f)) {
      byte[] k = new byte[32];
      new SecureRandom().nextBytes(k);
      Files.writeString(f, Base64.getEncoder().encodeToString(k));
    }
    return Keyring.of(KeySource.keyFile(f));
  }

  private static State open(String uri, Keyring keys, List<Backend> opened) {
    Backend b = BackendRegistry.defaultRegistry().open(uri);
    if (keys != null) {
      b = keys.protect(b);
    }
    opened.add(b);
    return State.load(b);
  }

  private void prove(String uri, Storage storage) throws Exception {
    Keyring keys = keys("right.key");
    List<Backend> opened = new ArrayList<>();
    try {
      try (State s = open(uri, keys, opened)) {
        s.addHost(HostState.builder("db1").address("10.0.0.9").secretVar("db_password", MARKER).build());
        s.addResource("stripe:live", ResourceState.builder("stripe", "live").secretData("api_key", MARKER).build());
        for (int i = 0; i < 5; i++) {
          s.addHost(HostState.builder("web" + i).address("10.0.1." + i).build());
        }
        s.addHost(s.getHost("db1").orElseThrow().withAddress("10.0.0.10"));
      }
      closeAll(opened); // a backend finishes its derived copies (S3's readable copy) when closed
      Map<String, byte[]> stored = storage.dump();
      assertThat(stored).isNotEmpty();
      byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
      stored.forEach((name, bytes) -> assertThat(indexOf(bytes, marker)).as("the marker in %s", name).isEqualTo(-1));
      assertThat(stored.values().stream().anyMatch(b -> new String(b, StandardCharsets.ISO_8859_1).contains("infrastate:secret:v1:")))
          .as("sealed values are stored").isTrue();

      try (State s = open(uri, keys, opened)) {
        assertThat(s.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
        assertThat(s.getResource("stripe:live").orElseThrow().secretData("api_key").orElseThrow().reveal()).isEqualTo(MARKER);
        assertThat(s.getHost("db1").orElseThrow().address()).isEqualTo("10.0.0.10");
      }

      closeAll(opened);
      assertThatThrownBy(() -> open(uri, keys("wrong.key"), opened)).isInstanceOf(WrongKeyException.class);
      closeAll(opened);
      assertIdentical(stored, storage.dump());

      try (State s = open(uri, null, opened)) {
        assertThatThrownBy(() -> s.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal())
            .isInstanceOf(MissingKeyException.class);
      }
      closeAll(opened);
      assertIdentical(stored, storage.dump());

      String sealed = latestSealed(stored);
      int at = sealed.length() - 3;
      String flipped = sealed.substring(0, at) + (sealed.charAt(at) == 'A' ? 'B' : 'A') + sealed.substring(at + 1);
      storage.replace(sealed, flipped);
      Map<String, byte[]> damaged = storage.dump();
      assertThatThrownBy(() -> {
        try (State s = open(uri, keys, opened)) {
          s.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal();
          s.getResource("stripe:live").orElseThrow().secretData("api_key").orElseThrow().reveal();
        }
      }).isInstanceOf(CorruptStateException.class); // TamperedSecretException, or damage a checksum caught first
      closeAll(opened);
      assertIdentical(damaged, storage.dump());
    } finally {
      opened.forEach(Backend::close);
    }
  }

  static void closeAll(List<Backend> opened) {
    opened.forEach(Backend::close);
    opened.clear();
  }

  /** The sealed db_password of the newest unit that holds one. */
  private static String latestSealed(Map<String, byte[]> stored) {
    String found = null;
    for (byte[] b : stored.values()) {
      String text = new String(b, StandardCharsets.ISO_8859_1);
      int i = text.lastIndexOf("\"db_password\"");
      if (i >= 0) {
        Matcher m = SEALED.matcher(text);
        if (m.find(i)) {
          found = m.group();
        }
      }
    }
    assertThat(found).as("a sealed db_password in storage").isNotNull();
    return found;
  }

  static void assertIdentical(Map<String, byte[]> before, Map<String, byte[]> after) {
    assertThat(after.keySet()).isEqualTo(before.keySet());
    before.forEach((k, v) -> assertThat(after.get(k)).as("bytes of %s", k).isEqualTo(v));
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Every regular file under a directory. */
  static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  private static void replaceInFiles(Path dir, String from, String to) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        if (text.contains(from)) {
          Files.write(p, text.replace(from, to).getBytes(StandardCharsets.ISO_8859_1));
        }
      }
    }
  }

  @Test
  void fileBackendWholeFileMode() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    prove(dir.resolve("state.json").toString(), new Storage() {
      @Override
      public Map<String, byte[]> dump() throws IOException {
        return files(dir);
      }

      @Override
      public void replace(String sealed, String flipped) throws IOException {
        replaceInFiles(dir, sealed, flipped);
      }
    });
  }

  @Test
  void fileBackendJournalMode() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    prove(dir.resolve("state.json").toUri() + "?journal=true", new Storage() {
      @Override
      public Map<String, byte[]> dump() throws IOException {
        return files(dir);
      }

      @Override
      public void replace(String sealed, String flipped) throws IOException {
        replaceInFiles(dir, sealed, flipped);
      }
    });
  }

  static byte[] exec(Path dir, String... cmd) throws Exception {
    List<String> all = new ArrayList<>(List.of("git", "-c", "user.name=Erin", "-c", "user.email=erin@example.com"));
    all.addAll(Arrays.asList(cmd));
    Process p = new ProcessBuilder(all).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as("%s", all).isZero();
    return out;
  }

  /** Every object of a repository, as git cat-file prints them, split per object. */
  static Map<String, byte[]> objects(Path gitDir, String label) throws Exception {
    byte[] all = exec(gitDir, "--git-dir=" + gitDir, "cat-file", "--batch-all-objects", "--batch");
    Map<String, byte[]> out = new TreeMap<>();
    int i = 0;
    while (i < all.length) {
      int nl = i;
      while (all[nl] != '\n') {
        nl++;
      }
      String[] header = new String(all, i, nl - i, StandardCharsets.US_ASCII).split(" ");
      int size = Integer.parseInt(header[2]);
      out.put(label + ":" + header[0], Arrays.copyOfRange(all, nl + 1, nl + 1 + size));
      i = nl + 1 + size + 1;
    }
    return out;
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
          try (Stream<Path> s = Files.walk(clone)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> !p.startsWith(clone.resolve(".git"))).toList()) {
              out.put("clone-file:" + clone.relativize(p), Files.readAllBytes(p));
            }
          }
        }
        return out;
      }

      @Override
      public void replace(String sealed, String flipped) throws Exception {
        Path work = tmp.resolve("person");
        exec(tmp, "clone", "-q", remote.toString(), work.toString());
        replaceInFiles(work.resolve("state.json").getParent(), sealed, flipped);
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
          public void replace(String sealed, String flipped) {
            dump().forEach((k, v) -> {
              String text = new String(v, StandardCharsets.ISO_8859_1);
              if (text.contains(sealed)) {
                c.putObject(b -> b.bucket(bucket).key(k),
                    RequestBody.fromBytes(text.replace(sealed, flipped).getBytes(StandardCharsets.ISO_8859_1)));
              }
            });
          }
        });
      }
    }
  }

}
