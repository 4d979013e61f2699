package io.infrastate.examples;

import static io.infrastate.examples.SecretsAtRestTest.files;
import static io.infrastate.examples.SecretsAtRestTest.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.file.FileBackend;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.Backend;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.HistoryRewritingBackend;
import io.infrastate.spi.StoredForm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.infrastate.testkit.JvmProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code state encrypt --rewrite-history} killed part-way: once the state is encrypted (its new
 * version written and, in journal mode, compacted), a child JVM rewrites its history and halts (as
 * a killed process does: no shutdown hooks, no cleanup) as it is about to seal the second earlier
 * part. Every file is then whole, in its old form
 * (byte-identical to before) or its new one (no clear byte of the marker); the state and every
 * version open with the key; a second rewrite finishes the job.
 */
class HistoryRewriteCrashTest {
  private static final String MARKER = "MARKER-rewrite-crash-5d27";
  private static final byte[] MARKER_BYTES = MARKER.getBytes(StandardCharsets.UTF_8);
  private static final int HALTED = 3;
  /** The child halts as it is about to seal the earlier part after this many. */
  private static final int SEALED_BEFORE_HALT = 1;

  @TempDir Path tmp;

  @Test
  void wholeFileMode() throws Exception {
    killPartWayThenFinish(false);
  }

  @Test
  void journalMode() throws Exception {
    killPartWayThenFinish(true);
  }

  private static Keyring key(Path f) {
    return Keyring.of(KeySource.keyFile(f));
  }

  private static FileBackend file(Path state, boolean journal) {
    return FileBackend.builder(state).journal(journal).build();
  }

  private void killPartWayThenFinish(boolean journal) throws Exception {
    Path keyFile = tmp.resolve("infra.key");
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    Files.writeString(keyFile, Base64.getEncoder().encodeToString(k));
    Path dir = Files.createDirectories(tmp.resolve("state"));
    Path state = dir.resolve("state.json");
    try (Backend b = key(keyFile).protect(file(state, journal)); State s = State.load(b)) {
      for (int i = 0; i < 6; i++) {
        s.addHost(HostState.builder("web" + i).address("10.0.0." + i).var("note", MARKER + i).build());
      }
    }
    try (Backend b = key(keyFile).protect(file(state, journal))) {
      StateEncryption.encrypt(b); // the first step of state encrypt --rewrite-history
    }
    Map<String, byte[]> before = files(dir);
    assertThat(before.entrySet().stream().filter(e -> indexOf(e.getValue(), MARKER_BYTES) >= 0).map(Map.Entry::getKey).toList())
        .as("earlier parts stored in clear: more than the child seals before it halts").hasSizeGreaterThan(SEALED_BEFORE_HALT + 1);

    try (JvmProcess child = JvmProcess.start(RewriteThenDie.class, tmp.resolve("child.log"),
        state.toString(), keyFile.toString(), Boolean.toString(journal))) {
      assertThat(child.await(5, TimeUnit.MINUTES)).as("the child halted part-way: %s", child.output()).isEqualTo(HALTED);
    }

    Map<String, byte[]> halted = files(dir);
    List<String> rewritten = new ArrayList<>();
    List<String> untouched = new ArrayList<>();
    halted.forEach((name, bytes) -> {
      if (indexOf(bytes, MARKER_BYTES) >= 0) {
        assertThat(before.get(name)).as("%s holds the marker in clear: it must be the old file, whole", name).isNotNull();
        assertThat(Arrays.equals(bytes, before.get(name))).as("%s holds the marker and was changed", name).isTrue();
        untouched.add(name);
      } else if (before.containsKey(name) && indexOf(before.get(name), MARKER_BYTES) >= 0) {
        rewritten.add(name);
      }
    });
    assertThat(rewritten).as("earlier parts rewritten before the halt").hasSizeGreaterThanOrEqualTo(SEALED_BEFORE_HALT);
    assertThat(untouched).as("earlier parts the halt left in clear").isNotEmpty();

    long current;
    List<VersionInfo> versions;
    try (Backend b = key(keyFile).protect(file(state, journal))) {
      assertThat(StateEncryption.isEncrypted(b)).isTrue();
      try (State s = State.load(b)) {
        current = s.metadata().serial();
        assertThat(s.getHost("web5").orElseThrow().vars()).containsEntry("note", MARKER + 5);
      }
      versions = ((HistoryBackend) b).history(100);
      assertEveryVersionOpens(b, versions);

      assertThat(((HistoryRewritingBackend) b).rewriteHistory()).as("files the second rewrite changed").isPositive();
      assertEveryVersionOpens(b, versions);
      try (State s = State.load(b)) {
        assertThat(s.metadata().serial()).as("the rewrite writes no version").isEqualTo(current);
      }
    }
    files(dir).forEach((name, bytes) -> assertThat(indexOf(bytes, MARKER_BYTES)).as("the marker in %s", name).isEqualTo(-1));
  }

