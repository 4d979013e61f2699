package io.infrastate.file;

import io.infrastate.spi.StoredState;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * What a journal-mode backend last saw on disk: the latest version, where it sits (the base file's
 * and the journal's stamps, the end of its last record), and what lets the next look tell, cheaply
 * and without a stat of the journal, that nothing changed since. Immutable.
 *
 * <h2>Telling that nothing changed</h2>
 *
 * As JGit's {@code FileSnapshot} does for a file, a {@code Known} trusts a stamp only when the
 * stamp is certain to change with any later change. It holds:
 *
 * <ul>
 *   <li>the sidecar's write generation when it was read or written: every writer of the protocol
 *       changes it;
 *   <li>the directory's stamp, taken before the journal's identity was last confirmed, but only if
 *       the directory had already been unchanged for longer than a tick of the file clock ({@link
 *       #settled}): renaming a file over the journal changes the directory, and a change within
 *       the tick of the last one could leave its times as they were;
 *   <li>the last {@value #TAIL} bytes before the end of the last record: a truncation, a copy
 *       written over the journal in place or an append from outside changes them, or the zeros
 *       after them.
 * </ul>
 *
 * While all three hold and {@code state.json} keeps its stamp, the journal still ends with the
 * record it knows: two stats and two small reads ({@link JournalReader#quiet}).
 */
final class Known {
  static final Known ABSENT = new Known(null, -1, 0, -1, 0, 0, false);

  static final long UNKNOWN_GENERATION = Long.MIN_VALUE;
  /** How many bytes before the last record's end the quiet check compares. */
  static final int TAIL = 12;
  /**
   * How long a directory must have stayed unchanged before its stamp can vouch that nothing in it
   * was replaced: file times come from a clock that advances in ticks (1-10 ms on Linux), so a
   * change within the tick of the last one could leave the times as they were. Whole-second times
   * (file systems that store no fraction) get two seconds.
   */
  private static final long FINE_CLOCK_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long COARSE_CLOCK_SLACK_NANOS = TimeUnit.SECONDS.toNanos(2);

  final StoredState state;
  /** The serial of state.json. */
  final long baseSerial;
  /** Records applied on top of state.json. */
  final int records;
  /** The serial of the journal's last record (its header's base if none), -1 if no journal. */
  final long journalLast;
  /** The journal's size when read (larger than the token's end: zeros kept for appends). */
  final long journalSize;
  /** Where the bytes of a torn record after the token's end stop (the end itself if none). */
  final long dirtyEnd;
  /** Whether the journal does not continue state.json and must be set aside before appending. */
  final boolean stale;
  /** The sidecar's write generation when this was read or written; UNKNOWN_GENERATION if not known. */
  final long generation;
  /**
   * The directory's stamp, taken before the journal's identity was last confirmed, if the
   * directory had not changed for long enough that any later change gives it other times; null
   * otherwise. While the directory still has this stamp, the journal was not replaced.
   */
  final FileStamp quietDir;
  /** The last TAIL bytes of the journal before the token's end, null if not known. */
  final byte[] tail;
  /** An edit of state.json from outside that this version is ({@link ExternalEdits}), or null. */
  final ExternalEdits.Found external;

  Known(StoredState state, long baseSerial, int records, long journalLast, long journalSize, long dirtyEnd, boolean stale) {
    this(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, UNKNOWN_GENERATION, null, null, null);
  }

  private Known(StoredState state, long baseSerial, int records, long journalLast, long journalSize, long dirtyEnd, boolean stale,
      long generation, FileStamp quietDir, byte[] tail, ExternalEdits.Found external) {
    this.state = state;
    this.baseSerial = baseSerial;
    this.records = records;
    this.journalLast = journalLast;
    this.journalSize = journalSize;
    this.dirtyEnd = dirtyEnd;
    this.stale = stale;
    this.generation = generation;
    this.quietDir = quietDir;
    this.tail = tail;
    this.external = external;
  }

  /** This version as an edit from outside. */
  Known external(ExternalEdits.Found edit) {
    return new Known(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, generation, quietDir, tail, edit);
  }

  /** This version, as confirmed at a generation and with a directory stamp (null if unsettled). */
  Known seen(long generation, FileStamp quietDir) {
    return new Known(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, generation, quietDir, tail, external);
  }

  /**
   * This version with the journal's bytes before its end: {@code bytes} holds the journal from
   * offset {@code from}; if they do not reach back TAIL bytes from the end, {@code known} is.
   */
  Known withTail(byte[] bytes, long from, byte[] known) {
    long end = state == null ? 0 : token().end();
    byte[] t = end - from >= TAIL && end - from <= bytes.length
        ? Arrays.copyOfRange(bytes, (int) (end - from - TAIL), (int) (end - from))
        : known;
    return new Known(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, generation, quietDir, t, external);
  }

  JournalVersion token() {
    return (JournalVersion) state.token();
  }

  long serial() {
    return state.snapshot().metadata().serial();
  }

  String lineage() {
    return state.snapshot().metadata().lineage();
  }

  /** Whether {@code tail} matches the bytes before this version's end, and zeros follow them. */
  boolean endsWith(byte[] around) {
    return around != null && Arrays.equals(around, 0, TAIL, tail, 0, TAIL) && JournalCodec.zerosFrom(around, TAIL);
  }

  /** Whether the bytes from {@code from} on are all zeros. */
  static boolean zerosFrom(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The directory's stamp if, at {@code nowNanos} (wall clock, epoch nanoseconds), it has not
   * changed for long enough to vouch for its entries; else null.
   */
  static FileStamp settled(FileStamp d, long nowNanos) {
    if (d == null) {
      return null;
    }
    long newest = Math.max(d.mtimeNanos(), d.ctimeNanos());
    long slack = newest % 1_000_000_000L == 0 ? COARSE_CLOCK_SLACK_NANOS : FINE_CLOCK_SLACK_NANOS;
    return newest + slack <= nowNanos ? d : null;
  }
}
