package io.infrastate.file;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateDiff;
import io.infrastate.model.StateException;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Tells a state file written by another tool from one infrastate wrote, and records such an edit as
 * a version of its own: the file backend's part of {@link ExternalEditPolicy}.
 *
 * <p>Instances are immutable and thread-safe; the backend calls {@link #record} while it holds the
 * sidecar's write lock.
 */
final class ExternalEdits {
  /*
   * Design notes.
   *
   * WHAT IS AN EXTERNAL EDIT. After publishing a version as the state file, a writer records in the
   * sidecar (Sidecar.Base) the version's serial and lineage, the file's stamp and the SHA-256 of
   * its bytes. A state file is external when it has that serial and lineage but another stamp and
   * other bytes (a jq script, an editor, a Go program that kept serial and lineage), or when it has
   * no lineage where a lineage stood (Go-FTL2's own writer drops serial and lineage). The stamp
   * answers the common case without reading anything again; only a file with the recorded serial
   * and another stamp (a new inode: jq's mv; touched; restored by cp) is read and hashed. Any other
   * serial or lineage is not an external edit: an older serial of the same lineage is loss (the
   * backend's existing checks), another lineage is another state (LineageMismatchException).
   *
   * READS STAY READS. A load returns the external content as the next version: serial = the
   * recorded one + 1, the state's lineage (read from the kept copy of the replaced version when the
   * file has none), the replaced version's fencing tokens where the file lost them, and the file's
   * modification time as its time. Its token (ExternalVersion) carries that content and the file's
   * hash. Nothing is written on load.
   *
   * RECORDING. A save whose expected token is an ExternalVersion re-reads the file under the lock
   * and goes on only if it still has the same hash (else Conflict: it was edited again). It then
   * writes the external version into the history (<serial>.json and .audit.json, operator
   * "external", the difference as reason), fsynced, before it publishes its own version as the next
   * serial. A crash between the two leaves the history with an entry the state file does not yet
   * carry; the next save writes the same entry again. With history retention 0 nothing is recorded
   * (there is no history); the lineage still continues when the replaced version is kept as the
   * backup.
   *
   * LOST UPDATES. A writer without compare-and-swap (Go-FTL2) may have read an older version than
   * the one it replaced. The edited content is compared with the last kept versions: where it is
   * closer to an older version K than to the replaced one, what versions after K changed and the
   * file lacks is named as a probable lost update.
   */

  /** How many kept versions before the replaced one the lost-update check compares. */
  private static final int LOOKBACK = 10;

  private final StateParts parts;
  private final ExternalEditPolicy policy;
  private final Versions versions;

  /** Reads a kept version: exactly that serial of that lineage, or null. */
  @FunctionalInterface
  interface Versions {
    Snapshot version(long serial, String lineage);
  }

  /**
   * @param versions reads the kept versions ({@link Store#at}: the whole-file mode's {@code
   *     <serial>.json}, the journal mode's bases and records)
   */
  ExternalEdits(StateParts parts, ExternalEditPolicy policy, Versions versions) {
    this.parts = parts;
    this.policy = policy;
    this.versions = versions;
  }

  ExternalEditPolicy policy() {
    return policy;
  }

  // ------------------------------------------------------------------ hashes and bases

  /** The base to record after writing {@code bytes} as the state file (stamp taken after the write). */
  static Sidecar.Base base(long serial, String lineage, FileStamp stamp, EncodedState bytes) {
    MessageDigest md = sha256();
    bytes.digest(md);
    ByteBuffer h = ByteBuffer.wrap(md.digest());
    return new Sidecar.Base(serial, Sidecar.fingerprint(lineage), stamp, h.getLong(), h.getLong());
  }

  /** The base to record after writing {@code bytes} as the state file. */
  static Sidecar.Base base(long serial, String lineage, FileStamp stamp, byte[] bytes) {
    ByteBuffer h = ByteBuffer.wrap(sha256().digest(bytes));
    return new Sidecar.Base(serial, Sidecar.fingerprint(lineage), stamp, h.getLong(), h.getLong());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The first 16 bytes of the SHA-256 of a file, as two longs. */
  private long[] hash(Path p) throws IOException {
    ByteBuffer h = ByteBuffer.wrap(sha256().digest(StateFiles.read(p, parts.maxSize)));
    return new long[] {h.getLong(), h.getLong()};
  }

  // ------------------------------------------------------------------ detection

  /**
   * The external edit the state file holds, or null if it is what {@code base} records (or
   * nothing is recorded, or it is another version or another state).
   *
   * @param s the state file, decoded
   * @param stamp its stamp, taken before it was read
   * @param base what the sidecar records as the state file, read before the file; may be null
   * @param mark the last version the sidecar records as written (later than the base where a
   *     journal holds versions after it); may be null
   * @param knownLineage the state's lineage where the caller knows it (a journal's header), else null
   */
  Found detect(Snapshot s, FileStamp stamp, Sidecar.Base base, Sidecar.Mark mark, java.util.function.Supplier<String> knownLineage)
      throws IOException {
    if (base == null || base.lineage() == 0) {
      return null;
    }
    long latest = mark != null && mark.lineage() == base.lineage() && mark.serial() > base.serial() ? mark.serial() : base.serial();
    Metadata m = s.metadata();
    String note;
    if (!m.hasLineage()) {
      note = "it has no serial and lineage (written by a tool that does not know them, such as Go-FTL2)";
    } else if (m.serial() == base.serial() && Sidecar.fingerprint(m.lineage()) == base.lineage()) {
      if (base.sameFile(stamp)) {
        return null;
      }
      long[] h = hash(parts.file);
      if (h[0] == base.hash1() && h[1] == base.hash2()) {
        return null; // the same bytes: touched, or copied back
      }
      return found(s, base.serial(), latest, m.lineage(), null, h, List.of());
    } else {
      return null;
    }
    // No lineage in the file: the lineage and fencing tokens come from the kept replaced version.
    String lineage = knownLineage.get();
    if (lineage != null && Sidecar.fingerprint(lineage) == base.lineage()) {
      return found(s, base.serial(), latest, lineage, null, hash(parts.file), List.of(note));
    }
    Snapshot replaced = kept(base.serial(), base.lineage());
    if (replaced == null) {
      return null; // nothing tells the lineage: the file loads as Go's files always did
    }
    return found(s, base.serial(), latest, replaced.metadata().lineage(), replaced.metadata().serial() == latest ? replaced : null,
        hash(parts.file), List.of(note));
  }

  private Found found(Snapshot file, long baseSerial, long replacedSerial, String lineage, Snapshot replaced, long[] hash,
      List<String> notes)
      throws IOException {
    Metadata fm = file.metadata();
    // A lock's fencing token never goes back, even where the edited file lost it.
    Map<String, Long> fences = new TreeMap<>(fm.fences());
    if (replaced != null) {
      replaced.metadata().fences().forEach((lock, token) -> fences.merge(lock, token, Math::max));
    }
    Instant when = Files.getLastModifiedTime(parts.file, LinkOption.NOFOLLOW_LINKS).toInstant();
    Metadata meta = new Metadata(Metadata.FORMAT_VERSION, replacedSerial + 1, lineage, fm.createdAt(), when, fences);
    return new Found(file.withMetadata(meta), baseSerial, replacedSerial, replaced, hash[0], hash[1], notes);
  }

  /**
   * The kept copy of a version of a lineage (by fingerprint): its history entry, else the backup if
   * it holds that version; null if neither does or it cannot be read.
   */
  private Snapshot kept(long serial, long lineage) {
    for (Path p : new Path[] {parts.historyDir.resolve(HistoryFiles.baseName(serial) + ".json"), parts.backup}) {
      try {
        StateParts.checkSidecarDirectory(parts.historyDir);
        Snapshot s = parts.decode(p, () -> "");
        if (s.metadata().serial() <= serial && Sidecar.fingerprint(s.metadata().lineage()) == lineage) {
          return s; // the backup may hold an earlier version of the lineage: enough for the lineage
        }
      } catch (NoSuchFileException e) {
        // not kept here
      } catch (IOException | StateException e) {
        // damaged or unreadable: no copy
      }
    }
    return null;
  }

  /** Describes a found edit: the difference to the replaced version, and lost updates. */
  ExternalEdit describe(Found f) {
    String lineage = f.content.metadata().lineage();
    Snapshot replaced = f.replaced != null && f.replaced.metadata().serial() == f.replacedSerial
        && f.replaced.metadata().lineage().equals(lineage) ? f.replaced : versions.version(f.replacedSerial, lineage);
    StateDiff diff = replaced == null ? null : StateDiff.between(replaced, f.content);
    List<String> lost = new ArrayList<>();
    if (diff != null && !diff.isEmpty()) {
      long best = f.replacedSerial;
      StateDiff bestDiff = diff;
      for (long k = f.replacedSerial - 1; k >= Math.max(1, f.replacedSerial - LOOKBACK); k--) {
        Snapshot older = versions.version(k, lineage);
        if (older == null) {
          break;
        }
        StateDiff d = StateDiff.between(older, f.content);
        if (d.entries().size() < bestDiff.entries().size()) {
          best = k;
          bestDiff = d;
        }
      }
      if (best < f.replacedSerial) {
        Set<String> stillDiffer = new HashSet<>();
        bestDiff.entries().forEach(e -> stillDiffer.add(e.section() + "/" + e.key()));
        for (StateDiff.Entry e : diff.entries()) {
          if (!stillDiffer.contains(e.section() + "/" + e.key())) {
            String what = (e.section() == StateDiff.Section.HOST ? "host " : "resource ") + e.key();
            String how = e.kind() == StateDiff.Kind.REMOVED ? "added" : e.kind() == StateDiff.Kind.ADDED ? "removed" : "changed";
            lost.add(what + " (" + how + " after version " + best + ", which the edited file matches there)");
          }
        }
      }
    }
    return new ExternalEdit(parts.file.toString(), f.replacedSerial, lineage, diff, f.notes, lost);
  }

  /** Throws if the policy refuses external edits. */
  void checkPolicy(Found f) {
    if (policy == ExternalEditPolicy.REFUSE) {
      throw refused(f);
    }
  }

  ExternalEditException refused(Found f) {
    ExternalEdit edit = describe(f);
    Path kept = parts.historyDir.resolve(HistoryFiles.baseName(f.replacedSerial) + ".json");
    // in journal mode, the base the journal's records continue restores the latest version
    Path base = parts.historyDir.resolve(HistoryFiles.baseName(f.baseSerial) + ".json");
    String hint = StateParts.exists(kept) ? "cp " + kept + " " + parts.file
        : StateParts.exists(base) ? "cp " + base + " " + parts.file + ", keeping the journal" : "";
    return new ExternalEditException(edit, hint);
  }

  // ------------------------------------------------------------------ recording

  /**
   * Writes the external version into the history, durably, before the caller publishes the next
   * version; the caller holds the sidecar's lock. Does nothing when the history keeps nothing.
   *
   * @param accepted who accepted the edit (for {@code state accept-external}), or null
   * @return the audit entry the edit was recorded with
   */
  AuditEntry record(Found f, int retention, AuditEntry accepted) throws IOException {
    AuditEntry audit = audit(f, accepted);
    if (retention <= 0) {
      return audit;
    }
    StateParts.sidecarDirectory(parts.historyDir);
    String base = HistoryFiles.baseName(f.content.metadata().serial());
    Path json = DurableFiles.writeTemp(parts.historyDir, "." + base + ".", EncodedState.of(f.content, parts.form));
    Path auditTmp = null;
    try {
      auditTmp = DurableFiles.writeTemp(parts.historyDir, "." + base + ".",
          HistoryFiles.encodeAudit(new SaveRequest(VersionToken.absent(), f.content, List.of(), audit), parts.form));
      Files.move(json, parts.historyDir.resolve(base + ".json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Files.move(auditTmp, parts.historyDir.resolve(base + ".audit.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      DurableFiles.fsyncDirectory(parts.historyDir);
    } finally {
      DurableFiles.deleteQuietly(json);
      DurableFiles.deleteQuietly(auditTmp);
    }
    return audit;
  }

  /** The audit entry of an external version. */
  AuditEntry audit(Found f, AuditEntry accepted) {
    return describe(f).audit(accepted);
  }

  /** Whether two tokens are the same external content, or neither is external. */
  static boolean sameEdit(VersionToken a, VersionToken b) {
    if (a instanceof ExternalVersion x && b instanceof ExternalVersion y) {
      return x.found().hash1 == y.found().hash1 && x.found().hash2 == y.found().hash2;
    }
    return !(a instanceof ExternalVersion) && !(b instanceof ExternalVersion);
  }

  /**
   * An external edit as found in the state file.
   *
   * @param content the file's content as the next version (serial, lineage, time, fences set)
   * @param baseSerial the version the state file held as infrastate last wrote it
   * @param replacedSerial the version it replaced: the latest (later than the base where a journal
   *     holds versions after it)
   * @param replaced that version, if it was read (null otherwise: read when described)
   * @param hash1 the file's hash, first half
   * @param hash2 the file's hash, second half
   * @param notes what else is known
   */
  record Found(Snapshot content, long baseSerial, long replacedSerial, Snapshot replaced, long hash1, long hash2, List<String> notes) {
    /** The stored state a load returns for it. */
    StoredState stored(FileStamp stamp, long generation) {
      Metadata m = content.metadata();
      return new StoredState(content, new ExternalVersion(m.serial(), m.lineage(), stamp, generation, this));
    }
  }

  /**
   * The token of an external edit not yet recorded: a save from it records the edit first.
   *
   * @param serial the serial the edit gets
   * @param lineage the state's lineage
   * @param stamp the state file's stamp when read
   * @param generation the sidecar's generation when read
   * @param found the edit
   */
  record ExternalVersion(long serial, String lineage, FileStamp stamp, long generation, Found found) implements VersionToken {}
}
