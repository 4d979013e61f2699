package io.infrastate.file;

import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.StoredState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Journal mode's write path: creates a state (state.json whole and a journal holding the creation
 * record) and appends one record per later version. Called under the write lock, after {@link
 * JournalStore} has checked the expected version.
 *
 * <h2>An append</h2>
 *
 * If non-zero bytes follow the last valid record (a torn tail of a writer that crashed mid-append:
 * it never returned Saved), they are overwritten with zeros and synced first. When fewer than a
 * frame header of zeros would be left after the record, {@value #SPACE_AHEAD} bytes of fresh zeros
 * are written at the end first: at least a frame header of zeros always follows the last record,
 * which is what the next write and loadIfChanged read to see that nothing was appended. Then the
 * record is written where the zeros start with one positional write (this publishes it: a complete
 * record with a valid checksum is a version for every reader), the sidecar's generation is bumped
 * and the journal is synced with force(false) (fdatasync). No stat of the journal follows (see
 * {@link JournalReader}).
 *
 * <h2>An error is the truth</h2>
 *
 * Everything that can fail for want of space (the zeros ahead, which allocate the blocks the record
 * then overwrites; the temporary files of a creation) comes before the step that publishes, and an
 * error there reports that nothing was stored: fresh zeros after the last record, or a torn tail,
 * are not a version. After it, failures are logged as warnings and the save reports success: the
 * record is already visible to every reader, so withdrawing it would be a lie of its own.
 *
 * <h2>Creation</h2>
 *
 * Creating the state writes state.json and the journal as fsynced temporary files; renaming
 * state.json into place publishes the state, then the journal follows (with an fsync of the
 * directory between). Each new journal is also hard-linked into the history as {@code
 * <base>.journal}, so that a journal deleted from outside leaves its records there, and the base
 * as {@code <base>.json}, recorded in the sidecar with its hash ({@link #keepBase}).
 */
final class JournalAppender {
  /** Holds the logger, created on first use: a run that logs nothing never starts SLF4J. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(FileBackend.class);
  }

  private final JournalStore store;
  private final StateParts parts;
  private final Sidecar sidecar;
  private final JournalChannel channel;

  JournalAppender(JournalStore store) {
    this.store = store;
    this.parts = store.parts;
    this.sidecar = store.sidecar;
    this.channel = store.channel;
  }

  /**
   * Creates the state: state.json whole, then a journal holding the creation record. Both are
   * written to temporary files first; the rename of state.json publishes the state, and failures
   * after it are warnings.
   */
  Known create(SaveRequest request) throws IOException {
    store.removeStaleTemps();
    Snapshot next = request.snapshot();
    Metadata m = next.metadata();
    EncodedState encoded = EncodedState.of(next, parts.form);
    StateFiles.checkWriteSize(parts.file, encoded.size(), parts.maxSize);
    // The creation record is for the history only (state.json holds the content): no changes.
    byte[] header = JournalCodec.header(m.serial() == 0 ? 0 : m.serial() - 1, m.lineage());
    byte[] audit = m.serial() == 0
        ? new byte[0]
        : JournalCodec.record(new SaveRequest(request.expected(), next, List.of(), request.audit()), parts.form);
    byte[] journalBytes = withSpaceAhead(header, audit);
    Path tmp = DurableFiles.writeTemp(parts.dir, "." + parts.name + ".", encoded);
    Path journalTmp = null;
    try {
      journalTmp = DurableFiles.writeTemp(parts.dir, "." + parts.name + ".", journalBytes);
      store.faults.at(SaveFaults.Step.BEFORE_PUBLISH);
      Files.move(tmp, parts.file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      DurableFiles.deleteQuietly(tmp);
      DurableFiles.deleteQuietly(journalTmp);
      throw e;
    }
    try {
      store.faults.at(SaveFaults.Step.AFTER_PUBLISH);
      DurableFiles.fsyncDirectory(parts.dir);
      DurableFiles.moveInto(journalTmp, parts.journal);
      DurableFiles.fsyncDirectory(parts.dir);
      keepInHistory(m.serial());
      keepBase(m.serial(), m.lineage(), encoded);
      long gen = sidecar.generation() + 1;
      sidecar.setGeneration(gen, m.serial(), m.lineage());
      FileStamp s = FileStamp.of(parts.file);
      FileStamp j = FileStamp.of(parts.journal);
      long end = header.length + audit.length;
      JournalVersion token = new JournalVersion(m.serial(), m.lineage(), s, j, end);
      return new Known(new StoredState(next, token), m.serial(), 0, m.serial(), j.size(), end, false).seen(gen, null).withTail(journalBytes, 0, null);
    } catch (IOException | RuntimeException e) {
      DurableFiles.deleteQuietly(journalTmp);
      Log.LOG.warn("State {} is created (version {}), but its journal could not be set up: {}; the next write starts one", parts.file, m.serial(), e.toString());
      // A token without stamps: the next read of this instance reads the files again.
      JournalVersion token = new JournalVersion(m.serial(), m.lineage(), null, null, 0);
      return new Known(new StoredState(next, token), m.serial(), 0, -1, 0, 0, false);
    }
  }

  /** Appends one record; the caller holds the lock and has checked the expected version. */
  Known append(Known disk, Snapshot next, byte[] record) throws IOException {
    store.removeStaleTemps();
    JournalVersion t = disk.token();
    FileStamp journalStamp = t.journal();
    Object key = t.journalKey();
    long end = t.end();
    long size = disk.journalSize;
    long dirty = Math.max(end, disk.dirtyEnd);
    FileStamp quietDir = disk.quietDir;
    if (key == null || end == 0 || disk.stale || disk.journalLast != disk.serial()) {
      // No journal yet, or one that does not continue state.json: start one on the base.
      setAside(disk);
      byte[] header = JournalCodec.header(disk.serial(), disk.lineage());
      byte[] bytes = withSpaceAhead(header);
      DurableFiles.moveInto(DurableFiles.writeTemp(parts.dir, "." + parts.name + ".", bytes), parts.journal);
      DurableFiles.fsyncDirectory(parts.dir);
      keepInHistory(disk.serial());
      journalStamp = FileStamp.of(parts.journal);
      key = journalStamp.key();
      quietDir = null;
      end = header.length;
      size = bytes.length;
      dirty = end;
    }
    FileChannel ch = channel.open(key);
    if (dirty > end) {
      // Zeros replace the torn bytes, durably, before anything is written after them: a record
      // followed by a torn one's leftovers would read as damage.
      Log.LOG.info("Clearing {} bytes of a torn record at the end of {} (a writer crashed before it returned)", dirty - end, parts.journal);
      for (long at = end; at < dirty; ) {
        at += writeFully(ch, ByteBuffer.allocate((int) Math.min(SPACE_AHEAD, dirty - at)), at);
      }
      ch.force(false);
    }
    long recordEnd = end + record.length;
    // what a load reads: the base and the journal's records (compaction folds them into one file)
    StateFiles.checkWriteSize(parts.file + " with its journal", t.base().size() + recordEnd, parts.maxSize);
    if (recordEnd + JournalCodec.FRAME_HEADER > size) {
      // Out of space: fresh zeros at the end, written before the record (which then overwrites
      // blocks already allocated), so that a full disk fails here, with nothing published; the
      // sync after the record makes them durable with it. At least a frame header of zeros always
      // follows the last record: that is how the next write (and loadIfChanged) sees, from those
      // bytes alone, that nothing was appended since.
      long grown = roundUp(recordEnd + SPACE_AHEAD);
      long from = Math.max(size, end);
      writeFully(ch, ByteBuffer.allocate(Math.toIntExact(grown - from)), from);
      size = grown;
    }
    store.faults.at(SaveFaults.Step.BEFORE_PUBLISH);
    DurableFiles.writeAll(ch, record, end);
    // Published: from here on, a failure is a warning (see the class comment).
    long gen = disk.generation + 1; // readDisk read it under this lock, at the start of this save
    Metadata m = next.metadata();
    try {
      store.faults.at(SaveFaults.Step.AFTER_PUBLISH);
      // The generation goes before the sync, which changes nothing others see (the same write is
      // dearer right after a sync). No stat of the journal: see JournalReader.
      sidecar.setGeneration(gen, m.serial(), m.lineage());
      ch.force(false);
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Version {} of {} is stored in {}, but a step after writing its record failed: {}",
          next.metadata().serial(), parts.file, parts.journal, e.toString());
    }
    JournalVersion token = new JournalVersion(m.serial(), m.lineage(), t.base(), journalStamp, recordEnd);
    return new Known(new StoredState(next, token), disk.baseSerial, disk.records + 1, m.serial(), size, recordEnd, false)
        .seen(gen, quietDir)
        .withTail(record, end, null);
  }

  /**
   * Zeros kept ahead of the last record. An append then overwrites blocks that are allocated and
   * written, so its fdatasync flushes the data alone; an append that grew the file would also
   * commit its new size to the file system's journal.
   */
  static final int SPACE_AHEAD = 64 * 1024;

  /** Journal content (its parts, in order) followed by {@link #SPACE_AHEAD} zeros, up to a whole 4 KiB page. */
  static byte[] withSpaceAhead(byte[]... parts) {
    long length = 0;
    for (byte[] p : parts) {
      length += p.length;
    }
    byte[] out = new byte[Math.toIntExact(roundUp(length + SPACE_AHEAD))];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  private static long roundUp(long n) {
    return (n + 4095) & ~4095L;
  }

  private static int writeFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    int n = buf.remaining();
    long pos = at;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
    return n;
  }

  /**
   * Links a new journal into the history as {@code <base>.journal}: one file under two names, so
   * that appends show in both and a journal deleted or replaced from outside leaves its records
   * there (a load then stops, naming the copy). It counts as a segment of the history once the
   * compaction that ends it links its base beside it.
   */
  void keepInHistory(long base) throws IOException {
    if (store.retention > 0) {
      StateParts.sidecarDirectory(parts.historyDir);
      DurableFiles.linkReplacing(parts.journal, HistoryFiles.file(parts.historyDir, base, ".journal"));
      DurableFiles.fsyncDirectory(parts.historyDir);
    }
  }

  /**
   * Links the base just written into the history under its serial (so that its versions stay
   * readable if state.json is replaced from outside) and records it in the sidecar, stamped after
   * the link (which changes its times), so that a replacement is told apart ({@link ExternalEdits}).
   */
  void keepBase(long serial, String lineage, EncodedState bytes) throws IOException {
    if (store.retention > 0) {
      StateParts.sidecarDirectory(parts.historyDir);
      DurableFiles.linkReplacing(parts.file, HistoryFiles.file(parts.historyDir, serial, ".json"));
      DurableFiles.fsyncDirectory(parts.historyDir);
    }
    sidecar.setBase(ExternalEdits.base(serial, lineage, FileStamp.of(parts.file), bytes));
  }

  /** Keeps a journal that no longer continues state.json in the history, named by its header. */
  private void setAside(Known disk) throws IOException {
    if (!disk.stale || disk.journalSize == 0 || !Files.exists(parts.journal, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Log.LOG.warn("Journal {} does not continue {} (replaced from outside); keeping it in {} and starting a new one", parts.journal, parts.file, parts.historyDir);
    if (store.retention > 0) {
      StateParts.sidecarDirectory(parts.historyDir);
      DurableFiles.linkReplacing(parts.journal, parts.historyDir.resolve("stale-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".journal"));
    }
  }
}
