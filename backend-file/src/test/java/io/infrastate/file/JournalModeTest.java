package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.StoredForm;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Journal mode specifics: what is on disk, torn tails, damage, compaction, history, readers. */
class JournalModeTest {
  @TempDir Path tmp;

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").port(22).user("admin").build();
  }

  private static FileBackend.Builder inline(Path file) {
    return FileBackend.builder(file).journal(true).backgroundCompaction(false);
  }

  /** Where the journal's last valid record ends. */
  private static long recordsEnd(Path journal) throws IOException {
    return JournalCodec.scan(Files.readAllBytes(journal), 0, false, StoredForm.PLAIN).validEnd;
  }

  /** How many bytes follow the last valid record, checking that they are all zeros. */
  private static long zerosAfterRecords(Path journal) throws IOException {
    byte[] bytes = Files.readAllBytes(journal);
    JournalCodec.Scan scan = JournalCodec.scan(bytes, 0, false, StoredForm.PLAIN);
    assertThat(scan.damage).isNull();
    for (long i = scan.validEnd; i < bytes.length; i++) {
      assertThat(bytes[(int) i]).as("byte %d after the records", i).isZero();
    }
    return bytes.length - scan.validEnd;
  }

  private static Snapshot reload(Path file) {
    try (FileBackend b = inline(file).build()) {
      return b.load().orElseThrow().snapshot();
    }
  }

  @Test
  void aWriteAppendsOnlyItsChangeAndLeavesStateJsonUntouched() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      state.update(tx -> {
        for (int i = 0; i < 2000; i++) {
          tx.addHost(host(String.format("h%05d", i)));
        }
      });
      byte[] base = Files.readAllBytes(file);
      long journalBefore = recordsEnd(backend.journalPath());
      long sizeBefore = Files.size(backend.journalPath());
      state.addHost(host("web01").withVar("http_port", 80));
      assertThat(Files.readAllBytes(file)).isEqualTo(base);
      long appended = recordsEnd(backend.journalPath()) - journalBefore;
      assertThat(appended).isBetween(50L, 1000L);
      // written into the zeros kept ahead: the file did not grow, and zeros still follow
      assertThat(Files.size(backend.journalPath())).isEqualTo(sizeBefore);
      assertThat(zerosAfterRecords(backend.journalPath())).isGreaterThan(JournalAppender.SPACE_AHEAD / 2);
      assertThat(reload(file)).isEqualTo(state.snapshot());
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backend.journalPath()))).isEqualTo("rw-------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
  }

  @Test
  void compactionWritesThePlainFormatThatThePlainBackendReads() throws Exception {
    Path file = tmp.resolve("state.json");
    Snapshot latest;
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      for (int i = 0; i < 30; i++) {
        state.addHost(host("h" + i), AuditEntry.of("add " + i));
      }
      state.removeHost("h3");
      state.addResource("linode:1", ResourceState.builder("linode", "1").data("ipv4", List.of("10.0.0.1")).tag("env", "prod").build());
      latest = state.snapshot();
      assertThat(StateCodec.decode(Files.readAllBytes(file), "f", "").metadata().serial()).isEqualTo(1);
      backend.compact();
      assertThat(StateCodec.decode(Files.readAllBytes(file), "f", "")).isEqualTo(latest);
      assertThat(Files.readAllBytes(file)).isEqualTo(StateCodec.encode(latest));
      assertThat(recordsEnd(backend.journalPath())).isLessThan(200);
      assertThat(Files.size(backend.journalPath())).isLessThanOrEqualTo(200 + JournalAppender.SPACE_AHEAD + 4096);
      assertThat(backend.backupPath()).exists();
      // writes continue on the new base
      state.addHost(host("after"));
      latest = state.snapshot();
    }
    assertThat(reload(file)).isEqualTo(latest);
    try (FileBackend backend = inline(file).build()) {
      backend.compact();
    }
    try (FileBackend plain = FileBackend.at(file); State state = State.load(plain)) {
      assertThat(state.snapshot()).isEqualTo(latest);
    }
  }

  @Test
  void compactionRunsInTheBackgroundPastTheRecordThreshold() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = FileBackend.builder(file).journal(true).compactEvery(10).build(); State state = State.load(backend)) {
      for (int i = 0; i < 25; i++) {
        state.addHost(host("h" + i));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (StateCodec.decode(Files.readAllBytes(file), "f", "").metadata().serial() < 10) {
        assertThat(System.nanoTime()).as("compaction never ran").isLessThan(deadline);
        Thread.sleep(10);
      }
      state.addHost(host("last"));
      assertThat(reload(file)).isEqualTo(state.snapshot());
    }
  }

  @Test
  void compactionRunsPastTheByteThreshold() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).compactAtBytes(8192).build(); State state = State.load(backend)) {
      for (int i = 0; i < 40; i++) {
        state.addHost(host("h" + i).withVar("payload", "x".repeat(300)));
      }
      assertThat(recordsEnd(backend.journalPath())).isLessThan(8192 + 1000);
      assertThat(StateCodec.decode(Files.readAllBytes(file), "f", "").metadata().serial()).isGreaterThan(10);
      assertThat(reload(file)).isEqualTo(state.snapshot());
    }
  }

  /**
   * By default a compaction starts once the journal holds a quarter of state.json's bytes (at least
   * 1 MiB), whatever the number of records: each record then pays a share of the whole-state write
   * that does not grow with the state.
   */
  @Test
  void byDefaultTheJournalIsCompactedAtAQuarterOfStateJsonsSize() throws Exception {
    assertThat(Compaction.compactionBytes(0, 0)).isEqualTo(1 << 20);
    assertThat(Compaction.compactionBytes(0, 3L << 20)).isEqualTo(1 << 20);
    assertThat(Compaction.compactionBytes(0, 40L << 20)).isEqualTo(10L << 20);
    assertThat(Compaction.compactionBytes(8192, 40L << 20)).isEqualTo(8192);
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      long base = writeBigBase(state, file, 60);
      assertThat(base).isGreaterThan(4L << 20);
      long threshold = base / 4;
      int writes = 0;
      while (StateCodec.decode(Files.readAllBytes(file), "f", "").metadata().serial() == 1) {
        long before = recordsEnd(backend.journalPath());
        assertThat(before).as("the journal passed a quarter of state.json without a compaction").isLessThan(threshold);
        state.addHost(host("w" + writes).withVar("payload", "y".repeat(50_000)));
        writes++;
      }
      // the write that crossed a quarter of state.json's bytes compacted (inline), not an earlier one
      assertThat((long) writes * 50_000).isGreaterThanOrEqualTo(threshold - 50_000);
      assertThat(reload(file)).isEqualTo(state.snapshot());
      assertThat(StateCodec.decode(Files.readAllBytes(file), "f", "")).isEqualTo(state.snapshot());
    }
  }

  /** Adds {@code hosts} hosts of 100 KB each in one version; returns state.json's size. */
  private static long writeBigBase(State state, Path file, int hosts) throws IOException {
    state.update(tx -> {
      for (int i = 0; i < hosts; i++) {
        tx.addHost(host(String.format("big%03d", i)).withVar("payload", "x".repeat(100_000)));
      }
    });
    return Files.size(file);
  }

  /** By default the number of records never starts a compaction: 10,050 small ones do not. */
  @Test
  void byDefaultTheNumberOfRecordsDoesNotStartACompaction() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      long base = writeBigBase(state, file, 300);
      for (int i = 0; i < 10_050; i++) {
        state.addHost(host("h" + i));
      }
      assertThat(StateCodec.decode(Files.readAllBytes(file), "f", "").metadata().serial()).as("no compaction").isEqualTo(1);
      assertThat(recordsEnd(backend.journalPath())).as("the records stay below a quarter of state.json").isLessThan(base / 4);
      assertThat(reload(file)).isEqualTo(state.snapshot());
    }
  }

  // ------------------------------------------------------------------ torn tails and damage

  /**
   * Ways a crash can leave the end of the journal: a write that never completed, written into the
   * zeros kept ahead (a prefix, a record whose first page never reached the disk, a flipped bit) or
   * appended to a journal written without zeros ahead.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"partial-frame-header", "partial-payload", "later-page-only", "bad-checksum-last",
      "appended-zeros", "appended-partial-payload"})
  void aTornTailIsIgnoredAndClearedByTheNextWrite(String kind) throws Exception {
    Path file = tmp.resolve("state.json");
    Snapshot before;
    Path journal;
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      state.addHost(host("a"));
      state.addHost(host("b"));
      state.addHost(host("c"));
      before = state.snapshot();
      journal = backend.journalPath();
    }
    long validEnd = recordsEnd(journal);
    byte[] frame = JournalCodec.record(new io.infrastate.spi.SaveRequest(
        io.infrastate.spi.VersionToken.of(3, before.metadata().lineage()),
        before.withMetadata(before.metadata().withSerial(4, before.metadata().updatedAt())),
        List.of(new io.infrastate.spi.Change.PutHost(host("torn").withVar("pad", "p".repeat(5000)))),
        AuditEntry.of("torn")), StoredForm.PLAIN);
    byte[] tail;
    switch (kind) {
      case "partial-frame-header": tail = Arrays.copyOf(frame, 7); break;
      case "partial-payload": case "appended-partial-payload": tail = Arrays.copyOf(frame, frame.length - 5); break;
      case "later-page-only":
        tail = frame.clone();
        Arrays.fill(tail, 0, 4096, (byte) 0);
        break;
      case "appended-zeros": tail = new byte[4096]; break;
      default:
        tail = frame.clone();
        tail[tail.length - 3] ^= 0x20;
    }
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(journal, StandardOpenOption.WRITE)) {
      long at = validEnd;
      if (kind.startsWith("appended-")) {
        ch.truncate(validEnd);
      }
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(tail);
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
    }
    JournalCodec.Scan torn = JournalCodec.scan(Files.readAllBytes(journal), 0, false, StoredForm.PLAIN);
    assertThat(torn.damage).isNull();
    assertThat(torn.validEnd).isEqualTo(validEnd);
    assertThat(torn.torn).isEqualTo(!kind.equals("appended-zeros"));

    assertThat(reload(file)).isEqualTo(before);
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      assertThat(state.snapshot()).isEqualTo(before);
      state.addHost(host("d"));
      assertThat(state.hasHost("torn")).isFalse();
      before = state.snapshot();
    }
    JournalCodec.Scan scan = JournalCodec.scan(Files.readAllBytes(journal), 0, false, StoredForm.PLAIN);
    assertThat(scan.torn).isFalse();
    assertThat(scan.damage).isNull();
    assertThat(scan.validEnd).isGreaterThan(validEnd);
    assertThat(zerosAfterRecords(journal)).isPositive();
    assertThat(reload(file)).isEqualTo(before);
  }

  @Test
  void appendsRunningOutOfZerosGrowTheJournalAndKeepZerosAhead() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      state.addHost(host("first"));
      long size = Files.size(backend.journalPath());
      int writes = 0;
      while (Files.size(backend.journalPath()) == size) {
        state.addHost(host("h" + writes).withVar("payload", "x".repeat(2000)));
        writes++;
        assertThat(writes).as("the journal never grew").isLessThan(1000);
      }
      assertThat(Files.size(backend.journalPath()) % 4096).isZero();
      assertThat(zerosAfterRecords(backend.journalPath())).isGreaterThanOrEqualTo(JournalAppender.SPACE_AHEAD);
      state.addHost(host("after"));
      assertThat(reload(file)).isEqualTo(state.snapshot());
    }
  }

  /**
   * A record that ends fewer than a frame header's bytes before the end of the journal grows it
   * too: the next write and {@code loadIfChanged} confirm that nothing was appended from the zeros
   * after the last record, and without them they fell back to reading the whole state (at 100k
   * hosts, a second of parsing inside a write, once every few thousand writes).
   */
  @Test
  void aRecordEndingWithinAFrameHeaderOfTheEndStillLeavesAFrameHeaderOfZeros() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).compactAtBytes(1L << 40).build(); State state = State.load(backend)) {
      state.addHost(host("first"));
      Path journal = backend.journalPath();
      java.util.TreeSet<Integer> landed = new java.util.TreeSet<>();
      long overhead = 200; // the record's bytes besides the payload, learnt from each write
      for (int attempt = 0; landed.size() < JournalCodec.FRAME_HEADER && attempt < 300; attempt++) {
        int target = 0;
        while (landed.contains(target)) {
          target++;
        }
        long end = recordsEnd(journal);
        long size = Files.size(journal);
        int pad = (int) Math.max(0, size - end - target - overhead);
        state.addHost(host("pad").withVar("payload", "x".repeat(pad)));
        long newEnd = recordsEnd(journal);
        overhead = newEnd - end - pad;
        long left = size - newEnd;
        if (left >= 0 && left < JournalCodec.FRAME_HEADER) {
          landed.add((int) left);
          assertThat(zerosAfterRecords(journal)).as("zeros after a record that left %d of them", left)
              .isGreaterThanOrEqualTo(JournalAppender.SPACE_AHEAD);
        }
        assertThat(zerosAfterRecords(journal)).isGreaterThanOrEqualTo(JournalCodec.FRAME_HEADER);
      }
      assertThat(landed).as("records that ended 0..11 bytes before the journal's end").hasSize(JournalCodec.FRAME_HEADER);
      state.addHost(host("after"));
      assertThat(reload(file)).isEqualTo(state.snapshot());
    }
  }

  @Test
  void aDamagedRecordInTheMiddleIsRefusedByEveryLoadAndNeverOverwritten() throws Exception {
    Path file = tmp.resolve("state.json");
    Path journal;
    State writer;
    FileBackend writerBackend = inline(file).build();
    try {
      writer = State.load(writerBackend);
      for (int i = 0; i < 4; i++) {
        writer.addHost(host("h" + i));
      }
      journal = writerBackend.journalPath();
      byte[] bytes = Files.readAllBytes(journal);
      JournalCodec.Scan scan = JournalCodec.scan(bytes, 0, false, StoredForm.PLAIN);
      int end = (int) scan.validEnd;
      // flip a byte inside the third record's payload (a record in the middle)
      long third = scan.entries.get(2).end();
      bytes[(int) third - 20] ^= 0x01;
      Files.write(journal, bytes);
      assertThatThrownBy(() -> reload(file))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining(journal.toString())
          .hasMessageContaining("checksum");
      try (FileBackend other = inline(file).build()) {
        assertThatThrownBy(() -> State.load(other)).isInstanceOf(CorruptStateException.class);
      }
      assertThat(Files.readAllBytes(journal)).isEqualTo(bytes);
      // A handle that already holds every record does not read them again before it appends (see
      // the design notes): its write goes after them, and the damage stays as it was.
      writer.addHost(host("more"));
      assertThat(Arrays.equals(Files.readAllBytes(journal), 0, end, bytes, 0, end)).isTrue();
      assertThatThrownBy(() -> reload(file)).isInstanceOf(CorruptStateException.class).hasMessageContaining("checksum");
    } finally {
      writerBackend.close();
    }
  }

  /** An outside change to a journal that a live writer has written to. */
  private enum OutsideChange {
    /** An older copy renamed over it (a new inode). */
    REPLACED_BY_RENAME,
    /** An older copy written over it in place, as {@code cp} does (the same inode). */
    COPIED_OVER_IN_PLACE,
    /** Cut back to an older length in place. */
    TRUNCATED
  }

  @Test
  void aJournalSetBackToAnOlderVersionFromOutsideStopsTheLiveWriterInsteadOfReusingSerials() throws Exception {
    // Once the directory has not changed for a while, a writer checks the journal without a stat
    // (the generation, the directory's stamp, the bytes around its last record's end); before,
    // with stats. Both ways must see each change, and neither may write versions 3 and 4 again.
    List<Runnable> afterSettling = new ArrayList<>();
    List<AutoCloseable> open = new ArrayList<>();
    try {
      for (boolean settled : new boolean[] {false, true}) {
        for (OutsideChange change : OutsideChange.values()) {
          Path dir = Files.createDirectories(tmp.resolve(change + "-" + settled));
          Path file = dir.resolve("state.json");
          FileBackend backend = inline(file).build();
          State state = State.load(backend);
          open.add(state);
          open.add(backend);
          state.addHost(host("a"));
          Runnable rest = () -> {
            try {
              state.addHost(host("b"));
              Path journal = backend.journalPath();
              byte[] older = Files.readAllBytes(journal);
              long olderEnd = recordsEnd(journal);
              state.addHost(host("c"));
              state.addHost(host("d"));
              switch (change) {
                case REPLACED_BY_RENAME:
                  Path copy = tmp.resolve("copy-" + change + "-" + settled);
                  Files.write(copy, older);
                  Files.move(copy, journal, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                  break;
                case COPIED_OVER_IN_PLACE:
                  Files.write(journal, older);
                  break;
                case TRUNCATED:
                  try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(journal, StandardOpenOption.WRITE)) {
                    ch.truncate(olderEnd);
                  }
                  break;
                default:
                  throw new AssertionError(change);
              }
              byte[] changed = Files.readAllBytes(journal);
              assertThatThrownBy(() -> state.addHost(host("after")))
                  .as("%s, directory settled: %s", change, settled)
                  .isInstanceOf(CorruptStateException.class)
                  .hasMessageContaining("holds version 2, but version 4 of the same state was written");
              assertThatThrownBy(() -> reload(file)).isInstanceOf(CorruptStateException.class);
              assertThat(Files.readAllBytes(journal)).isEqualTo(changed);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          };
          if (settled) {
            afterSettling.add(rest);
          } else {
            rest.run();
          }
        }
      }
      awaitUnchangedFor(tmp, Duration.ofMillis(2500));
      afterSettling.forEach(Runnable::run);
    } finally {
      for (AutoCloseable c : open) {
        c.close();
      }
    }
  }

  @Test
  void aSecondHandleWritingInBetweenIsSeenOnceTheDirectoryHasSettled() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend b1 = inline(file).build();
        State s1 = State.load(b1);
        FileBackend b2 = inline(file).build()) {
      s1.addHost(host("a"));
      try (State s2 = State.load(b2)) {
        awaitUnchangedFor(tmp, Duration.ofMillis(2500));
        for (int i = 0; i < 20; i++) {
          s1.addHost(host("one" + i));
          s2.addHost(host("two" + i));
        }
        // each write went on top of the other handle's: none lost, none refused
        assertThat(s2.allHosts()).hasSize(41);
        assertThat(reload(file)).isEqualTo(s2.snapshot());
        assertThat(s2.metadata().serial()).isEqualTo(41);
      }
    }
  }

  @Test
  void aDirectoryStampVouchesOnlyOnceOlderThanATickOfTheFileClock() {
    long now = 1_800_000_000_000_000_000L;
    FileStamp fine = new FileStamp(1L, 4096, now - 30_000_000L, now - 40_000_000L + 7);
    assertThat(Known.settled(fine, now)).as("changed 30 ms ago").isNull();
    assertThat(Known.settled(fine, now + 30_000_000L)).as("changed 60 ms ago").isEqualTo(fine);
    // whole-second times (no fraction stored) must be two seconds old
    FileStamp coarse = new FileStamp(1L, 4096, now - 1_000_000_000L, now - 1_000_000_000L);
    assertThat(Known.settled(coarse, now)).as("whole seconds, 1 s ago").isNull();
    assertThat(Known.settled(coarse, now + 1_500_000_000L)).as("whole seconds, 2.5 s ago").isEqualTo(coarse);
    assertThat(Known.settled(null, now)).isNull();
  }

  /** Waits until nothing in {@code dir} (its entries) has changed for {@code quiet}. */
  private static void awaitUnchangedFor(Path dir, Duration quiet) throws Exception {
    for (Path d : listDirs(dir)) {
      while (true) {
        FileStamp stamp = FileStamp.of(d);
        long newest = Math.max(stamp.mtimeNanos(), stamp.ctimeNanos());
        long left = newest + quiet.toNanos() - System.currentTimeMillis() * 1_000_000L;
        if (left <= 0) {
          break;
        }
        Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }

  private static List<Path> listDirs(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isDirectory).toList();
    }
  }

  @Test
  void anOlderStateJsonUnderANewerJournalIsDamage() throws Exception {
    Path file = tmp.resolve("state.json");
    byte[] old;
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      state.addHost(host("a"));
      old = Files.readAllBytes(file);
      state.addHost(host("b"));
      backend.compact();
      state.addHost(host("c"));
    }
    Files.write(file, old);
    assertThatThrownBy(() -> reload(file))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("older copy");
  }

  @Test
  void aDeletedStateFileWithItsJournalLeftIsLossNotANewState() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      state.addHost(host("a"));
    }
    Files.delete(file);
    assertThatThrownBy(() -> reload(file)).isInstanceOf(CorruptStateException.class).hasMessageContaining("missing");
  }

  @Test
  void aStateFileReplacedFromOutsideSetsTheOldJournalAside() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      state.addHost(host("a"));
      state.addHost(host("b"));
    }
    // a person puts another state in place (say, copied from elsewhere)
    Snapshot other;
    Path elsewhere = Files.createDirectories(tmp.resolve("other")).resolve("state.json");
    try (FileBackend plain = FileBackend.at(elsewhere); State state = State.load(plain)) {
      for (int i = 0; i < 5; i++) {
        state.addHost(host("x" + i));
      }
      other = state.snapshot();
    }
    Files.copy(elsewhere, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      assertThat(state.snapshot()).isEqualTo(other);
      state.addHost(host("y"));
      assertThat(state.metadata().serial()).isEqualTo(6);
      assertThat(state.metadata().lineage()).isEqualTo(other.metadata().lineage());
      try (var files = Files.list(backend.historyPath())) {
        assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("stale-"));
      }
    }
    assertThat(reload(file).allHosts()).extracting(HostState::name).containsExactly("x0", "x1", "x2", "x3", "x4", "y");
  }

  // ------------------------------------------------------------------ history

  @Test
  void historyAndEveryVersionSurviveCompactions() throws Exception {
    Path file = tmp.resolve("state.json");
    Map<Long, Snapshot> written = new HashMap<>();
    try (FileBackend backend = inline(file).compactEvery(5).historyRetention(100).build(); State state = State.load(backend)) {
      for (int i = 1; i <= 23; i++) {
        if (i % 4 == 0) {
          state.removeHost("h" + (i - 2));
        } else {
          state.addHost(host("h" + i), AuditEntry.of("step " + i).withReason("r" + i));
        }
        written.put(state.metadata().serial(), state.snapshot());
      }
      List<VersionInfo> history = state.history();
      assertThat(history).extracting(VersionInfo::serial).containsExactlyElementsOf(
          java.util.stream.LongStream.rangeClosed(1, 23).map(s -> 24 - s).boxed().toList());
      assertThat(history.get(0).operation()).isEqualTo("step 23");
      assertThat(history.get(0).reason()).isEqualTo("r23");
      for (Map.Entry<Long, Snapshot> e : written.entrySet()) {
        assertThat(backend.at(e.getKey()).map(StoredState::snapshot)).as("version %d", e.getKey()).contains(e.getValue());
      }
      assertThat(backend.at(24)).isEmpty();
    }
  }

  @Test
  void historyIsPrunedToTheRetention() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = inline(file).compactEvery(3).historyRetention(4).build(); State state = State.load(backend)) {
      for (int i = 1; i <= 40; i++) {
        state.addHost(host("h" + i));
      }
      List<VersionInfo> history = state.history();
      assertThat(history).extracting(VersionInfo::serial).startsWith(40L, 39L, 38L, 37L);
      assertThat(history.size()).isLessThan(12);
      assertThat(backend.at(36)).isPresent();
      assertThat(backend.at(2)).isEmpty();
      try (var files = Files.list(backend.historyPath())) {
        List<Path> kept = files.sorted().toList();
        assertThat(kept.size()).as("%s", kept).isLessThan(8);
      }
    }
  }

  // ------------------------------------------------------------------ content and readers

  @Test
  void everyKindOfValueAndChangeSurvivesTheJournal() throws Exception {
    Path file = tmp.resolve("state.json");
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("list", Arrays.asList(1, 2L << 40, new BigInteger("123456789012345678901234567890"), 2.5, -0.0, null, true, "s"));
    nested.put("deep", Map.of("a", Map.of("b", List.of(Map.of("c", "\u00e9\u4e2d\n\t\"")))));
    nested.put("empty", Map.of());
    try (FileBackend backend = inline(file).build(); State state = State.load(backend)) {
      state.addHost(host("web01"));
      state.addHost(HostState.builder("web02").address("::1").port(65535).user("").group("g").vars(nested).build());
      state.addResource("linode:1", ResourceState.builder("linode", "1").name("web01").data(nested).tag("env", "prod").build());
      state.addResource("linode:2", ResourceState.builder("linode", "2").build());
      state.removeResource("linode:2");
      state.removeHost("web01");
      assertThat(reload(file)).isEqualTo(state.snapshot());
      Snapshot replaced = state.snapshot();
      state.rollback(1, AuditEntry.DEFAULT);
      assertThat(reload(file)).isEqualTo(state.snapshot());
      state.replace(replaced, AuditEntry.of("put it back"));
      assertThat(reload(file)).isEqualTo(state.snapshot());
      assertThat(reload(file).hosts()).isEqualTo(replaced.hosts());
    }
  }

  @Test
  void randomWritesCompactionsAndReopensAlwaysReloadToWhatWasWritten() throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      Random random = new Random(seed);
      Path file = Files.createDirectories(tmp.resolve("model-" + seed)).resolve("state.json");
      FileBackend backend = inline(file).compactEvery(1 + random.nextInt(8)).build();
      State state = State.load(backend);
      try {
        for (int step = 0; step < 150; step++) {
          int op = random.nextInt(10);
          String name = "h" + random.nextInt(30);
          if (op < 4) {
            state.addHost(host(name).withVar("v", random.nextInt(1000)));
          } else if (op < 6) {
            state.removeHost(name);
          } else if (op < 8) {
            state.update(tx -> {
              for (int i = 0; i < 3; i++) {
                tx.addResource("r" + random.nextInt(20), ResourceState.builder("t", "i" + i).data("x", random.nextDouble()).build());
              }
              tx.removeResource("r" + random.nextInt(20));
            });
          } else if (op == 8) {
            backend.compact();
          } else {
            state.close();
            backend.close();
            backend = inline(file).compactEvery(1 + random.nextInt(8)).build();
            state = State.load(backend);
          }
          if (state.metadata().serial() == 0) {
            try (FileBackend b = inline(file).build()) {
              assertThat(b.load()).isEmpty();
            }
          } else {
            assertThat(reload(file)).as("seed %d step %d", seed, step).isEqualTo(state.snapshot());
          }
        }
      } finally {
        state.close();
        backend.close();
      }
    }
  }

  @Test
  void lockFreeReadersNeverSeeAHalfWrittenVersionWhileWritesAndCompactionsRun() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend writerBackend = FileBackend.builder(file).journal(true).compactEvery(15).build();
        FileBackend readerBackend = FileBackend.builder(file).journal(true).build()) {
      State writer = State.load(writerBackend, StateOptions.builder().retryBackoff(Duration.ofMillis(1)).build());
      writer.addResource("counter", ResourceState.builder("counter", "c").data("value", 1).build());
      AtomicBoolean done = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicInteger reads = new AtomicInteger();
      CountDownLatch started = new CountDownLatch(1);
      Thread reader = new Thread(() -> {
        started.countDown();
        long lastSerial = 0;
        try {
          while (!done.get()) {
            Snapshot s = readerBackend.load().orElseThrow().snapshot();
            long serial = s.metadata().serial();
            // every version v holds counter == v and hosts h1..h(v-1): a mix would break this
            assertThat(s.getResource("counter").orElseThrow().data().get("value")).isEqualTo((int) serial);
            assertThat(s.hosts()).hasSize((int) serial - 1);
            assertThat(serial).isGreaterThanOrEqualTo(lastSerial);
            lastSerial = serial;
            reads.incrementAndGet();
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      reader.start();
      started.await();
      for (int i = 2; i <= 200; i++) {
        int v = i;
        writer.update(tx -> {
          tx.addResource("counter", ResourceState.builder("counter", "c").data("value", v).build());
          tx.addHost(host("h" + (v - 1)));
        });
      }
      done.set(true);
      reader.join();
      assertThat(failure.get()).isNull();
      assertThat(reads.get()).isPositive();
      writer.close();
    }
  }

  @Test
  void twoBackendsInOneProcessAppendAndCompactWithoutLosingWrites() throws Exception {
    Path file = tmp.resolve("state.json");
    int threads = 4;
    int writes = 40;
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<AutoCloseable> open = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        FileBackend b = FileBackend.builder(file).journal(true).compactEvery(7).backgroundCompaction(t % 2 == 0).build();
        State s = State.load(b);
        open.add(b);
        open.add(s);
        int id = t;
        workers.add(new Thread(() -> {
          try {
            for (int i = 0; i < writes; i++) {
              s.addHost(host("t" + id + "-" + i));
            }
          } catch (Throwable e) {
            failure.set(e);
          }
        }));
      }
      workers.forEach(Thread::start);
      for (Thread w : workers) {
        w.join();
      }
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
    }
    assertThat(failure.get()).isNull();
    Snapshot s = reload(file);
    assertThat(s.hosts()).hasSize(threads * writes);
    assertThat(s.metadata().serial()).isEqualTo(threads * writes);
  }
}
