package io.infrastate.s3;

import io.infrastate.model.BackendException;
import io.infrastate.model.Snapshot;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The objects derived from the log: checkpoints and the readable copy, written after a commit or a
 * load by the backend's {@link DerivedWriter}, off the caller's path; and pruning.
 *
 * <p>Thread-safe.
 */
final class DerivedObjects {
  /*
   * Design notes.
   *
   * AFTER THE COMMIT, OFF THE CALLER'S PATH. Checkpoints (created with If-None-Match, named by the
   * serial they hold) and the readable copy at the user's key (plain PUT, tagged with the serial in
   * user metadata x-amz-meta-infrastate-serial) are derived from the log and queued only after the
   * commit succeeded: one background thread, jobs in submission order, a copy-only job replaced by
   * a newer one while it waits, close() waiting for them up to closeTimeout. A failure there does not fail the write
   * (it is durable) and is logged at WARN. When a checkpoint is due is CheckpointTally's rule.
   *
   * TORN SEQUENCES. A writer that dies (or exits without close) between the commit and these steps
   * leaves log/N without its checkpoint or with a stale copy. Loading never depends on them: it uses
   * the newest checkpoint that exists and replays a longer tail. The next full load repairs both,
   * in the background too: it queues a checkpoint of the loaded version when its listed tail is long
   * enough and rewrites a copy whose serial (of the same lineage) is behind the loaded version
   * (small states) or the newest checkpoint (large ones). Concurrent writers may finish their copy
   * PUTs out of order, so the copy can lag by a version or two until the next write or load; it
   * never shows an uncommitted version. A copy without the tag at the user's key while a log exists
   * was written by another tool: it is never overwritten (copies are written with If-Match on the
   * copy this backend last wrote or saw; CopyEdits).
   *
   * COST. A job encodes its version's state.json once, when first needed, for both the checkpoint
   * and the copy (Encoding), through StoredForms: entries unchanged since the previous encoding are
   * copied from it, into pooled chunks sent as they are and given back when the job ends
   * (ObjectBody). So a checkpoint after k changes encodes k entries, and allocates nothing in
   * proportion to the state that young collections would have to copy while the caller writes.
   *
   * PRUNING (optional, off by default: history is never rewritten unless asked). With
   * retainCheckpoints(R), after creating a checkpoint the writer deletes checkpoints older than the
   * R newest and log records older than the oldest kept checkpoint. A loader that listed an older
   * checkpoint and then finds its records gone retries its load from the top (LogReader.Vanished).
   */
  private static final Logger LOG = LoggerFactory.getLogger(DerivedObjects.class);

  private final LogLayout layout;
  private final S3Store store;
  private final StoredForms forms;
  private final CheckpointTally tally;
  private final CopyEdits copyEdits;
  private final long readableCopyMaxBytes;
  private final int retainCheckpoints;
  private final DerivedWriter writer;
  private final AtomicBoolean warnedForeignCopy = new AtomicBoolean();
  /** The newest readable copy this backend wrote (touched by the derived writer's thread only). */
  private VersionKey lastCopy;

  DerivedObjects(LogLayout layout, StoredForms forms, CheckpointTally tally, CopyEdits copyEdits,
      long readableCopyMaxBytes, int retainCheckpoints) {
    this.layout = layout;
    this.store = layout.store();
    this.forms = forms;
    this.tally = tally;
    this.copyEdits = copyEdits;
    this.readableCopyMaxBytes = readableCopyMaxBytes;
    this.retainCheckpoints = retainCheckpoints;
    this.writer = new DerivedWriter(layout.location());
  }

  /**
   * Queues what a committed version owes: its readable copy while the state is small, and a
   * checkpoint once the log since the newest checkpoint is long enough.
   */
  void afterCommit(Snapshot next, LogRecord.Encoded enc) {
    if (enc.record().kind() == LogRecord.Kind.DELTA) {
      tally.grow(enc.bytes().length);
    }
    boolean due = tally.count(next.metadata().serial(), enc.bytes().length);
    if (due || tally.stateBytes() < 0 || isSmall()) {
      writer.submit(new Derive(next, due, false));
    }
  }

