package io.infrastate.file;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import io.infrastate.spi.StoredForm;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one way the file backends read the files of a state (state file, journal, backup, history):
 * never through a symbolic link, only regular files, and only up to the maximum state size, all
 * checked before a byte is read.
 *
 * <h2>Why the type is checked before opening</h2>
 *
 * Opening a FIFO for reading blocks until a writer opens it, and a device such as {@code /dev/zero}
 * never ends. The file's type is read without following links ({@code lstat}) before it is opened,
 * and opened with {@link LinkOption#NOFOLLOW_LINKS}, so neither a link nor a special file is ever
 * opened. After opening, the file's identity is compared with the one checked: a file swapped in
 * between is refused too (a FIFO swapped in within that window could still block the open; only
 * someone who may already rewrite the state's directory can do that).
 *
 * <p>Stateless and thread-safe.
 */
final class StateFiles {
  /** The default of the maximum state size: 1 GiB. */
  static final long DEFAULT_MAX_SIZE = 1L << 30;

  /** The largest maximum size: what one array holds. */
  static final long LARGEST_MAX_SIZE = Integer.MAX_VALUE - 8;

  /** How the size limit is named in messages: the builder option and the URI parameter. */
  static final String OPTION = "maxStateSize (builder option, or ?maxStateSize=BYTES on the file URI)";

  private StateFiles() {}

  /**
   * Reads a whole file of a state.
   *
   * @param file the file
   * @param limit the most bytes accepted
   * @return its bytes
   * @throws NoSuchFileException if it does not exist
   * @throws CorruptStateException if it is not a regular file (a link, FIFO, device, directory)
   * @throws BackendException if it is larger than {@code limit}
   * @throws IOException on other I/O errors
   */
  static byte[] read(Path file, long limit) throws IOException {
    try (FileChannel ch = open(file, limit)) {
      long size = ch.size();
      ByteBuffer buf = ByteBuffer.allocate((int) size);
      while (buf.hasRemaining()) {
        if (ch.read(buf, buf.position()) < 0) {
          break;
        }
      }
      byte[] bytes = buf.array();
      return buf.hasRemaining() ? java.util.Arrays.copyOf(bytes, buf.position()) : bytes;
    }
  }

  /**
   * Reads and decodes a state file (the state, its backup or a version in the history), from a
   * stream: the file's bytes are never held whole beside the state decoded from them.
   *
   * @param file the file
   * @param limit the most bytes accepted
   * @param hint where earlier versions are, for the damage message ("" if none)
   * @return the snapshot
   * @throws NoSuchFileException if it does not exist
   * @throws CorruptStateException if it is not a regular file or does not parse
   * @throws BackendException if it is larger than {@code limit}
   * @throws IOException on other I/O errors
   */
  static Snapshot decode(Path file, long limit, String hint, StoredForm form) throws IOException {
    try (FileChannel ch = open(file, limit)) {
      ByteBuffer magic = ByteBuffer.allocate(StoredForm.MAGIC.length());
      while (magic.hasRemaining() && ch.read(magic) >= 0) {
        // fill
      }
      ch.position(0);
      if (!magic.hasRemaining() && StoredForm.isSealed(magic.array())) {
        // opened segment by segment as the decoder reads: neither the sealed nor the plain bytes are held whole
        return StateCodec.decode(form.openStream(Channels.newInputStream(ch), StoredForm.STATE, file.toString()),
            file.toString(), hint, limit);
      }
      return StateCodec.decode(Channels.newInputStream(ch), file.toString(), hint, limit);
    }
  }

  /**
   * Opens a file of a state for reading, after the checks every read makes: a regular file reached
   * without a link, the same file once opened, and no larger than {@code limit}.
   */
  private static FileChannel open(Path file, long limit) throws IOException {
    BasicFileAttributes before = regular(file);
    if (before.size() > limit) {
      throw tooLarge(file, before.size(), limit);
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    try {
      sameFile(file, before);
      long size = ch.size();
      if (size > limit) {
        throw tooLarge(file, size, limit);
      }
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Reads bytes [from, to) of a file of a state.
   *
   * @return the bytes, or null if the file vanished or is shorter
   * @throws CorruptStateException if it is not a regular file
   * @throws IOException on other I/O errors
   */
  static byte[] readRange(Path file, long from, long to) throws IOException {
    BasicFileAttributes before;
    try {
      before = regular(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(to - from));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      sameFile(file, before);
      long pos = from;
      while (buf.hasRemaining()) {
        int r = ch.read(buf, pos);
        if (r < 0) {
          return null;
        }
        pos += r;
      }
    } catch (NoSuchFileException e) {
      return null;
    }
    return buf.array();
  }

  /**
   * Checks, without following a link, that a path is a regular file if it exists.
   *
   * @return its attributes
   * @throws NoSuchFileException if it does not exist
   * @throws CorruptStateException if it is something else
   */
  static BasicFileAttributes regular(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) {
      throw notRegular(file, a);
    }
    return a;
  }

  private static void sameFile(Path file, BasicFileAttributes before) throws IOException {
    BasicFileAttributes now = regular(file);
    if (before.fileKey() != null && !before.fileKey().equals(now.fileKey())) {
      // the file checked is gone: callers treat it as vanished (a reader retries)
      throw new NoSuchFileException(file.toString(), null, "replaced while it was being opened");
    }
  }

  /** What kind of file it is, in words. */
  static String kind(BasicFileAttributes a) {
    if (a.isSymbolicLink()) {
      return "a symbolic link";
    } else if (a.isDirectory()) {
      return "a directory";
    } else if (a.isOther()) {
      return "a special file (a FIFO, socket or device)";
    }
    return "not a regular file";
  }

  static CorruptStateException notRegular(Path file, BasicFileAttributes a) {
    return new CorruptStateException(
        file.toString(),
        null,
        file + " is " + kind(a) + ", not a regular file: infrastate reads and replaces only regular files"
            + " there and follows no links beside the state. Nothing was read or written. Remove it or put the"
            + " state's file back in its place.",
        null);
  }

  static BackendException tooLarge(Path file, long size, long limit) {
    return new BackendException(
        file + " is " + size + " bytes, more than the maximum state size of " + limit + " bytes, so it was not"
            + " read and nothing was written. If the state is meant to be this large, raise the limit with "
            + OPTION + "; otherwise check what replaced the file.",
        null,
        false);
  }

  /**
   * Refuses a write that would make a state file larger than the limit, before anything is written.
   *
   * @throws BackendException if {@code size} exceeds {@code limit}
   */
  static void checkWriteSize(Path file, long size, long limit) {
    checkWriteSize(file.toString(), size, limit);
  }

  /**
   * Refuses a write that would make what a load reads larger than the limit.
   *
   * @param what the file or files, in words
   * @throws BackendException if {@code size} exceeds {@code limit}
   */
  static void checkWriteSize(String what, long size, long limit) {
    if (size > limit) {
      throw new BackendException(
          "Refusing a write that would make " + what + " " + size + " bytes: more than the maximum state size of " + limit
              + " bytes. Nothing was written. Raise the limit with " + OPTION + ", or remove hosts and resources.",
          null,
          false);
    }
  }
}
