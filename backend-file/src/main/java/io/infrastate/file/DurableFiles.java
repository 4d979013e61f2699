package io.infrastate.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writing files durably, for both modes of the file backend and the file lock provider (one way
 * each to name a file again, replace a name atomically, sync a directory and drop a leftover): new
 * files are the owner's alone, and bytes are written in slices (a whole state file, a compaction, a journal record of a large batch).
 *
 * <p>Why slices. A heap buffer written through a {@link FileChannel} is first copied into a
 * temporary direct buffer as large as what is left to write, and the JDK keeps that buffer for the
 * thread only while later writes fit in it. A state file grows with each host added, so writing it
 * whole took a new direct buffer of the file's size at every save (allocated, zeroed and faulted
 * in page by page), several times dearer than writing the same bytes through a buffer already
 * there. Slices of {@value
 * #SLICE} bytes keep one small temporary buffer for every write.
 *
 * <p>Stateless and thread-safe.
 */
final class DurableFiles {
  /** Creates files readable and writable by their owner only, where the file system has modes. */
  static final FileAttribute<?>[] OWNER_ONLY = ownerOnly("rw-------");

  /** Creates directories their owner alone can list and enter, where the file system has modes. */
  static final FileAttribute<?>[] OWNER_ONLY_DIRECTORY = ownerOnly("rwx------");

  /** The most written by one call: the size of the JDK's temporary direct buffer. */
  static final int SLICE = 1 << 20;

  private DurableFiles() {}

  private static FileAttribute<?>[] ownerOnly(String mode) {
    // Asked of the file system: a POSIX attribute is refused (at creation) where it has no modes.
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode))}
        : new FileAttribute<?>[0];
  }

  /**
   * Writes all of {@code bytes} at a position of the channel, in slices (see the class comment).
   * The channel's own position does not move.
   *
   * @param channel an open channel
   * @param bytes the bytes
   * @param at where in the file the first byte goes
   * @throws IOException if writing fails
   */
  static void writeAll(FileChannel channel, byte[] bytes, long at) throws IOException {
    writeAll(channel, bytes, 0, bytes.length, at);
  }

  /**
   * Writes {@code len} bytes of {@code bytes} from {@code off} at a position of the channel, in
   * slices (see the class comment). The channel's own position does not move.
   *
   * @param channel an open channel
   * @param bytes the bytes
   * @param off where in {@code bytes} to start
   * @param len how many bytes to write
   * @param at where in the file the first byte goes
   * @throws IOException if writing fails
   */
  static void writeAll(FileChannel channel, byte[] bytes, int off, int len, long at) throws IOException {
    long fileAt = at - off; // a byte's place in the file, less its index in bytes
    for (int end = off + len; off < end; ) {
      ByteBuffer slice = ByteBuffer.wrap(bytes, off, Math.min(SLICE, end - off));
      while (slice.hasRemaining()) {
        channel.write(slice, fileAt + slice.position());
      }
      off = slice.position();
    }
  }

  /**
   * Writes bytes to a new, exclusively created temporary file in {@code directory}, fsynced; the
   * file is removed if anything fails.
   *
   * @param directory where the file is created
   * @param prefix the start of its name
   * @param bytes its content
   * @return the file
   * @throws IOException if creating, writing or syncing it fails
   */
  static Path writeTemp(Path directory, String prefix, byte[] bytes) throws IOException {
    return writeTemp(directory, prefix, ch -> writeAll(ch, bytes, 0));
  }

  /**
   * Writes an encoded state to a new temporary file, as {@link #writeTemp(Path, String, byte[])}
   * writes bytes.
   *
   * @param directory where the file is created
   * @param prefix the start of its name
   * @param state its content
   * @return the file
   * @throws IOException if creating, writing or syncing it fails
   */
  static Path writeTemp(Path directory, String prefix, EncodedState state) throws IOException {
    return writeTemp(directory, prefix, state::writeTo);
  }

  private static Path writeTemp(Path directory, String prefix, Content content) throws IOException {
    Path tmp = Files.createTempFile(directory, prefix, ".tmp", OWNER_ONLY);
    FileChannel ch;
    try {
      ch = FileChannel.open(tmp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    fill(tmp, ch, content);
    return tmp;
  }

  /**
   * Creates {@code file} exclusively (never through a link), owner-only, and writes and fsyncs
   * {@code bytes} in it; the file is removed if writing fails.
   *
   * @param file the file to create
   * @param bytes its content
   * @return false, with nothing written, if the file already exists
   * @throws IOException if creating, writing or syncing it fails
   */
  static boolean writeNew(Path file, byte[] bytes) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS), OWNER_ONLY);
    } catch (FileAlreadyExistsException e) {
      return false;
    }
    fill(file, ch, c -> writeAll(c, bytes, 0));
    return true;
  }

  /** Writes and fsyncs a new file through its open channel, which it closes; removes it on failure. */
  private static void fill(Path file, FileChannel ch, Content content) throws IOException {
    try (ch) {
      content.writeTo(ch);
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /** What a new file gets, written from its start. */
  @FunctionalInterface
  private interface Content {
    void writeTo(FileChannel channel) throws IOException;
  }

  /** Holds the logger, created on first use. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(DurableFiles.class);
  }

  /**
   * A new name for {@code source} under a temporary name next to {@code target} (a copy where
   * links fail).
   */
  static Path linkTemp(Path source, Path target) throws IOException {
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
    try {
      Files.createLink(tmp, source);
    } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
      Files.deleteIfExists(tmp);
      Files.copy(source, tmp, StandardCopyOption.COPY_ATTRIBUTES);
    }
    return tmp;
  }

  /** Makes {@code link} another name of {@code target}'s current version, atomically replacing it. */
  static void linkReplacing(Path target, Path link) throws IOException {
    Path tmp = linkTemp(target, link);
    try {
      Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING);
    }
    // rename(2) does nothing when both names are already links to one file: drop the spare name
    Files.deleteIfExists(tmp);
  }

  /** Renames a temporary file over {@code target} atomically; the temporary file is removed if that fails. */
  static void moveInto(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /**
   * Removes the temporary files ({@code .*.tmp}) that writers which crashed left: those of the
   * state named {@code name} in its directory, and any in its history directory, except those that
   * {@code alive} says a live writer still holds. Called under the write lock.
   *
   * @param dir the state's directory
   * @param historyDir its history directory
   * @param name the state file's name
   * @param alive whether a temporary file is still being written (outside the write lock)
   * @throws IOException if listing or removing fails
   */
  static void removeStaleTemps(Path dir, Path historyDir, String name, Predicate<Path> alive) throws IOException {
    for (Path d : new Path[] {dir, historyDir}) {
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(d, ".*.tmp")) {
        for (Path p : stream) {
          if ((p.getFileName().toString().startsWith("." + name + ".") || d.equals(historyDir)) && !alive.test(p)) {
            Log.LOG.info("Removing {} left by a writer that crashed", p);
            Files.deleteIfExists(p);
          }
        }
      }
    }
  }

  /** Removes a leftover file if there is one; a failure is logged, since the next writer removes it. */
  static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      Log.LOG.debug("Could not remove {}; the next writer removes it", p, e);
    }
  }

  /**
   * Makes the entries of a directory durable (its renames, links and removals). Some platforms
   * cannot open or sync a directory; the renames are still atomic there.
   */
  static void fsyncDirectory(Path directory) throws IOException {
    try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
        throw e;
      }
    }
  }
}