  /** Queues a checkpoint of a version refreshed to, if the records replayed ({@code tail}) made one due. */
  void afterRefresh(Snapshot latest, List<LogLayout.Numbered> tail) {
    boolean due = false;
    for (LogLayout.Numbered n : tail) {
      due |= tally.count(n.serial(), n.size());
    }
    if (due) {
      writer.submit(new Derive(latest, true, false));
    }
  }

  /**
   * Queues the repairs a full load may owe: a checkpoint a dead writer owed (its listed tail after
   * the newest checkpoint is long enough) and a readable copy behind.
   */
  void afterLoad(Snapshot loaded, List<LogLayout.Numbered> tail) {
    boolean due = tally.restart(loaded.metadata().serial(), tail);
    writer.submit(new Derive(loaded, due, true));
  }

  /**
   * Queues the replacement of a damaged checkpoint by its version rebuilt from the log: a PUT with
   * If-Match on the damaged object's ETag, so that only that object is replaced (a checkpoint
   * another process repaired meanwhile stays).
   *
   * @param version rebuilds the version of {@code serial} (in the background)
   */
  void replaceCheckpoint(long serial, String etag, Supplier<Snapshot> version) {
    writer.submit(new DerivedWriter.Job() {
      @Override
      public boolean coalescible() {
        return false;
      }

      @Override
      public void run() {
        Snapshot s = version.get();
        String k = layout.checkpointKey(serial);
        ObjectBody bytes = stateJson(s);
        try {
          if (store.putIfMatch(k, forms.checkpoint(s, bytes), Map.of(), etag).isPresent()) {
            LOG.info("Replaced the damaged checkpoint {} of {} by its version rebuilt from the log", serial,
                layout.location());
          }
        } finally {
          bytes.release();
        }
      }
    });
  }

  /** Waits until every job queued so far has run. */
  void flush() throws InterruptedException {
    writer.await();
  }

  /** Refuses new jobs and waits for the queued ones, at most {@code bound}. */
  void close(Duration bound) {
    writer.close(bound);
  }

  /**
   * The state.json encoding of a version; records its size. The caller {@linkplain
   * ObjectBody#release() releases} it once its objects are written.
   */
  ObjectBody stateJson(Snapshot s) {
    ObjectBody bytes = forms.stateJson(s);
    tally.stateBytes(bytes.size());
    return bytes;
  }

  /** The user metadata of a version's readable copy. */
  static Map<String, String> copyMetadata(Snapshot s) {
    return Map.of(S3Backend.COPY_SERIAL, Long.toString(s.metadata().serial()),
        S3Backend.COPY_LINEAGE, s.metadata().lineage());
  }

  /** The derived objects owed for a version: a checkpoint, and the readable copy (checked against the stored one after a load). */
  private final class Derive implements DerivedWriter.Job {
    private final Snapshot snapshot;
    private final boolean checkpoint;
    private final boolean verifyCopy;

    Derive(Snapshot snapshot, boolean checkpoint, boolean verifyCopy) {
      this.snapshot = snapshot;
      this.checkpoint = checkpoint;
      this.verifyCopy = verifyCopy;
    }

    @Override
    public boolean coalescible() {
      return !checkpoint;
    }

    @Override
    public void run() {
      write(this);
    }
  }

  private void write(Derive d) {
    Encoding e = new Encoding(d.snapshot);
    try {
      write(d, e);
    } finally {
      e.release();
    }
  }

  /** The state.json encoding of one version, made when first needed and shared by its objects. */
  private final class Encoding {
    private final Snapshot snapshot;
    private ObjectBody bytes;

    Encoding(Snapshot snapshot) {
      this.snapshot = snapshot;
    }

    ObjectBody get() {
      if (bytes == null) {
        bytes = stateJson(snapshot);
      }
      return bytes;
    }

    void release() {
      if (bytes != null) {
        bytes.release();
      }
    }
  }

