package io.infrastate.file;

import io.infrastate.model.BackendException;
import io.infrastate.lock.AbstractLockProvider;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.lock.LockNames;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Locks as files in a directory, one file per lock: {@code <dir>/<name>.lock}, holding the lock's
 * JSON ({@link LockInfoCodec}: id, name, operator, timestamp, operation, reason, created_at,
 * expires_at, pid, hostname, token, released), readable with {@code cat} and compatible with the GARZA lock-file
 * fields. Shared safely by threads, processes, and machines that see the directory through a file
 * system with working POSIX locks.
 *
 * <pre>{@code
 * try (FileLockProvider locks = FileLockProvider.in(Path.of("/var/lib/infra/locks"));
 *      Lock lock = locks.acquire("deploy", LockRequest.of("deploy api"), Duration.ofMinutes(5))) {
 *   // deploy
 * }
 * }</pre>
 *
 * <p>Files in the directory: {@code <name>.lock} (the lock, mode 0600; after a release it stays as
 * a released record that carries the fencing token on to the next acquisition), {@code .<name>.lock.guard} (an empty file whose OS lock guards changes to the lock; it
 * stays), and briefly {@code .<name>.lock.<random>.new} (a lock being written). Nothing is created
 * outside the directory: names are validated before any file is touched, and no path is followed
 * through a symbolic link.
 *
 * <p>Lock names become file names, so a name of many non-ASCII characters may exceed the file
 * system's file-name limit (255 bytes on most); such an acquire fails with a {@link
 * BackendException}.
 *
 * <p>Instances are thread-safe.
 */