  private static void assertEveryVersionOpens(Backend b, List<VersionInfo> versions) {
    assertThat(versions).hasSizeGreaterThanOrEqualTo(7);
    for (VersionInfo v : versions) {
      Snapshot s = ((HistoryBackend) b).at(v.serial()).orElseThrow().snapshot();
      assertThat(s.metadata().serial()).isEqualTo(v.serial());
    }
    Snapshot first = ((HistoryBackend) b).at(versions.get(versions.size() - 1).serial()).orElseThrow().snapshot();
    assertThat(first.hosts().get("web0").vars()).containsEntry("note", MARKER + 0);
  }

  /**
   * Rewrites the history of the encrypted state at {@code args[0]} with the key file {@code
   * args[1]} ({@code args[2]}: journal mode), the second step of {@code state encrypt
   * --rewrite-history}, and halts the JVM as the rewrite is about to seal its second earlier part.
   */
  public static final class RewriteThenDie {
    private RewriteThenDie() {}

    /**
     * Runs the child.
     *
     * @param args the state file, the key file, whether in journal mode
     */
    public static void main(String[] args) {
      FileBackend inner = file(Path.of(args[0]), Boolean.parseBoolean(args[2]));
      Backend b = key(Path.of(args[1])).protect(new HaltsWhileRewriting(inner));
      ((HistoryRewritingBackend) b).rewriteHistory();
      System.out.println("the rewrite returned without halting");
      System.exit(0);
    }
  }

  /**
   * Forwards to a file backend, and passes the stored form it is given on with one change: while
   * the history is being rewritten, the seal after {@link #SEALED_BEFORE_HALT} halts the JVM.
   */
  private static final class HaltsWhileRewriting extends ForwardingFileBackend {
    private final AtomicBoolean rewriting = new AtomicBoolean();
    private final AtomicInteger sealed = new AtomicInteger();

    HaltsWhileRewriting(FileBackend inner) {
      super(inner);
    }

    @Override
    public int rewriteHistory() {
      rewriting.set(true);
      return inner.rewriteHistory();
    }

    @Override
    public void storedForm(StoredForm form) {
      inner.storedForm(new StoredForm() {
        @Override
        public boolean seals(Snapshot version) {
          return form.seals(version);
        }

        @Override
        public byte[] seal(Snapshot version, String part, byte[] plain) {
          if (rewriting.get() && sealed.getAndIncrement() == SEALED_BEFORE_HALT) {
            Runtime.getRuntime().halt(HALTED);
          }
          return form.seal(version, part, plain);
        }

        @Override
        public byte[] open(byte[] stored, String part, String location) {
          return form.open(stored, part, location);
        }

        @Override
        public java.io.InputStream openStream(java.io.InputStream stored, String part, String location)
            throws java.io.IOException {
          return form.openStream(stored, part, location);
        }
      });
    }
  }
}