  private void write(Derive d, Encoding encoding) {
    Snapshot s = d.snapshot;
    long serial = s.metadata().serial();
    boolean checkpointed = false;
    if (d.checkpoint && serial > 0) {
      try {
        if (store.putIfAbsent(layout.checkpointKey(serial), forms.checkpoint(s, encoding.get()), Map.of()).isPresent()) {
          LOG.debug("Wrote checkpoint {} of {}", serial, layout.location());
        }
        checkpointed = true;
        if (retainCheckpoints > 0) {
          prune();
        }
      } catch (BackendException e) {
        LOG.warn("Version {} of {} is committed, but its checkpoint could not be written: {}. The next load"
            + " creates it.", serial, layout.location(), e.getMessage());
      }
    }
    try {
      if (d.verifyCopy) {
        repairCopy(s, encoding, checkpointed);
        return;
      }
      if (tally.stateBytes() < 0) {
        encoding.get(); // the size decides whether the copy follows every write
      }
      if (checkpointed || isSmall()) {
        writeCopy(s, encoding);
      }
    } catch (BackendException e) {
      LOG.warn("Version {} of {} is committed, but its readable copy could not be written: {}. The next"
          + " write or load rewrites it.", serial, layout.location(), e.getMessage());
    }
  }

  /**
   * After a load: rewrites a readable copy that is behind the loaded version (small states) or
   * behind the newest checkpoint (large states; {@code checkpointed}: the loaded version has one).
   */
  private void repairCopy(Snapshot s, Encoding encoding, boolean checkpointed) {
    long head = s.metadata().serial();
    Optional<S3Store.Head> copy = store.head(layout.key());
    String tagged = copy.map(h -> h.metadata().get(S3Backend.COPY_SERIAL)).orElse(null);
    copy.ifPresent(copyEdits::seen); // an upload from another tool is kept for the next write to record
    if (copy.isPresent() && tagged == null) {
      if (!copyEdits.pending() && warnedForeignCopy.compareAndSet(false, true)) {
        LOG.warn("{} was written by another tool (it has no infrastate metadata) while the state is kept in"
            + " the log under {}; it could not be read as an edit of the state and is left as it is.",
            layout.location(), layout.logPrefix());
      }
      return;
    }
    boolean sameLineage = copy.isPresent() && s.metadata().lineage()
        .equals(copy.get().metadata().getOrDefault(S3Backend.COPY_LINEAGE, s.metadata().lineage()));
    long copySerial = tagged == null || !sameLineage ? -1 : parseSerial(tagged);
    if (tally.stateBytes() < 0) {
      if (copy.isPresent() && copy.get().size() >= 0) {
        tally.stateBytes(copy.get().size()); // the size of a recent version: good enough to decide
      } else {
        encoding.get();
      }
    }
    long target = isSmall() || checkpointed ? head : layout.newestCheckpointAtOrBefore(head);
    if (copySerial < target) {
      writeCopy(s, encoding);
      LOG.info("Rewrote the readable copy {} from serial {} to {}", layout.location(), copySerial, head);
    }
  }

  /** Writes the readable copy unless this backend already wrote a newer one of the same lineage. */
  private void writeCopy(Snapshot s, Encoding encoding) {
    VersionKey v = VersionKey.of(s);
    VersionKey last = lastCopy;
    if (last != null && last.lineage().equals(v.lineage()) && last.serial() > v.serial()) {
      return;
    }
    if (copyEdits.writeCopy(forms.copy(s, encoding.get()), copyMetadata(s))) {
      lastCopy = v;
    }
  }

  private static long parseSerial(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private boolean isSmall() {
    long b = tally.stateBytes();
    return b >= 0 && b <= readableCopyMaxBytes;
  }

  /** Deletes checkpoints beyond the newest {@code retainCheckpoints} and the log before them. */
  private void prune() {
    List<Long> cps = layout.checkpoints();
    if (cps.size() <= retainCheckpoints) {
      return;
    }
    long oldestKept = cps.get(cps.size() - retainCheckpoints);
    int deleted = 0;
    for (long s : layout.serials(layout.logPrefix(), null, Integer.MAX_VALUE)) {
      if (s >= oldestKept) {
        break;
      }
      store.delete(layout.logKey(s));
      deleted++;
    }
    for (long s : cps) {
      if (s >= oldestKept) {
        break;
      }
      store.delete(layout.checkpointKey(s));
    }
    LOG.debug("Pruned {} log records of {} before checkpoint {}", deleted, layout.location(), oldestKept);
  }
}
