package io.infrastate.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * What identifies one on-disk version of a file without reading it: inode (file key), size,
 * modification and change times in nanoseconds. infrastate never writes a state file in place (it
 * renames a new file over it), so a new version has a new inode and new times.
 *
 * @param key the file key (inode on Unix), may be null where the platform has none
 * @param size the size in bytes
 * @param mtimeNanos the modification time
 * @param ctimeNanos the status change time, or -1 where unavailable
 */
record FileStamp(Object key, long size, long mtimeNanos, long ctimeNanos) {
  private static final boolean UNIX_VIEW = probeUnixView();

  // equals and hashCode are written out, not generated: a record's generated methods bootstrap
  // through invokedynamic on first use, about 25 ms of a command-line run's first load.

  @Override
  public boolean equals(Object o) {
    return o instanceof FileStamp s && size == s.size && mtimeNanos == s.mtimeNanos && ctimeNanos == s.ctimeNanos && Objects.equals(key, s.key);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, size, mtimeNanos, ctimeNanos);
  }

  private static boolean probeUnixView() {
    try {
      Files.readAttributes(Path.of(".").toAbsolutePath(), "unix:ctime");
      return true;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Reads the stamp of a file, not following a final symlink.
   *
   * @param path the file
   * @return the stamp, or {@code null} if the file does not exist
   * @throws IOException on other I/O errors
   */
  static FileStamp of(Path path) throws IOException {
    try {
      if (UNIX_VIEW) {
        Map<String, Object> a = Files.readAttributes(path, "unix:ino,size,lastModifiedTime,ctime", LinkOption.NOFOLLOW_LINKS);
        return new FileStamp(
            a.get("ino"),
            (Long) a.get("size"),
            ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS),
            ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS));
      }
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return new FileStamp(a.fileKey(), a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), -1);
    } catch (NoSuchFileException e) {
      return null;
    }
  }
}
