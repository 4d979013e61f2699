package io.infrastate.git;

import io.infrastate.model.StateException;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.spi.WriteLeases;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Lets a clone-mode save tell whether another writer holds the state's write lease ({@link
 * WriteLeases#LEASE_NAME}) at the moment it read the branch: then the save reports a conflict
 * without pushing, so that its writer backs off and queues for the lease instead of winning the
 * compare-and-swap against the holder.
 *
 * <p>The lease ref is read in the same round trip as the branch. Which leases are this backend's
 * own is known by their lock ids: the lock providers of {@link GitBackend#writeLeases} claim an id
 * before they push a lease record carrying it and forget it once they have pushed its release. A
 * claim whose push failed, or whose lease was taken over, does no harm: no other lease carries that
 * id. The lease is advisory, as {@link WriteLeases} says: an unreadable or damaged lease record is
 * treated as no lease.
 *
 * <p>Instances are thread-safe.
 */
final class WriteLeaseGate {
  /** The ref of the write lease. */
  static final String REF = GitLockProvider.refFor(WriteLeases.LEASE_NAME);

  private final Set<String> mine = ConcurrentHashMap.newKeySet();

  /** The last lease record decoded, by commit id: the lease changes far less often than it is read. */
  private volatile Seen seen;

  private record Seen(ObjectId commit, LockInfo info) {}

  /** Before a lease record with this id is pushed: a lease with it is this backend's own. */
  void claim(String lockId) {
    mine.add(lockId);
  }

  /** After the release of a lease with this id was pushed. */
  void forget(String lockId) {
    mine.remove(lockId);
  }

  /**
   * The lease another writer holds, if the lease ref is at {@code commit} and its record is live
   * (neither released nor expired at {@code now}) and not this backend's own.
   *
   * @param commit the lease ref's value, or null if there is none
   * @return the holder's lock, or null if no other writer holds the lease
   * @throws IOException if the lease commit cannot be read from {@code repo}
   */
  LockInfo heldByAnother(Repository repo, ObjectId commit, Instant now) throws IOException {
    if (commit == null) {
      return null;
    }
    Seen s = seen;
    if (s == null || !s.commit().equals(commit)) {
      s = new Seen(commit.copy(), decode(repo, commit));
      seen = s;
    }
    LockInfo info = s.info();
    if (info == null || info.released() || info.isExpired(now) || mine.contains(info.id())) {
      return null;
    }
    return info;
  }

  private static LockInfo decode(Repository repo, ObjectId commit) throws IOException {
    try (RevWalk rw = new RevWalk(repo)) {
      RevCommit c = rw.parseCommit(commit);
      ObjectReader reader = rw.getObjectReader();
      try (TreeWalk tw = TreeWalk.forPath(reader, GitLockProvider.LOCK_FILE, c.getTree())) {
        if (tw == null || (tw.getRawMode(0) & FileMode.TYPE_MASK) != FileMode.TYPE_FILE) {
          return null;
        }
        byte[] content;
        try (InputStream in = reader.open(tw.getObjectId(0), Constants.OBJ_BLOB).openStream()) {
          content = in.readNBytes(LockInfoCodec.MAX_SIZE + 1);
        }
        LockInfo info = LockInfoCodec.decode(content, REF + " at " + commit.name());
        return info.name().equals(WriteLeases.LEASE_NAME) ? info : null;
      }
    } catch (StateException | org.eclipse.jgit.errors.IncorrectObjectTypeException e) {
      return null; // damaged: GitLockProvider reports it to whoever takes the lease
    }
  }
}
