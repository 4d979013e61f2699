package io.infrastate.git;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a gc of a repository apart from fetches into it and reads of what they fetched, across the
 * threads of this JVM and across processes: fetches and reads hold it shared, a gc holds it
 * exclusively and only if nobody holds it.
 */
final class PackGuard {
  /*
   * Design notes: why, and how it stays correct.
   *
   * A fetch renames a new pack into objects/pack. JGit's gc lists that directory and deletes each
   * ".idx" whose ".pack" the listing did not show; a listing is not a snapshot, so a pack renamed
   * in during the gc can lose its index, and its objects with it (seen in tests: a lock ref then
   * pointed at a missing object). So a gc must not run while anybody fetches into the same
   * directory.
   *
   * Nor while anybody reads what a fetch brought in. A clone's gc keeps in its new pack only the
   * objects its refs reach, and deletes the packs it replaced at once (gc.prunePackExpire=now). A
   * fetched lock commit is reached by no ref of the clone, and a fetched state commit only once its
   * tracking ref is moved, after the fetch: a gc between the fetch and the read of the object moves
   * it out of the pack it came in (JGit loosens it) and deletes that pack under the reader. So a
   * read holds the guard from its check whether the clone has the object, through the fetch and
   * the tracking ref's update, to the end of the caller's use of the objects. (What vanishes from
   * the clone all the same is fetched again: RefStore.read.)
   *
   * In this JVM a ReentrantReadWriteLock per directory (one guard per directory, shared by every
   * store on it) does that. Across processes (several may share a clone directory) a file lock on
   * "infrastate-gc.lock" in the repository does: the first fetch or read of this JVM takes it shared
   * and the last one releases it (the JVM cannot hold two locks on one file region, so the shared lock
   * is counted); a gc takes it exclusively with tryLock and is skipped, not waited for, when it is
   * busy. A file system without locks (some network file systems) leaves only the in-JVM guard,
   * which is logged once.
   *
   * ONE FETCH AT A TIME. A clone is shallow (RefStore), and JGit rewrites its "shallow" file at the
   * end of a fetch from the set it read at the start, under a lock file that a concurrent writer
   * fails on rather than waits for. Two fetches at once could so lose each other's boundary
   * commits: a commit whose parents are missing but which the file no longer lists breaks every
   * walk through it. So fetches into one directory take turns: in this JVM a ReentrantLock, across
   * processes an exclusive lock on "infrastate-fetch.lock" (waited for: a fetch ends within the
   * transport's timeout). A gc never waits for it, so the order of the two locks cannot deadlock.
   */

  private static final Logger LOG = LoggerFactory.getLogger(PackGuard.class);
  private static final ConcurrentHashMap<Path, PackGuard> GUARDS = new ConcurrentHashMap<>();
  static final String LOCK_FILE = "infrastate-gc.lock";
  static final String FETCH_LOCK_FILE = "infrastate-fetch.lock";

  private final Path lockFile;
  private final Path fetchLockFile;
  private final ReentrantLock fetchLock = new ReentrantLock();
  private final ReentrantReadWriteLock jvm = new ReentrantReadWriteLock();
  private final Object sharedMutex = new Object();
  private int fetchers;
  private FileChannel sharedChannel;
  private volatile boolean warned;

  private PackGuard(Path gitDir) {
    this.lockFile = gitDir.resolve(LOCK_FILE);
    this.fetchLockFile = gitDir.resolve(FETCH_LOCK_FILE);
  }

  /** The guard of a repository's directory, one per directory in this JVM. */
  static PackGuard of(Path gitDir) {
    return GUARDS.computeIfAbsent(gitDir.toAbsolutePath().normalize(), PackGuard::new);
  }

  /**
   * A fetch that may write a pack, or a read of objects a fetch brought in; waits while a gc of
   * this directory runs.
   */
  <T> T using(IoSupplier<T> fetch) throws IOException {
    jvm.readLock().lock();
    try {
      enterShared();
      try {
        return fetch.get();
      } finally {
        leaveShared();
      }
    } finally {
      jvm.readLock().unlock();
    }
  }

  /**
   * A fetch that may rewrite the clone's {@code shallow} file, one at a time in this directory
   * across the threads of this JVM and across processes. Called inside {@link #using}.
   */
  <T> T fetching(IoSupplier<T> fetch) throws IOException {
    fetchLock.lock();
    FileChannel ch = null;
    try {
      if (fetchLock.getHoldCount() == 1) {
        try {
          ch = FileChannel.open(fetchLockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
              StandardOpenOption.WRITE);
          ch.lock(); // held until the channel closes
        } catch (IOException | OverlappingFileLockException e) {
          unsupported(e);
          close(ch);
          ch = null;
        }
      }
      return fetch.get();
    } finally {
      close(ch);
      fetchLock.unlock();
    }
  }

  /**
   * Runs a gc only if nobody fetches into this directory, here or in another process.
   *
   * @return whether it ran
   */
  boolean tryExclusive(Runnable gc) {
    if (!jvm.writeLock().tryLock()) {
      return false;
    }
    FileChannel ch = null;
    try {
      boolean alone;
      try {
        ch = open();
        alone = tryLock(ch) != null;
      } catch (IOException e) {
        unsupported(e);
        alone = true; // no file locks here: the guard of this JVM alone
      }
      if (alone) {
        gc.run();
      }
      return alone;
    } finally {
      close(ch); // releases the file lock
      jvm.writeLock().unlock();
    }
  }

  private void enterShared() {
    synchronized (sharedMutex) {
      if (fetchers++ > 0) {
        return;
      }
      try {
        sharedChannel = open();
        sharedChannel.lock(0, Long.MAX_VALUE, true); // held until the channel closes
      } catch (IOException | OverlappingFileLockException e) {
        unsupported(e);
        close(sharedChannel);
        sharedChannel = null;
      }
    }
  }

  private void leaveShared() {
    synchronized (sharedMutex) {
      if (--fetchers == 0) {
        close(sharedChannel);
        sharedChannel = null;
      }
    }
  }

  /** Closes a channel (which releases its lock); null does nothing. */
  private void close(FileChannel ch) {
    if (ch == null) {
      return;
    }
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("Could not close {}: {}", lockFile, e.toString());
    }
  }

  private FileChannel open() throws IOException {
    return FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private FileLock tryLock(FileChannel ch) throws IOException {
    try {
      return ch.tryLock(0, Long.MAX_VALUE, false);
    } catch (OverlappingFileLockException e) {
      return null;
    }
  }

  private void unsupported(Exception e) {
    if (!warned) {
      warned = true;
      LOG.warn("Cannot lock {} ({}); gc and fetches are kept apart only within this JVM", lockFile, e.toString());
    }
  }

  /** A fetch or a read. */
  @FunctionalInterface
  interface IoSupplier<T> {
    T get() throws IOException;
  }
}
