package io.infrastate.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
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
  private static final Map<Path, Sidecar> OPEN = new HashMap<>();

  private final Path path;
  private final FileChannel channel;
  private final ReentrantLock jvmLock = new ReentrantLock();
  private int users;

  private Sidecar(Path path, FileChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /** Opens (or shares) the sidecar at a path, creating it with mode 0600. */
  static Sidecar acquire(Path path) throws IOException {
    Path key = path.toAbsolutePath().normalize();
    synchronized (OPEN) {
      Sidecar s = OPEN.get(key);
      if (s == null) {
        FileChannel ch = FileChannel.open(
            key, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE), DurableFiles.OWNER_ONLY);
        if (Files.isSymbolicLink(key) || !Files.isRegularFile(key, LinkOption.NOFOLLOW_LINKS)) {
          ch.close();
          throw new IOException(key + " is not a regular file; remove it so that infrastate can create its write lock there");
        }
        s = new Sidecar(key, ch);
        OPEN.put(key, s);
      }
      s.users++;
      return s;
    }
  }

  /** Drops one user; the channel closes with the last. */
  void release() throws IOException {
    synchronized (OPEN) {
      if (--users == 0) {
        OPEN.remove(path);
        channel.close();
      }
    }
  }

  /**
   * Takes the JVM lock, then the OS lock; returns a handle that releases both. Re-entrant: a thread
   * that holds it already gets a handle that releases only its own hold.
   */
  Held lock() throws IOException {
    jvmLock.lock();
    if (jvmLock.getHoldCount() > 1) {
      return new Held(null);
    }
    try {
      return new Held(channel.lock());
    } catch (IOException | RuntimeException e) {
      jvmLock.unlock();
      throw e;
    }
  }

  /** The current write generation (0 if never written). */
  long generation() throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(8);
    int n = 0;
    while (buf.hasRemaining()) {
      int r = channel.read(buf, n);
      if (r < 0) {
        return 0;
      }
      n += r;
    }
    buf.flip();
    return buf.getLong();
  }

  /** Sets the write generation; call only while holding the lock. */
  void setGeneration(long generation) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(8).putLong(generation);
    buf.flip();
    int n = 0;
    while (buf.hasRemaining()) {
      n += channel.write(buf, n);
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
