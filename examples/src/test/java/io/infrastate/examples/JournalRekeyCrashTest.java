package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.State;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.crypto.WrongKeyException;
import io.infrastate.file.FileBackend;
import io.infrastate.model.HostState;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.Backend;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.StoredForm;
import io.infrastate.testkit.JvmProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rekey in journal mode is a journal record, then a compaction that rewrites state.json with the
 * new wraps. A process killed between the two leaves state.json wrapped for the old key only: the
 * new key must still open the state and every version, and the old key must not.
 */
class JournalRekeyCrashTest {
  private static final String MARKER = "MARKER-rekey-crash-41c9";
  private static final int HALTED = 3;

  @TempDir Path tmp;

  private static Keyring passphrase(String p) {
    return Keyring.of(KeySource.passphrase(p.toCharArray()));
  }

  @Test
  void aRekeyKilledBeforeItsCompactionOpensWithTheNewKeyOnly() throws Exception {
    Path file = Files.createDirectories(tmp.resolve("state")).resolve("state.json");
    List<VersionInfo> versions;
    try (Backend b = passphrase("old passphrase").protect(FileBackend.builder(file).journal(true).build())) {
      try (State s = State.load(b)) {
        s.addHost(HostState.builder("plain1").address("10.0.0.1").build());
      }
      StateEncryption.encrypt(b);
      try (State s = State.load(b)) {
        s.addHost(HostState.builder("db1").address("10.0.0.9").var("note", MARKER).build());
        s.addHost(HostState.builder("web1").address("10.0.0.2").build());
      }
      versions = ((HistoryBackend) b).history(100);
    }
    byte[] base = Files.readAllBytes(file);
    assertThat(StoredForm.isSealed(base)).as("state.json is stored encrypted").isTrue();
    long before = versions.get(0).serial();

    try (JvmProcess child = JvmProcess.start(RekeyThenDie.class, tmp.resolve("child.log"), file.toString())) {
      assertThat(child.await(5, TimeUnit.MINUTES)).as("the child died before the compaction: %s", child.output()).isEqualTo(HALTED);
    }
    assertThat(Files.readAllBytes(file)).as("state.json still holds the old wraps only").isEqualTo(base);

    try (Backend b = passphrase("new passphrase").protect(FileBackend.builder(file).journal(true).build());
        State s = State.load(b)) {
      assertThat(s.metadata().serial()).isEqualTo(before + 1);
      assertThat(s.getHost("db1").orElseThrow().vars()).containsEntry("note", MARKER);
      for (VersionInfo v : versions) {
        assertThat(((HistoryBackend) b).at(v.serial())).as("version %s", v.serial()).isPresent();
      }
      s.addHost(HostState.builder("after").address("10.0.0.3").build());
    }
    assertThatThrownBy(() -> {
      try (Backend b = passphrase("old passphrase").protect(FileBackend.builder(file).journal(true).build());
          State s = State.load(b)) {
        s.getHost("db1");
      }
    }).isInstanceOf(WrongKeyException.class);
    assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).doesNotContain(MARKER);
  }

  /**
   * Rekeys the journal-mode state at {@code args[0]} from "old passphrase" to "new passphrase" and
   * dies, as a killed process does, at the moment the rekey's record is stored and its compaction
   * would start.
   */
  public static final class RekeyThenDie {
    private RekeyThenDie() {}

    /**
     * Runs the child.
     *
     * @param args the state file
     */
    public static void main(String[] args) {
      FileBackend file = FileBackend.builder(Path.of(args[0])).journal(true).build();
      Backend b = passphrase("old passphrase").protect(new DiesOnSettle(file));
      StateEncryption.rekey(b, passphrase("new passphrase"));
      System.out.println("the rekey returned without settling");
      System.exit(0);
    }
  }

  /** Forwards to a file backend, and halts the JVM where the backend would settle. */
  private static final class DiesOnSettle extends ForwardingFileBackend {
    DiesOnSettle(FileBackend inner) {
      super(inner);
    }

    @Override
    public void settle() {
      Runtime.getRuntime().halt(HALTED);
    }
  }
}
