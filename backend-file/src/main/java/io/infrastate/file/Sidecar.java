package io.infrastate.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sidecar next to a state file ({@code <name>.writelock}): its OS file lock serializes writers
 * across processes, and its first eight bytes hold a write generation that every save increments,
 * so that readers can tell cheaply whether anything was written.
 *
 * <p>One instance per sidecar path per JVM, shared by reference count: POSIX releases every lock a
 * process holds on a file when any descriptor of that file is closed, so the JVM must keep exactly
 * one channel open while anyone uses it. A {@link ReentrantLock} serializes threads of this JVM
 * before they take the OS lock ({@link FileChannel#lock()} is per process, not per thread).
 *
 * <p>The lock is re-entrant for the thread that holds it: a thread that holds it (a {@code State}
 * that keeps it across the reload, re-application and save of a conflicted write) takes it again
 * without touching the OS lock, which only its outermost hold takes and releases.
 *
 * <p>The generation is not fsynced: only live processes compare it, and a crash of the machine
 * ends them all. Correctness never rests on it alone: the state file's serial and lineage decide.
 *
 * <p>Instances are thread-safe.
 */
final class Sidecar {
  /*
   * Reading is harmless: building a backend and loading open nothing here. The file is created
   * when a writer first takes the lock (lock()); readers read the generation and the mark through
   * a read-only channel if the file exists and may be read, and otherwise go without (generation
   * 0, no mark): both only save work or add a check, correctness never rests on them.
   *
   * Both channels stay open until the last user releases the sidecar: closing any descriptor of
   * the file would drop the OS lock this process holds on it.
   *
   * Layout: bytes 0-7 the write generation; 8-15 one more than the serial of the last version
   * written (0: none recorded); 16-23 a fingerprint of that version's lineage. The mark lets a load
   * tell a state that lost versions (a journal or state file deleted, truncated or replaced by an
   * older copy) from one that never had them. 24-87 the base: what was last written as the state
   * file itself (see Base), so that an edit from outside is told apart (ExternalEdits). A sidecar
   * of 24 bytes (written before the base existed) reads as no base.
   */
  private static final Map<Path, Sidecar> OPEN = new HashMap<>();
  private static final int MARK_LAYOUT = 24;
  private static final int LAYOUT = 88;

  private final Path path;
  private final ReentrantLock jvmLock = new ReentrantLock();
  private int users;
  private volatile FileChannel channel;
  private volatile FileChannel readChannel;

  private Sidecar(Path path) {
    this.path = path;
  }

  /** Shares the sidecar at a path; opens and creates nothing (see {@link #lock()}). */
  static Sidecar acquire(Path path) {
    Path key = path.toAbsolutePath().normalize();
    synchronized (OPEN) {
      Sidecar s = OPEN.computeIfAbsent(key, Sidecar::new);
      s.users++;
      return s;
    }
  }

  /** Drops one user; the channels close with the last. */
  void release() throws IOException {
    synchronized (OPEN) {
      if (--users == 0) {
        OPEN.remove(path);
        try {
          close(channel);
        } finally {
          close(readChannel);
        }
      }
    }
  }

  private static void close(FileChannel ch) throws IOException {
    if (ch != null) {
      ch.close();
    }
  }

  /** Whether a writer in this JVM opened the sidecar (took or is about to take the write lock). */
  boolean writable() {
    return channel != null;
  }

  /** The channel for writers, creating the file (mode 0600, never through a link). */
  private FileChannel openWritable() throws IOException {
    FileChannel ch = channel;
    if (ch != null) {
      return ch;
    }
    synchronized (this) {
      if (channel == null) {
        try {
          ch = FileChannel.open(
              path,
              java.util.Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS),
              DurableFiles.OWNER_ONLY);
        } catch (java.nio.file.FileSystemException e) {
          if (Files.isSymbolicLink(path) || (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS))) {
            throw notRegular(e);
          }
          throw e;
        }
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
          ch.close();
          throw notRegular(null);
        }
        channel = ch;
      }
      return channel;
    }
  }

  private IOException notRegular(Throwable cause) {
    return new IOException(path + " is not a regular file; remove it so that infrastate can create its write lock there", cause);
  }

  /** A channel to read through: the writers' one, else a read-only one; null if none can be had. */
  private FileChannel readable() {
    FileChannel ch = channel;
    if (ch != null) {
      return ch;
    }
    ch = readChannel;
    if (ch != null) {
      return ch;
    }
    synchronized (this) {
      if (channel != null) {
        return channel;
      }
      if (readChannel == null) {
        try {
          if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            return null;
          }
          readChannel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | SecurityException e) {
          return null; // absent, or not ours to read: go without
        }
      }
      return readChannel;
    }
  }

  /**
   * Takes the JVM lock, then the OS lock; returns a handle that releases both. Re-entrant: a thread
   * that holds it already gets a handle that releases only its own hold.
   */
  Held lock() throws IOException {
    FileChannel ch = openWritable();
    jvmLock.lock();
    if (jvmLock.getHoldCount() > 1) {
      return new Held(null);
    }
    try {
      return new Held(ch.lock());
    } catch (IOException | RuntimeException e) {
      jvmLock.unlock();
      throw e;
    }
  }

  /**
   * Takes the JVM lock, then a shared OS lock, for a reader that writers kept outrunning: it waits
   * for the writer of the moment and keeps the next one out while it reads. Creates nothing.
   *
   * @return the held locks, or null if the sidecar does not exist or may not be read
   */
  Held lockShared() throws IOException {
    FileChannel ch = readable();
    if (ch == null) {
      return null;
    }
    jvmLock.lock();
    if (jvmLock.getHoldCount() > 1) {
      return new Held(null); // this thread holds the write lock already: it excludes every writer
    }
    try {
      return new Held(ch.lock(0, Long.MAX_VALUE, true));
    } catch (IOException | RuntimeException e) {
      jvmLock.unlock();
      throw e;
    }
  }

  /** Reads the layout; zeros where the file is shorter, absent or unreadable. */
  private ByteBuffer readLayout() throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(LAYOUT);
    FileChannel ch = readable();
    if (ch != null) {
      int n = 0;
      while (buf.hasRemaining()) {
        int r = ch.read(buf, n);
        if (r < 0) {
          break;
        }
        n += r;
      }
    }
    buf.clear();
    return buf;
  }

  /**
   * The generation and the mark, read together (one read).
   *
   * @param generation the write generation, as {@link #generation()}
   * @param mark the last version recorded, as {@link #mark()}
   */
  record Reading(long generation, Mark mark, Base base) {}

  /** Reads the generation, the mark and the base with one read. */
  Reading read() throws IOException {
    ByteBuffer buf = readLayout();
    long generation = buf.getLong();
    long serialPlusOne = buf.getLong();
    long lineage = buf.getLong();
    return new Reading(generation, serialPlusOne == 0 ? null : new Mark(serialPlusOne - 1, lineage), Base.read(buf));
  }

  /**
   * What was last written as the state file, read as {@link #mark()} is.
   *
   * @return the base, or null if none is recorded or the sidecar cannot be read
   */
  Base base() throws IOException {
    ByteBuffer buf = readLayout();
    buf.position(MARK_LAYOUT);
    return Base.read(buf);
  }

  /** The current write generation (0 if never written, or if the sidecar cannot be read). */
  long generation() throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(8);
    FileChannel ch = readable();
    if (ch == null) {
      return 0;
    }
    int n = 0;
    while (buf.hasRemaining()) {
      int r = ch.read(buf, n);
      if (r < 0) {
        return 0;
      }
      n += r;
    }
    buf.flip();
    return buf.getLong();
  }

  /**
   * The last version recorded as written, read before the state's files so that they hold it or a
   * later one.
   *
   * @return the mark, or null if none is recorded or it cannot be read
   */
  Mark mark() throws IOException {
    ByteBuffer buf = readLayout();
    buf.getLong();
    long serialPlusOne = buf.getLong();
    long lineage = buf.getLong();
    return serialPlusOne == 0 ? null : new Mark(serialPlusOne - 1, lineage);
  }

  /** Sets the write generation; call only while holding the lock. */
  void setGeneration(long generation) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(8).putLong(generation);
    buf.flip();
    write(buf);
  }

  /**
   * Sets the write generation and records the version just written; call only while holding the
   * lock. One write.
   */
  void setGeneration(long generation, long serial, String lineage) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(MARK_LAYOUT).putLong(generation).putLong(serial + 1).putLong(fingerprint(lineage));
    buf.flip();
    write(buf);
  }

  /**
   * Sets the write generation, records the version just written and what the state file now holds;
   * call only while holding the lock. One write.
   */
  void setGeneration(long generation, long serial, String lineage, Base base) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(LAYOUT).putLong(generation).putLong(serial + 1).putLong(fingerprint(lineage));
    base.write(buf);
    buf.flip();
    write(buf);
  }

  /**
   * Records what the state file now holds, leaving the generation and mark alone; call only while
   * holding the lock.
   */
  void setBase(Base base) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(LAYOUT - MARK_LAYOUT);
    base.write(buf);
    buf.flip();
    FileChannel ch = openWritable();
    int n = 0;
    while (buf.hasRemaining()) {
      n += ch.write(buf, MARK_LAYOUT + n);
    }
  }

  private void write(ByteBuffer buf) throws IOException {
    FileChannel ch = openWritable();
    int n = 0;
    while (buf.hasRemaining()) {
      n += ch.write(buf, n);
    }
  }

  /**
   * Adds one to the write generation; call only while holding the lock.
   *
   * @return the new generation
   */
  long bumpGeneration() throws IOException {
    long next = generation() + 1;
    setGeneration(next);
    return next;
  }

  /** A fingerprint of a lineage (FNV-1a over its characters); 0 for none. */
  static long fingerprint(String lineage) {
    if (lineage.isEmpty()) {
      return 0;
    }
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < lineage.length(); i++) {
      h = (h ^ lineage.charAt(i)) * 0x100000001b3L;
    }
    return h == 0 ? 1 : h;
  }

  /**
   * The last version a writer recorded.
   *
   * @param serial its serial
   * @param lineage the fingerprint of its lineage
   */
  record Mark(long serial, long lineage) {
    /**
     * Whether it is a version of this lineage later than {@code serial}: versions were lost. A
     * state of another lineage (replaced on purpose) is not compared.
     */
    boolean after(long serial, String lineage) {
      return this.serial > serial && this.lineage != 0 && this.lineage == fingerprint(lineage);
    }
  }

  /**
   * What infrastate last wrote as the state file: the version's serial and lineage, the file's
   * stamp right after it was written, and a hash of its bytes. A state file with that serial and
   * lineage but another stamp and other bytes, or one without serial and lineage where this
   * lineage stood, was written by another tool (see {@link ExternalEdits}).
   *
   * @param serial the serial of the version the state file holds
   * @param lineage the fingerprint of its lineage ({@link #fingerprint})
   * @param stamp the file's stamp after the write; its inode is kept only where it is a number
   * @param hash1 the first 8 bytes of the SHA-256 of the file's bytes
   * @param hash2 the next 8 bytes
   */
  record Base(long serial, long lineage, FileStamp stamp, long hash1, long hash2) {
    /** Reads a base at the buffer's position; null if none is recorded (all zeros). */
    static Base read(ByteBuffer buf) {
      long serialPlusOne = buf.getLong();
      long lineage = buf.getLong();
      long ino = buf.getLong();
      long size = buf.getLong();
      long mtime = buf.getLong();
      long ctime = buf.getLong();
      long h1 = buf.getLong();
      long h2 = buf.getLong();
      if (serialPlusOne == 0) {
        return null;
      }
      return new Base(serialPlusOne - 1, lineage, new FileStamp(ino == 0 ? null : ino, size, mtime, ctime), h1, h2);
    }

    void write(ByteBuffer buf) {
      long ino = stamp != null && stamp.key() instanceof Long l ? l : 0;
      buf.putLong(serial + 1).putLong(lineage).putLong(ino)
          .putLong(stamp == null ? -1 : stamp.size()).putLong(stamp == null ? 0 : stamp.mtimeNanos())
          .putLong(stamp == null ? 0 : stamp.ctimeNanos()).putLong(hash1).putLong(hash2);
    }

    /** Whether a file with this stamp is certainly the one recorded (same inode and times). */
    boolean sameFile(FileStamp current) {
      return current != null && stamp.key() != null && stamp.equals(current);
    }
  }

  /** Both locks, released together. */
  final class Held implements AutoCloseable {
    /** The OS lock, taken by the outermost hold only; null for a nested one. */
    private final FileLock osLock;
    private boolean released;

    private Held(FileLock osLock) {
      this.osLock = osLock;
    }

    @Override
    public void close() throws IOException {
      if (released) {
        return;
      }
      released = true;
      try {
        if (osLock != null) {
          osLock.release();
        }
      } finally {
        jvmLock.unlock();
      }
    }
  }
}
