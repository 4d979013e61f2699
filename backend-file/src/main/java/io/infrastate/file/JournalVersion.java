package io.infrastate.file;

import io.infrastate.spi.VersionToken;
import java.util.Objects;

/**
 * The journal mode's version token: serial and lineage, plus where that version sits on disk — the
 * stamps of the base file and of the journal, and the end of the last record applied — so that an
 * unchanged state is recognised without reading the files whole.
 *
 * <p>Two tokens of the same logical version may differ in their disk position (a compaction moves
 * the version from the journal into the base file); compare-and-swap therefore decides on serial
 * and lineage ({@link VersionToken#sameVersion}), and the position only serves as a cache key.
 *
 * @param serial the stored serial
 * @param lineage the stored lineage
 * @param base the stamp of {@code state.json} the version was read from or written onto
 * @param journal the journal's stamp when it was last looked at, or {@code null} when there is none;
 *     its inode is that of the journal holding the version, its times may be older than the
 *     version's own record (a writer takes no stamp of the journal after appending)
 * @param end the offset just after the last valid journal record, 0 when there is no journal
 */
record JournalVersion(long serial, String lineage, FileStamp base, FileStamp journal, long end) implements VersionToken {
  /**
   * Whether the files on disk are exactly those this token was taken from.
   *
   * @param stamp the base file's stamp now
   * @param journalNow the journal's stamp now, or {@code null}
   * @return {@code true} if nothing was written since
   */
  boolean at(FileStamp stamp, FileStamp journalNow) {
    return stamp != null && stamp.equals(base) && Objects.equals(journalNow, journal);
  }

  /**
   * The journal's file key.
   *
   * @return the inode of the journal, or {@code null} when there is none
   */
  Object journalKey() {
    return journal == null ? null : journal.key();
  }
}