public final class FileLockProvider extends AbstractLockProvider {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * AbstractLockProvider needs three atomic conditional writes. Each runs while holding the
   * name's guard: first a ReentrantLock per guard path shared by every provider in this JVM (an OS
   * file lock belongs to the process, and FileChannel.lock throws OverlappingFileLockException
   * when two threads of one process ask), then an exclusive fcntl lock on .<name>.lock.guard.
   * Under the guard, a writer re-reads the lock file and compares it with what the caller read;
   * every other writer of this name waits for the guard, so read-compare-write is atomic.
   *
   * Publishing a lock never exposes a partial file, even across a crash:
   *   create:  write .<name>.lock.<rnd>.new (CREATE_NEW, O_NOFOLLOW, 0600), fsync it, then
   *            link(2) it as <name>.lock -- a hard link is created exclusively (EEXIST if any
   *            file or symlink is there) and atomically; remove the temp name; fsync the dir.
   *   replace: write and fsync a temp file, rename(2) it over <name>.lock; fsync the dir.
   *   delete:  unlink <name>.lock; fsync the dir.
   * Readers (inspect, the first read of every operation) need no guard: they open <name>.lock with
   * O_NOFOLLOW and see the old or the new file, never a mix. Where hard links are not supported,
   * create falls back to CREATE_NEW on <name>.lock itself, written and fsynced under the guard; a
   * crash in that window leaves a damaged lock that is reported, never overwritten.
   *
   * A writer killed while holding the guard releases it (the kernel drops fcntl locks of dead
   * processes); its temp file is removed by the next writer of that name, under the same guard.
   * A holder killed while holding the lock leaves <name>.lock; its lease decides when it is stale.
   *
   * Only one descriptor of a guard file is open per JVM at a time (the JVM lock is taken first, and
   * the channel is closed before it is released), because closing any descriptor of a file drops
   * every fcntl lock the process holds on it.
   *
   * Guard files are never deleted: deleting one while another process holds or waits for its
   * lock would let a third process lock a new guard file of the same name, and two writers would
   * each believe they hold the guard.
   */

  private static final ConcurrentMap<Path, ReentrantLock> JVM_GUARDS = new ConcurrentHashMap<>();
  private static final String SUFFIX = ".lock";
  private static final String TEMP_SUFFIX = ".new";

  private final Path dir;

  private FileLockProvider(Path dir, LockOptions options) {
    super(options);
    this.dir = dir;
  }

  /**
   * A provider for the lock directory with default options; the directory is created (mode 0700)
   * if it does not exist.
   *
   * @param dir the lock directory
   * @return a new provider
   * @throws BackendException if the directory cannot be created or is not a directory
   */
  public static FileLockProvider in(Path dir) {
    return in(dir, LockOptions.defaults());
  }

  /**
   * A provider for the lock directory; see {@link #in(Path)}.
   *
   * @param dir the lock directory
   * @param options clock, operator, listener, poll intervals
   * @return a new provider
   * @throws BackendException if the directory cannot be created or is not a directory
   */
  public static FileLockProvider in(Path dir, LockOptions options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    Path abs = dir.toAbsolutePath().normalize();
    try {
      if (!Files.isDirectory(abs)) {
        Files.createDirectories(abs, DurableFiles.OWNER_ONLY_DIRECTORY);
      }
    } catch (IOException e) {
      throw new BackendException(
          "Could not create lock directory " + abs + ": " + e + ". Check that its parent exists and is writable.",
          e, false);
    }
    if (!Files.isDirectory(abs)) {
      throw new BackendException("Lock directory " + abs + " is not a directory", null, false);
    }
    try {
      // One canonical path per directory, so that every provider in this JVM shares its guards.
      abs = abs.toRealPath();
    } catch (IOException e) {
      throw new BackendException("Could not resolve lock directory " + abs + ": " + e, e, false);
    }
    return new FileLockProvider(abs, options);
  }

  /**
   * The lock directory.
   *
   * @return its absolute path
   */
  public Path directory() {
    return dir;
  }

  /**
   * The file that holds a lock while it is held.
   *
   * @param name a lock name
   * @return {@code <dir>/<name>.lock}
   * @throws IllegalArgumentException if the name breaks a naming rule
   */
  public Path lockFile(String name) {
    return inside(LockNames.validate(name) + SUFFIX);
  }

  @Override
  public String location() {
    return dir.toString();
  }

  // ---------------------------------------------------------------- primitives

  @Override
  protected Optional<LockRecord> readLock(String name) {
    Path file = lockFile(name);
    try {
      return read(file).map(LockRecord::of);
    } catch (IOException e) {
      throw io("read lock file " + file, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The files {@code <name>.lock} of the directory whose name is a valid lock name; guard and
   * temporary files (their names start with a dot) and other files are skipped, and so is a lock
   * file removed while listing.
   */
  @Override
  protected List<LockRecord> readLocks() {
    List<LockRecord> out = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        String f = p.getFileName().toString();
        if (f.startsWith(".") || !f.endsWith(SUFFIX)) {
          continue;
        }
        String name = f.substring(0, f.length() - SUFFIX.length());
        try {
          LockNames.validate(name);
        } catch (IllegalArgumentException e) {
          continue; // not a file this provider wrote
        }
        read(p).map(LockRecord::of).ifPresent(out::add);
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw io("list lock directory " + dir, e);
    }
    return out;
  }

  @Override
  protected boolean createLock(String name, LockInfo info) {
    Path file = lockFile(name);
    return changed(name, "create lock file " + file, () -> {
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      removeTemps(name);
      byte[] bytes = LockInfoCodec.encode(info);
      Path tmp = writeTemp(name, bytes);
      try {
        Files.createLink(file, tmp);
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException | FileSystemException e) {
        if (e instanceof FileSystemException fse && !linkUnsupported(fse)) {
          throw fse;
        }
        if (!DurableFiles.writeNew(file, bytes)) {
          return false;
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    });
  }

  @Override
  protected boolean replaceLock(String name, LockRecord expected, LockInfo next) {
    Path file = lockFile(name);
    return changed(name, "replace lock file " + file, () -> {
      if (!holds(file, expected)) {
        return false;
      }
      removeTemps(name);
      Path tmp = writeTemp(name, LockInfoCodec.encode(next));
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    });
  }

  @Override
  protected boolean deleteLock(String name, LockRecord expected) {
    Path file = lockFile(name);
    return changed(name, "delete lock file " + file, () -> {
      if (!holds(file, expected)) {
        return false;
      }
      Files.delete(file);
      return true;
    });
  }

  /**
   * Runs a change of lock {@code name} under its guard ({@link #guarded}); when it changed the
   * directory ({@code change} returned true), fsyncs the directory before returning.
   */
  private boolean changed(String name, String what, GuardedIo<Boolean> change) {
    try {
      return guarded(name, () -> {
        if (!change.run()) {
          return false;
        }
        DurableFiles.fsyncDirectory(dir);
        return true;
      });
    } catch (IOException e) {
      throw io(what, e);
    }
  }

  /** Whether the lock file still holds the lock {@code expected} read. Under the lock's guard. */
  private boolean holds(Path file, LockRecord expected) throws IOException {
    return read(file).filter(expected.info()::equals).isPresent();
  }

  // ---------------------------------------------------------------- files

  /** A path directly inside the lock directory; refuses anything that would resolve elsewhere. */
  private Path inside(String fileName) {
    Path p = dir.resolve(fileName).normalize();
    if (!dir.equals(p.getParent())) {
      throw new IllegalArgumentException("Invalid lock name: '" + fileName + "' would resolve outside " + dir);
    }
    return p;
  }

  private Optional<LockInfo> read(Path file) throws IOException {
    byte[] bytes;
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(file)) {
      // checked before opening: opening a FIFO would wait for a writer
      throw new IOException(file + " is not a regular file; infrastate reads only regular lock files. Remove it.");
    }
    try (SeekableByteChannel ch = Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      long size = ch.size();
      if (size > LockInfoCodec.MAX_SIZE) {
        bytes = new byte[LockInfoCodec.MAX_SIZE + 1];
      } else {
        bytes = new byte[(int) size];
      }
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // keep reading
      }
      if (buf.hasRemaining()) {
        bytes = java.util.Arrays.copyOf(bytes, buf.position());
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (FileSystemException e) {
      if (Files.isSymbolicLink(file)) {
        throw new IOException(file + " is a symbolic link; infrastate never follows links in a lock"
            + " directory. Remove it.", e);
      }
      throw e;
    }
    return Optional.of(LockInfoCodec.decode(bytes, file.toString()));
  }

  private Path writeTemp(String name, byte[] bytes) throws IOException {
    Path tmp = inside("." + name + SUFFIX + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + TEMP_SUFFIX);
    if (!DurableFiles.writeNew(tmp, bytes)) {
      throw new FileAlreadyExistsException(tmp.toString());
    }
    return tmp;
  }

  /** Removes temp files a killed writer of this name left; call only under the name's guard. */
  private void removeTemps(String name) throws IOException {
    String prefix = "." + name + SUFFIX + ".";
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, p -> {
      String f = p.getFileName().toString();
      if (!f.startsWith(prefix) || !f.endsWith(TEMP_SUFFIX)) {
        return false;
      }
      String middle = f.substring(prefix.length(), f.length() - TEMP_SUFFIX.length());
      return !middle.isEmpty() && middle.indexOf('.') < 0;
    })) {
      for (Path p : stream) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static boolean linkUnsupported(FileSystemException e) {
    String reason = String.valueOf(e.getReason()).toLowerCase(Locale.ROOT);
    return reason.contains("not supported") || reason.contains("not permitted");
  }

  /** Work done while holding the name's guard. */
  @FunctionalInterface
  private interface GuardedIo<T> {
    T run() throws IOException;
  }

  private <T> T guarded(String name, GuardedIo<T> work) throws IOException {
    Path guard = inside("." + name + SUFFIX + ".guard");
    ReentrantLock jvm = JVM_GUARDS.computeIfAbsent(guard, g -> new ReentrantLock());
    jvm.lock();
    try (FileChannel ch = FileChannel.open(
            guard,
            Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS),
            DurableFiles.OWNER_ONLY);
        FileLock os = ch.lock()) {
      return work.run();
    } catch (FileSystemException e) {
      if (Files.isSymbolicLink(guard)) {
        throw new IOException(guard + " is a symbolic link; infrastate never follows links in a lock"
            + " directory. Remove it.", e);
      }
      throw e;
    } finally {
      jvm.unlock();
    }
  }

  private BackendException io(String what, IOException e) {
    return new BackendException(
        "Could not " + what + ": " + e.getMessage() + ". Check that the lock directory " + dir
            + " exists, is writable and has free space; no lock was changed by this call.",
        e, true);
  }
}
