package io.infrastate.file;

import io.infrastate.spi.VersionToken;

/**
 * The file backend's version token: serial and lineage, plus the file's stamp and the write
 * generation at the time it was read or written, so that an unchanged file is recognised without
 * being read or parsed.
 *
 * @param serial the stored serial
 * @param lineage the stored lineage
 * @param stamp the file's identity when read or written
 * @param generation the sidecar's write counter when read or written
 */
record FileVersion(long serial, String lineage, FileStamp stamp, long generation) implements VersionToken {
  /**
   * Whether the file on disk is provably still this version.
   *
   * @param current the file's stamp now
   * @param currentGeneration the sidecar's counter now
   * @return {@code true} if nothing has been written since
   */
  boolean unchanged(FileStamp current, long currentGeneration) {
    return current != null && current.equals(stamp) && currentGeneration == generation;
  }
}
