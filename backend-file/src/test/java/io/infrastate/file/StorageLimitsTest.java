package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.State;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StoredForm;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The numbers at the edges: the maximum state size (checked before reading and before writing),
 * the largest serial, and where a torn tail of the journal ends and damage begins.
 */
class StorageLimitsTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @EnumSource(FileMode.class)
  void aStatePastTheSizeLimitIsRefusedBeforeReadingAndAWriteBeforeWriting(FileMode mode) throws Exception {
    Path file = tmp.resolve("state.json");
    String uri = mode.uri(file);
    try (State s = State.open(uri)) {
      s.addHost(HostState.builder("web1").vars(Map.of("blob", "x".repeat(3000))).build());
    }
    long size = Files.size(file);
    String limited = file.toUri() + "?maxStateSize=" + (size - 1) + (mode.journal ? "&journal=true" : "");
    assertThatThrownBy(() -> State.open(limited))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining(file + " is " + size + " bytes, more than the maximum state size of " + (size - 1) + " bytes")
        .hasMessageContaining("maxStateSize");

    Map<String, String> before = LossTest.snapshot(tmp);
    // the journal is kept longer than its records (zeros for appends): the limit covers it too
    Path journal = tmp.resolve("state.json.journal");
    long limit = Math.max(size, Files.exists(journal) ? Files.size(journal) : 0) + 100;
    String roomy = file.toUri() + "?maxStateSize=" + limit + (mode.journal ? "&journal=true" : "");
    try (State s = State.open(roomy)) {
      HostState big = HostState.builder("web2").vars(Map.of("blob", "y".repeat(100_000))).build();
      assertThatThrownBy(() -> s.addHost(big))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("more than the maximum state size of " + limit + " bytes")
          .hasMessageContaining("Nothing was written")
          .hasMessageContaining("maxStateSize");
      assertThat(s.hasHost("web2")).isFalse();
    }
    Map<String, String> after = LossTest.snapshot(tmp);
    after.keySet().removeIf(k -> !before.containsKey(k) && k.endsWith(".writelock"));
    assertThat(after).isEqualTo(before);
  }

  @Test
  void theSizeLimitIsValidatedWhereItIsSet() {
    assertThatThrownBy(() -> FileBackend.builder(tmp.resolve("s.json")).maxStateSize(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxStateSize must be within 1..");
    assertThatThrownBy(() -> State.open(tmp.resolve("s.json").toUri() + "?maxStateSize=lots"))
        .isInstanceOf(io.infrastate.model.UnknownBackendException.class).hasMessageContaining("maxStateSize must be a number of bytes");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(FileMode.class)
  void theLargestSerialIsAnInvalidStateNotACrash(FileMode mode) throws Exception {
    Path file = tmp.resolve("state.json");
    Files.writeString(file, "{\"metadata\": {\"version\": \"1.0\", \"serial\": 9223372036854775807, \"lineage\": \"l\"}}");
    byte[] bytes = Files.readAllBytes(file);
    try (State s = State.open(mode.uri(file))) {
      assertThatThrownBy(() -> s.addHost(HostState.builder("web1").build()))
          .isInstanceOf(InvalidStateException.class)
          .hasMessageContaining("$.metadata.serial")
          .hasMessageContaining("the largest serial");
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
  }

  @Test
  void aDamageMessageNamesOnlyFilesThatExist() throws Exception {
    Path file = tmp.resolve("state.json");
    Files.writeString(file, "{\"metadata\": ");
    assertThatThrownBy(() -> State.open(file.toString()))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageNotContaining(".backup")
        .hasMessageNotContaining(".history");
    Files.writeString(tmp.resolve("state.json.backup"), "{}");
    assertThatThrownBy(() -> State.open(file.toString()))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("the previous version is in " + tmp.resolve("state.json.backup"))
        .hasMessageNotContaining(".history");
  }

  // ------------------------------------------------------------------ torn tail or damage

  private static byte[] journal(int records) {
    byte[][] parts = new byte[records + 1][];
    parts[0] = JournalCodec.header(0, "l");
    for (int i = 1; i <= records; i++) {
      parts[i] = JournalCodec.frame(("{\"serial\":" + i + ",\"lineage\":\"l\",\"version\":\"1.0\",\"changes\":[]}\n").getBytes());
    }
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n + 4096];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  private static int offset(byte[] j, int frame) {
    int p = 0;
    for (int i = 0; i < frame; i++) {
      p += JournalCodec.FRAME_HEADER + ByteBuffer.wrap(j, p, 4).getInt();
    }
    return p;
  }

  private static void setLength(byte[] j, int at, int length) {
    CRC32C c = new CRC32C();
    c.update(ByteBuffer.allocate(4).putInt(length).array());
    ByteBuffer.wrap(j, at, 8).putInt(length).putInt((int) c.getValue());
  }

  @Test
  void aLengthRunningPastTheEndInTheMiddleIsDamageAndAtTheEndATornTail() {
    byte[] j = journal(5);
    setLength(j, offset(j, 2), 1 << 29);
    JournalCodec.Scan middle = JournalCodec.scan(j, 0, false, StoredForm.PLAIN);
    assertThat(middle.damage).contains("declares 536870912 bytes, past the end of the journal, and a valid record follows it");

    byte[] t = journal(5);
    int last = offset(t, 5);
    setLength(t, last, 1 << 29);
    JournalCodec.Scan tail = JournalCodec.scan(t, 0, false, StoredForm.PLAIN);
    assertThat(tail.damage).isNull();
    assertThat(tail.entries).hasSize(4);
    assertThat(tail.validEnd).isEqualTo(last);
  }

  @Test
  void aChecksumFailureFollowedByAnythingButZerosIsDamageAndByZerosATornTail() {
    byte[] j = journal(3);
    int last = offset(j, 3);
    int end = offset(j, 4);
    j[last + JournalCodec.FRAME_HEADER + 3] ^= 0x20;
    JournalCodec.Scan torn = JournalCodec.scan(j, 0, false, StoredForm.PLAIN);
    assertThat(torn.damage).isNull();
    assertThat(torn.entries).hasSize(2);

    byte[] garbage = Arrays.copyOf(j, j.length);
    garbage[end + 100] = 7; // written after the record: not what a torn append leaves
    JournalCodec.Scan damaged = JournalCodec.scan(garbage, 0, false, StoredForm.PLAIN);
    assertThat(damaged.damage).contains("fails its checksum and more data follows it");
  }

  @Test
  void aJournalWithADamagedMiddleIsRefusedByTheBackendAndKept() throws Exception {
    Path file = tmp.resolve("state.json");
    try (Backend b = FileBackend.builder(file).journal(true).backgroundCompaction(false).build(); State s = State.load(b)) {
      for (int i = 1; i <= 6; i++) {
        s.addHost(HostState.builder("web" + i).build());
      }
    }
    Path journalFile = tmp.resolve("state.json.journal");
    byte[] j = Files.readAllBytes(journalFile);
    setLength(j, offset(j, 3), 1 << 20);
    Files.write(journalFile, j);
    for (String uri : List.of(file.toUri() + "?journal=true", file.toString())) {
      assertThatThrownBy(() -> State.open(uri)).as(uri).isInstanceOf(CorruptStateException.class).hasMessageContaining("past the end");
    }
    assertThat(Files.readAllBytes(journalFile)).isEqualTo(j);
  }
}
