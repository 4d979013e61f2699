package io.infrastate.file;

import io.infrastate.spi.StoredState;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Journal mode's compaction: folds the journal back into a plain {@code state.json} once it has
 * grown, on a background thread (or inline, in the write that crosses the threshold).
 *
 * <h2>When</h2>
 *
 * When the journal holds a quarter of state.json's bytes (at least 1 MiB), or what {@code
 * compactAtBytes} / {@code compactEvery} set: each record then pays a constant share of the
 * whole-state write that folds it in, at any size of the state.
 *
 * <h2>How it stays correct</h2>
 *
 * Encode the latest known version (serial s) and write it to a temporary file with fsync, outside
 * the write lock (the whole-state cost, paid off the write path); an OS lock on that file tells
 * cleaners in other processes that its writer lives. Then, under the write lock, if state.json and
 * the journal are still those the version was read from: link the old base and journal into the
 * history, link the old base as the backup, rename the temporary file over state.json and fsync
 * the directory (now state.json = s; the old journal's records up to s are skipped), then write a
 * new journal = header(s) + the records appended after s meanwhile, fsync it, rename it over the
 * journal, fsync the directory. A crash at any step leaves a pair (state.json, journal) that loads
 * as the same latest version. The lock is held for two renames, a copy of the few newest records
 * and three syncs.
 *
 * <h2>Failures</h2>
 *
 * A compaction that fails is logged and retried after {@code COMPACTION_RETRY_NANOS}: the writes
 * it would have folded are stored in the journal already.
 */
final class Compaction {
  /** Holds the logger, created on first use: a run that logs nothing never starts SLF4J. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(FileBackend.class);
  }

  private static final long MIN_COMPACT_BYTES = 1 << 20;
  static final int MAX_COMPACT_RECORDS = 100_000_000;
  private static final long COMPACTION_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final JournalStore store;
  private final JournalReader reader;
  private final JournalAppender appender;
  private final StateParts parts;
  private final Sidecar sidecar;
  private final int compactRecords;
  private final long compactBytes;
  /** The background thread; null when compaction runs inline. */
  private final ExecutorService compactor;
  private final AtomicBoolean compactionPending = new AtomicBoolean();
  private volatile long compactionRetryAt;

  Compaction(JournalStore store, JournalReader reader, JournalAppender appender, int compactRecords, long compactBytes, boolean background) {
    this.store = store;
    this.reader = reader;
    this.appender = appender;
    this.parts = store.parts;
    this.sidecar = store.sidecar;
    this.compactRecords = compactRecords;
    this.compactBytes = compactBytes;
    this.compactor = background
        ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "infrastate-compactor-" + parts.name);
            t.setDaemon(true);
            return t;
          })
        : null;
  }

  /**
   * After a write, under the write lock: compacts inline if compaction does not run in the
   * background and the journal has grown. A failure is a warning: the write is stored.
   *
   * @return the latest version, as the compaction left it or as given
   */
  Known inlineAfterWrite(Known after) {
    if (compactor != null || !needsCompaction(after)) {
      return after;
    }
    try {
      return compactLocked(after);
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Could not compact the journal of {}; the write is stored, compaction is retried later", parts.file, e);
      compactionRetryAt = System.nanoTime() + COMPACTION_RETRY_NANOS;
      return after;
    }
  }

  /** After a write, without the lock: starts a background compaction if the journal has grown. */
  void scheduleAfterWrite(Known after) {
    if (compactor != null && needsCompaction(after) && compactionPending.compareAndSet(false, true)) {
      try {
        compactor.execute(this::compactInBackground);
      } catch (RejectedExecutionException e) {
        compactionPending.set(false);
      }
    }
  }

  /** Waits for a running compaction (at most a minute); later ones are refused. */
  void shutdown() {
    if (compactor == null) {
      return;
    }
    compactor.shutdown();
    try {
      if (!compactor.awaitTermination(1, TimeUnit.MINUTES)) {
        Log.LOG.warn("A compaction of {} is still running after a minute; closing anyway", parts.file);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Folds the journal into state.json now, on the calling thread (see {@link FileBackend#compact()}). */
  void compact() {
    try (Sidecar.Held held = sidecar.lock()) {
      Known disk = reader.readDisk(store.known(), true);
      if (disk.state == null || disk.external != null || (disk.records == 0 && !disk.stale && disk.token().end() > 0)) {
        return; // nothing to fold in; an edit from outside is recorded by the next write, not folded in
      }
      store.remember(disk);
      compactLocked(disk);
    } catch (IOException e) {
      throw store.io("compact", e);
    }
  }

  boolean needsCompaction(Known k) {
    if (k.records == 0 || System.nanoTime() - compactionRetryAt < 0) {
      return false;
    }
    return k.records >= compactRecords || k.token().end() >= compactionBytes(compactBytes, k.token().base().size());
  }

  /**
   * How many journal bytes start a compaction: {@code configured} if set, else a quarter of
   * state.json's size and at least 1 MiB. Proportional to the state, so that each record pays a
   * constant share of the whole-state write that folds it in (about four times its own bytes), at
   * any size; and a load parses about a quarter more bytes than state.json's at most (plus what
   * was appended while a background compaction ran).
   */
  static long compactionBytes(long configured, long baseSize) {
    return configured > 0 ? configured : Math.max(MIN_COMPACT_BYTES, baseSize / 4);
  }

  Known compactLocked(Known disk) throws IOException {
    store.removeStaleTemps();
    EncodedState encoded = EncodedState.of(disk.state.snapshot(), parts.form);
    StateFiles.checkWriteSize(parts.file, encoded.size(), parts.maxSize);
    Path tmp = DurableFiles.writeTemp(parts.dir, "." + parts.name + ".", encoded);
    try {
      return install(tmp, disk, disk, encoded);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private void compactInBackground() {
    Path tmp = null;
    try {
      Known k = store.known();
      if (store.closed || k == null || k.state == null || !needsCompaction(k)) {
        return;
      }
      EncodedState bytes = EncodedState.of(k.state.snapshot(), parts.form);
      StateFiles.checkWriteSize(parts.file, bytes.size(), parts.maxSize);
      tmp = Files.createTempFile(parts.dir, "." + parts.name + ".compact.", ".tmp", DurableFiles.OWNER_ONLY);
      // The OS lock on the temporary file tells cleaners in other processes that its writer lives.
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
          FileLock alive = ch.lock();
          Sidecar.Held held = lockAfterWriting(ch, bytes)) {
        if (store.closed) {
          return;
        }
        Known disk = reader.readDisk(store.known(), true);
        store.remember(disk);
        JournalVersion dt = disk.state == null ? null : disk.token();
        JournalVersion kt = k.token();
        if (dt == null || disk.stale || disk.external != null || k.external != null || !dt.base().equals(kt.base()) || !Objects.equals(dt.journalKey(), kt.journalKey())
            || dt.end() < kt.end() || disk.serial() < k.serial()) {
          Log.LOG.debug("Skipping compaction of {}: another process compacted or replaced it meanwhile", parts.file);
          return;
        }
        install(tmp, k, disk, bytes);
      }
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Could not compact the journal of {}; writes are unaffected, compaction is retried later", parts.file, e);
      compactionRetryAt = System.nanoTime() + COMPACTION_RETRY_NANOS;
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          Log.LOG.debug("Could not remove {}", tmp, e);
        }
      }
      compactionPending.set(false);
    }
  }

  private Sidecar.Held lockAfterWriting(FileChannel ch, EncodedState bytes) throws IOException {
    bytes.writeTo(ch);
    ch.force(true);
    return store.sidecar.lock();
  }

  /**
   * Installs {@code tmp} (the encoding of {@code encoded}, already fsynced) as state.json and
   * starts a journal holding the records {@code disk} has after it. Under the lock; {@code disk}
   * is in the same base and journal as {@code encoded}, at the same or a later serial.
   */
  private Known install(Path tmp, Known encoded, Known disk, EncodedState bytes) throws IOException {
    long s = encoded.serial();
    JournalVersion et = encoded.token();
    JournalVersion dt = disk.token();
    byte[] tail = dt.end() > et.end() ? StateFiles.readRange(parts.journal, et.end(), dt.end()) : new byte[0];
    if (tail == null) {
      throw new IOException("journal " + parts.journal + " vanished during compaction");
    }
    boolean hasJournal = Files.exists(parts.journal, LinkOption.NOFOLLOW_LINKS);
    if (store.retention > 0) {
      StateParts.sidecarDirectory(parts.historyDir);
      DurableFiles.linkReplacing(parts.file, HistoryFiles.file(parts.historyDir, disk.baseSerial, ".json"));
      if (hasJournal && !disk.stale) {
        DurableFiles.linkReplacing(parts.journal, HistoryFiles.file(parts.historyDir, disk.baseSerial, ".journal"));
      }
      DurableFiles.fsyncDirectory(parts.historyDir);
    }
    DurableFiles.linkReplacing(parts.file, parts.backup);
    DurableFiles.moveInto(tmp, parts.file);
    DurableFiles.fsyncDirectory(parts.dir);
    byte[] header = JournalCodec.header(s, encoded.lineage());
    byte[] journalBytes = JournalAppender.withSpaceAhead(header, tail);
    DurableFiles.moveInto(DurableFiles.writeTemp(parts.dir, "." + parts.name + ".", journalBytes), parts.journal);
    DurableFiles.fsyncDirectory(parts.dir);
    appender.keepInHistory(s);
    store.channel.close();
    long gen = store.sidecar.bumpGeneration();
    if (store.retention > 0) {
      prune(disk.serial(), s);
    }
    appender.keepBase(s, encoded.lineage(), bytes);
    FileStamp stamp = FileStamp.of(parts.file);
    FileStamp j = FileStamp.of(parts.journal);
    JournalVersion token = new JournalVersion(disk.serial(), disk.lineage(), stamp, j, header.length + tail.length);
    Known installed = new Known(new StoredState(disk.state.snapshot(), token), s, (int) (disk.serial() - s), disk.serial(), j.size(),
        header.length + tail.length, false).seen(gen, null).withTail(journalBytes, 0, null);
    store.known(installed);
    Log.LOG.debug("Compacted {} at version {} ({} records carried over)", parts.file, s, installed.records);
    return installed;
  }

  /** Removes archived segments that hold no version among the newest {@code retention}. */
  private void prune(long newest, long currentBase) throws IOException {
    List<Long> bases = HistoryFiles.serials(parts.historyDir, ".json");
    bases.sort(Comparator.naturalOrder());
    for (int i = 0; i < bases.size(); i++) {
      long upper = i + 1 < bases.size() ? bases.get(i + 1) : currentBase;
      if (upper <= newest - store.retention) {
        Files.deleteIfExists(HistoryFiles.file(parts.historyDir, bases.get(i), ".journal"));
        Files.deleteIfExists(HistoryFiles.file(parts.historyDir, bases.get(i), ".json"));
      }
    }
  }

  /** Whether a compaction temp is still held by its writer (written outside the write lock). */
  static boolean compactorAlive(Path p) {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      FileLock lock = ch.tryLock();
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return true;
    }
  }
}
