package io.infrastate.file;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Metadata;
import io.infrastate.model.SecretKeyException;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.StoredForm;
import io.infrastate.spi.StoredState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Journal mode's reads: finds the latest version on disk (state.json with the journal's records
 * applied), as cheaply as what changed since the last look allows, and stops on damage and loss.
 *
 * <h2>Three paths</h2>
 *
 * <ol>
 *   <li>Quiet, without a stat of the journal: the generation, state.json's stamp, the directory's
 *       settled stamp and the bytes around the last record's end are as {@link Known} holds them.
 *       Where file times are fine-grained once looked at, a stat of the journal between two
 *       appends would make the second one change the journal's times, and its fdatasync then also
 *       write the inode.
 *   <li>Otherwise stat the journal: unchanged if its stamp is the one seen last, or if it is the
 *       same inode at the same generation with the same last bytes (this instance's own appends
 *       moved its times); with the same files and records appended (another process wrote), read
 *       and apply only the bytes after the last known record.
 *   <li>Anything else (another process compacted, a person replaced or edited a file): read
 *       everything. A record before the last one edited in place from outside is not seen by a
 *       handle that holds the latest version; every full read refuses it (its checksum).
 * </ol>
 *
 * <h2>Concurrency</h2>
 *
 * Without the lock, a read stats state.json and the journal, reads, and stats again; if state.json
 * changed or the journal was replaced meanwhile, or what it read does not parse (a torn tail being
 * rewritten under it), it returns null and the caller retries. An append while reading is
 * harmless: only complete records with valid checksums count, and records before the end never
 * change. The sidecar's generation is read first: writers bump it after writing, so whatever a
 * writer wrote before is seen by the reads that follow.
 *
 * <h2>Damage and loss</h2>
 *
 * A torn tail (after the last valid record, bytes in which no valid frame starts, then zeros) is
 * ignored: its writer never returned Saved. A checksum failure followed by a valid frame is damage
 * (a record in the middle was lost) and raises CorruptStateException. The sidecar records the last
 * version written (before the sync: a machine crash can leave it one ahead of a torn record, which
 * a load allows); a latest version older than that (the journal deleted, truncated or replaced by
 * an older copy) is loss, and so is a missing journal whose link in the history holds later
 * versions.
 *
 * <h2>Key changes</h2>
 *
 * An encrypted state.json carries the wraps of its data keys under the keys that opened the state
 * when it was written. A key change ({@code rekey}) is a journal record whose header carries the
 * new wraps; the compaction that follows rewrites state.json with them. A crash in between leaves
 * state.json wrapped for the old keys only: when state.json does not open with the keys held, the
 * journal's newest sealed record is opened first (its header unwraps with the new keys and makes
 * the data keys known), then state.json again. The handle above checks that the keys held open the
 * newest key record, so the old keys do not open the state in that window either.
 *
 * <h2>External edits</h2>
 *
 * A full read of the latest version also asks {@link ExternalEdits} whether state.json is the base
 * the sidecar records as last written (its stamp, else its hash): a state.json another tool wrote
 * replaces the latest version, the journal's included, and is returned as a {@link Known} that
 * carries the edit ({@link Known#external}); without the lock it is returned only if state.json and
 * the journal did not move while it was hashed.
 */
final class JournalReader {
  private final JournalStore store;
  private final StateParts parts;
  private final Sidecar sidecar;
  private final JournalChannel channel;

  JournalReader(JournalStore store) {
    this.store = store;
    this.parts = store.parts;
    this.sidecar = store.sidecar;
    this.channel = store.channel;
  }

  /**
   * Reads the latest version on disk, reusing {@code cached} when state.json and the journal are
   * still those it was read from. Returns {@link Known#ABSENT} when nothing is stored, and null
   * when something moved while reading without the lock (the caller retries).
   */
  Known readDisk(Known cached, boolean locked) throws IOException {
    // The generation first: writers bump it after writing, so whatever a writer wrote before this
    // read is seen by the reads below, and a write after it changes it for the next check.
    Sidecar.Reading sidecarNow = sidecar.read();
    Sidecar.Mark mark = sidecarNow.mark();
    long gen = sidecarNow.generation();
    FileStamp d = FileStamp.of(parts.dir);
    FileStamp s1 = FileStamp.of(parts.file);
    if (s1 == null) {
      if (store.checkNotLost(mark)) {
        if (locked) {
          throw parts.appeared();
        }
        return null; // a writer created it meanwhile: read again
      }
      return Known.ABSENT;
    }
    if (cached != null && cached.state != null && quiet(cached, gen, d, s1, locked)) {
      return cached;
    }
    FileStamp quietDir = Known.settled(d, System.currentTimeMillis() * 1_000_000L);
    FileStamp j1 = FileStamp.of(parts.journal);
    if (cached != null && cached.state != null) {
      JournalVersion t = cached.token();
      // The stamps alone cannot tell: appends into the zeros kept ahead leave the size alone, and
      // two appends can fall within one tick of the file's clock. Nothing follows the last record
      // when the frame where the next one would start is still zeros.
      boolean sameFiles = s1.equals(t.base()) && j1 != null && t.journal() != null && Objects.equals(j1.key(), t.journalKey());
      boolean appended = j1 != null && !nothingAfter(t.end(), j1.size(), j1.key(), locked);
      // Unchanged: the same stamps; or the same files at the generation this instance left, still
      // ending with the record it knows (its own appends take no stamp, so the journal's times
      // moved with them). Otherwise a changed stamp is a change from outside the protocol (a
      // person rewrote a file): read everything.
      if ((!appended && t.at(s1, j1)) || (sameFiles && gen == cached.generation && tailIntact(cached, j1.size(), locked))) {
        return cached.seen(gen, quietDir);
      }
      if (appended && sameFiles) {
        Known next = advance(cached, s1, j1, locked);
        if (next != null) {
          return next.seen(gen, quietDir);
        }
      }
    }
    Known full = readFull(s1, j1, locked, Long.MAX_VALUE, mark);
    return full == null ? null : full.seen(gen, quietDir);
  }

  /**
   * Whether {@code cached} is still the latest version, known without a stat of the journal: no
   * writer of the protocol wrote since (the generation), state.json is the same file, the journal
   * was not replaced (the directory holding it has not changed since its identity was confirmed),
   * and its last record ends as written, with nothing after it.
   */
  boolean quiet(Known cached, long gen, FileStamp d, FileStamp s1, boolean locked) throws IOException {
    JournalVersion t = cached.token();
    return gen == cached.generation && s1 != null && s1.equals(t.base()) && t.journal() != null
        && cached.quietDir != null && cached.quietDir.equals(d) && tailIntact(cached, cached.journalSize, locked);
  }

  /**
   * Whether the journal (of {@code size} bytes) still holds, just before the end of {@code
   * cached}, the bytes this instance knows there, and zeros after: a journal truncated, copied
   * over or appended to in place (by anything but a writer of the protocol, which changes the
   * generation) shows there.
   */
  private boolean tailIntact(Known cached, long size, boolean locked) throws IOException {
    JournalVersion t = cached.token();
    if (cached.tail == null || size < t.end() + JournalCodec.FRAME_HEADER) {
      return false;
    }
    byte[] around = channel.read(t.end() - Known.TAIL, t.end() + JournalCodec.FRAME_HEADER, t.journalKey(), locked);
    return cached.endsWith(around);
  }

  /**
   * Whether no record starts at {@code end} of a journal of {@code size} bytes: it ends there, or
   * a frame header's worth of zeros follows. Under the lock through the open channel (if it is the
   * journal with {@code key}), else with a read of its own.
   */
  boolean nothingAfter(long end, long size, Object key, boolean locked) throws IOException {
    if (size <= end) {
      return true;
    }
    byte[] head = channel.read(end, end + Math.min(JournalCodec.FRAME_HEADER, size - end), key, locked);
    return head != null && JournalCodec.zerosFrom(head, 0);
  }

  /** Applies the records appended after {@code cached}; null if that is not possible. */
  private Known advance(Known cached, FileStamp s1, FileStamp j1, boolean locked) throws IOException {
    if (cached.stale) {
      return null;
    }
    JournalVersion t = cached.token();
    long size = j1.size();
    byte[] tail = StateFiles.readRange(parts.journal, t.end(), size);
    if (tail == null || !stable(s1, j1.key())) {
      return null;
    }
    JournalCodec.Scan scan = JournalCodec.scan(tail, t.end(), false, parts.form);
    if (scan.damage != null) {
      if (locked) {
        throw journalDamage(scan.damage);
      }
      return null;
    }
    long expect = cached.serial() + 1;
    String lineage = cached.lineage();
    for (JournalCodec.Entry e : scan.entries) {
      if (e.serial() != expect++ || (!lineage.isEmpty() && !lineage.equals(e.metadata().lineage()))) {
        return null;
      }
      lineage = e.metadata().lineage();
    }
    Snapshot snapshot = Replay.apply(cached.state.snapshot(), scan.entries);
    Metadata m = snapshot.metadata();
    JournalVersion token = new JournalVersion(m.serial(), m.lineage(), t.base(), j1, scan.validEnd);
    return new Known(new StoredState(snapshot, token), cached.baseSerial, cached.records + scan.entries.size(), m.serial(), size, scan.dirtyEnd, false)
        .withTail(tail, t.end(), cached.tail);
  }

  private boolean stable(FileStamp s1, Object key) throws IOException {
    FileStamp s2 = FileStamp.of(parts.file);
    FileStamp j2 = FileStamp.of(parts.journal);
    return s1.equals(s2) && Objects.equals(key, j2 == null ? null : j2.key());
  }

  /**
   * Reads state.json and the whole journal and applies the records up to {@code upTo}. Null if
   * something moved while reading without the lock.
   */
  Known readFull(FileStamp s1, FileStamp j1, boolean locked, long upTo, Sidecar.Mark mark) throws IOException {
    Sidecar.Base base = sidecar.base();
    Snapshot snapshot;
    byte[] jbytes = null;
    try {
      try {
        snapshot = parts.decode(parts.file, parts::recoveryHint);
      } catch (SecretKeyException e) {
        if (j1 == null) {
          throw e;
        }
        jbytes = StateFiles.read(parts.journal, parts.maxSize);
        if (!newerKeys(jbytes)) {
          throw e;
        }
        snapshot = parts.decode(parts.file, parts::recoveryHint);
      }
      if (j1 != null && jbytes == null) {
        jbytes = StateFiles.read(parts.journal, parts.maxSize);
      }
    } catch (NoSuchFileException e) {
      if (locked) {
        throw e;
      }
      return null;
    }
    Object key = j1 == null ? null : j1.key();
    if (!locked && !stable(s1, key)) {
      return null;
    }
    if (jbytes != null && jbytes.length > j1.size()) {
      // appended to after the stat: keep what the stamp describes (earlier bytes never change)
      jbytes = Arrays.copyOf(jbytes, (int) j1.size());
    }
    long b = snapshot.metadata().serial();
    String lb = snapshot.metadata().lineage();
    if (jbytes == null) {
      checkJournalNotLost(b, lb);
    }
    if (jbytes == null || jbytes.length == 0) {
      checkNotOlder(b, lb, mark, false, jbytes == null ? "the journal " + parts.journal + " is missing" : "the journal " + parts.journal + " is empty");
      JournalVersion token = new JournalVersion(b, lb, s1, j1, 0);
      return new Known(new StoredState(snapshot, token), b, 0, -1, 0, 0, jbytes != null);
    }
    JournalCodec.Scan scan = JournalCodec.scan(jbytes, 0, false, parts.form);
    if (scan.damage != null) {
      if (locked) {
        throw journalDamage(scan.damage);
      }
      return null;
    }
    JournalCodec.Header h = scan.header;
    long expect = h.baseSerial() + 1;
    String jl = h.lineage();
    for (JournalCodec.Entry e : scan.entries) {
      String el = e.metadata().lineage();
      if (e.serial() != expect || (!jl.isEmpty() && !jl.equals(el))) {
        if (!locked) {
          return null;
        }
        throw journalDamage("the record at offset " + (e.end()) + " holds version " + e.serial() + " (lineage " + el
            + ") where version " + expect + " (lineage " + jl + ") was expected");
      }
      expect++;
      jl = el;
    }
    long last = expect - 1;
    // only for the latest version: a read of an earlier one (upTo) passes no mark to date the edit
    ExternalEdits.Found edit;
    try {
      edit = upTo == Long.MAX_VALUE ? store.external.detect(snapshot, s1, base, mark, h::lineage) : null;
    } catch (NoSuchFileException e) {
      if (locked) {
        throw e;
      }
      return null; // state.json was replaced (a compaction) while it was hashed: read again
    }
    if (edit != null) {
      if (!locked && !stable(s1, key)) {
        return null; // replaced while it was hashed (a compaction): read again
      }
      // state.json was written from outside: it replaces the latest version (see ExternalEdits)
      Metadata em = edit.content().metadata();
      JournalVersion token = new JournalVersion(em.serial(), em.lineage(), s1, j1, scan.validEnd);
      return new Known(new StoredState(edit.content(), token), b, 0, last, jbytes.length, scan.dirtyEnd, false).external(edit);
    }
    boolean foreign = !lb.isEmpty() && !jl.isEmpty() && !lb.equals(jl);
    checkNotOlder(Math.max(last, b), foreign ? lb : jl, mark, scan.torn,
        "the journal " + parts.journal + " ends at version " + last + (last < b ? ", before the state file's" : ""));
    if (foreign || last < b) {
      // The journal does not continue this state.json (replaced by a person): ignore it; the next
      // write sets it aside.
      JournalVersion token = new JournalVersion(b, lb, s1, j1, scan.validEnd);
      return new Known(new StoredState(snapshot, token), b, 0, last, jbytes.length, scan.dirtyEnd, last != b || foreign).withTail(jbytes, 0, null);
    }
    if (h.baseSerial() > b) {
      throw new CorruptStateException(
          parts.file.toString(),
          null,
          "State " + parts.file + " holds version " + b + " but its journal " + parts.journal + " continues version "
              + h.baseSerial() + ": state.json was replaced by an older copy, so the journal's versions"
              + " cannot be applied to it. Nothing was written. Restore state.json from "
              + (StateParts.exists(parts.historyDir.resolve(HistoryFiles.baseName(h.baseSerial()) + ".json"))
                  ? parts.historyDir.resolve(HistoryFiles.baseName(h.baseSerial()) + ".json").toString()
                  : "a copy of version " + h.baseSerial())
              + ", or move the journal away to keep the older state.",
          null);
    }
    List<JournalCodec.Entry> live = new ArrayList<>();
    for (JournalCodec.Entry e : scan.entries) {
      if (e.serial() > b && e.serial() <= upTo) {
        live.add(e);
      }
    }
    Snapshot latest = Replay.apply(snapshot, live);
    Metadata m = latest.metadata();
    long end = live.isEmpty() || upTo < last ? scan.validEnd : live.get(live.size() - 1).end();
    JournalVersion token = new JournalVersion(m.serial(), m.lineage(), s1, j1, end);
    return new Known(new StoredState(latest, token), b, live.size(), last, jbytes.length, upTo < last ? end : scan.dirtyEnd, false)
        .withTail(jbytes, 0, null);
  }

  /**
   * Opens the journal's newest sealed record on its own, so that the form learns the data keys its
   * header wraps; whether it opened. See "Key changes" above.
   */
  private boolean newerKeys(byte[] journal) {
    byte[] record = JournalCodec.lastSealedPayload(journal);
    if (record == null) {
      return false;
    }
    try {
      parts.form.open(record, StoredForm.RECORD, "the newest record of " + parts.journal);
      return true;
    } catch (SecretKeyException e) {
      return false;
    }
  }

  /**
   * Refuses a state whose latest version on disk ({@code serial}) is older than the version the
   * write lock sidecar records as written: the journal was deleted or truncated, or state.json
   * replaced by an older copy; a write would reuse the lost versions' serials. A torn record right
   * after the last one is the exception: a writer records its version just before it syncs the
   * record, so after a crash of the machine the mark may be one ahead of a record that never
   * reached the disk.
   */
  private void checkNotOlder(long serial, String lineage, Sidecar.Mark mark, boolean torn, String what) {
    if (mark == null || !mark.after(serial, lineage) || (torn && mark.serial() == serial + 1)) {
      return;
    }
    throw parts.older(serial, mark.serial(), parts.writelock + " records it; " + what, restoreHint());
  }

  private String restoreHint() {
    return "Restore the lost files if a copy exists"
        + (Files.isDirectory(parts.historyDir, LinkOption.NOFOLLOW_LINKS) ? " (the history " + parts.historyDir + " keeps earlier bases and journals)." : ".");
  }

  /**
   * Refuses a state whose journal is missing while the history's link to it holds versions after
   * state.json: the journal was deleted (with the write lock sidecar, or the mark would have told).
   */
  private void checkJournalNotLost(long base, String lineage) throws IOException {
    Path kept = parts.historyDir.resolve(HistoryFiles.baseName(base) + ".journal");
    if (!StateParts.exists(kept)) {
      return;
    }
    byte[] bytes;
    try {
      bytes = StateFiles.read(kept, parts.maxSize);
    } catch (NoSuchFileException e) {
      return;
    }
    long last = -1;
    for (JournalCodec.Entry e : JournalCodec.scan(bytes, 0, true, parts.form).entries) {
      if (e.serial() > base && (lineage.isEmpty() || lineage.equals(e.metadata().lineage()))) {
        last = Math.max(last, e.serial());
      }
    }
    if (last > base) {
      throw parts.older(base, last, kept + " holds it; the journal " + parts.journal + " is missing",
          "Restore the journal from that copy (cp " + kept + " " + parts.journal + ").");
    }
  }

  CorruptStateException journalDamage(String what) {
    return new CorruptStateException(
        parts.journal.toString(),
        null,
        "Journal " + parts.journal + " of state " + parts.file + " is damaged: " + what + ". It was not modified and"
            + " nothing was written. The base is in " + parts.file + (StateParts.exists(parts.backup) ? " (and " + parts.backup + ")" : "")
            + "; move the journal away to fall back to that base, losing the versions written since.",
        null);
  }
}
