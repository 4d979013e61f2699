package io.infrastate.git;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write lock of one branch of a local repository: an OS file lock that every infrastate writer
 * of the branch holds around its update of the branch ref, so that a writer holding it across a
 * reload, a re-application and a save (the {@link io.infrastate.spi.ExclusiveWrites} section) is
 * sure its save cannot lose the compare-and-swap to another infrastate writer, in any process.
 *
 * <p>The lock file is {@code infrastate/<branch>.writelock} in the repository's (common) Git
 * directory, the branch name encoded as lock ref names are ({@link GitLockProvider#encode}). It is
 * not under {@code refs/}: Git would read a file there as a broken ref. It holds no data; it is
 * created by the first writer and never deleted (deleting it could let two writers lock two
 * different files). Git itself ignores it; people who commit with the {@code git} CLI do not take
 * it, and their commits are ordinary conflicts.
 *
 * <p>One instance per lock file per JVM, shared by reference count, with a {@link ReentrantLock}
 * that threads of this JVM take before the OS lock ({@link FileChannel#lock()} is per process, not
 * per thread). The lock is re-entrant for the thread that holds it: only its outermost hold opens
 * the file, takes the OS lock, and closes the file again. The file is open only while this JVM holds
 * the lock, so an interrupted wait (which closes its channel) cannot drop a lock some other thread
 * holds: POSIX releases all of a process's locks on a file when any descriptor of it is closed.
 *
 * <p>Instances are thread-safe.
 */
final class BranchWriteLock {
  /** The directory in the Git directory that holds the lock files. */
  static final String DIRECTORY = "infrastate";

  private static final String SUFFIX = ".writelock";
  private static final Map<Path, BranchWriteLock> OPEN = new HashMap<>();

  private final Path file;
  private final ReentrantLock jvmLock = new ReentrantLock();
  private int users;

  private BranchWriteLock(Path file) {
    this.file = file;
  }

  /**
   * Shares the write lock of a branch of the repository whose Git directory is {@code gitDir};
   * creates nothing yet.
   */
  static BranchWriteLock of(Path gitDir, String branch) {
    Path key = gitDir.toAbsolutePath().normalize().resolve(DIRECTORY).resolve(GitLockProvider.encode(branch) + SUFFIX);
    synchronized (OPEN) {
      BranchWriteLock l = OPEN.computeIfAbsent(key, BranchWriteLock::new);
      l.users++;
      return l;
    }
  }

  /** Drops one user; the last one forgets the instance. */
  void release() {
    synchronized (OPEN) {
      if (--users == 0) {
        OPEN.remove(file);
      }
    }
  }

  /** The lock file, for messages. */
  Path file() {
    return file;
  }

  /**
   * Takes the lock for the calling thread, waiting for other threads and processes. Re-entrant: a
   * thread that holds it already gets a handle that releases only its own hold.
   *
   * @throws IOException if the lock file cannot be created, opened or locked
   */
  Held lock() throws IOException {
    jvmLock.lock();
    if (jvmLock.getHoldCount() > 1) {
      return new Held(null, null);
    }
    FileChannel ch = null;
    try {
      ch = open();
      return new Held(ch, ch.lock());
    } catch (IOException | RuntimeException e) {
      try {
        if (ch != null) {
          ch.close();
        }
      } catch (IOException x) {
        e.addSuppressed(x);
      } finally {
        jvmLock.unlock();
      }
      throw e;
    }
  }

  /** Opens the lock file for writing (an exclusive lock needs it), creating it and its directory. */
  private FileChannel open() throws IOException {
    try {
      return FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      Files.createDirectories(file.getParent());
      FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS));
      shareLikeTheRepository();
      return ch;
    }
  }

  /**
   * A repository that its group (or everyone) may write, as {@code git init --shared} makes it,
   * gets a lock file and directory they may open too; otherwise the umask decides.
   */
  private void shareLikeTheRepository() {
    Path gitDir = file.getParent().getParent();
    PosixFileAttributeView repoView = Files.getFileAttributeView(gitDir.resolve("refs"), PosixFileAttributeView.class);
    if (repoView == null) {
      return;
    }
    try {
      Set<PosixFilePermission> repoPerms = repoView.readAttributes().permissions();
      Set<PosixFilePermission> add = EnumSet.noneOf(PosixFilePermission.class);
      if (repoPerms.contains(PosixFilePermission.GROUP_WRITE)) {
        add.add(PosixFilePermission.GROUP_READ);
        add.add(PosixFilePermission.GROUP_WRITE);
      }
      if (repoPerms.contains(PosixFilePermission.OTHERS_WRITE)) {
        add.add(PosixFilePermission.OTHERS_READ);
        add.add(PosixFilePermission.OTHERS_WRITE);
      }
      if (add.isEmpty()) {
        return;
      }
      Set<PosixFilePermission> filePerms = EnumSet.copyOf(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
      filePerms.addAll(add);
      Files.setPosixFilePermissions(file, filePerms);
      Set<PosixFilePermission> dirPerms = EnumSet.copyOf(Files.getPosixFilePermissions(file.getParent()));
      dirPerms.addAll(add);
      if (add.contains(PosixFilePermission.GROUP_WRITE)) {
        dirPerms.add(PosixFilePermission.GROUP_EXECUTE);
      }
      if (add.contains(PosixFilePermission.OTHERS_WRITE)) {
        dirPerms.add(PosixFilePermission.OTHERS_EXECUTE);
      }
      Files.setPosixFilePermissions(file.getParent(), dirPerms);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // Another user created them, or the file system has no modes: the creator's modes stand.
    }
  }

  /** A hold of the lock; closing it releases this hold (the OS lock with the outermost one). */
  final class Held implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock osLock;
    private boolean released;

    private Held(FileChannel channel, FileLock osLock) {
      this.channel = channel;
      this.osLock = osLock;
    }

    /**
     * Releases this hold, once; closing twice is harmless.
     *
     * @throws IOException if the OS lock or the file could not be released cleanly
     */
    @Override
    public void close() throws IOException {
      if (released) {
        return;
      }
      released = true;
      try {
        if (channel != null) {
          try {
            osLock.release();
          } finally {
            channel.close();
          }
        }
      } finally {
        jvmLock.unlock();
      }
    }
  }
}
