package io.infrastate.git;

import io.infrastate.model.BackendException;
import io.infrastate.model.CommitOutcomeUnknownException;
import java.io.IOException;
import java.util.Objects;
import java.util.OptionalLong;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcome of a write whose reply was lost, behind {@link GitBackend}: deciding a push whose
 * connection broke after it was sent, and finding a write's own commit by its id.
 *
 * <h2>Lost push replies</h2>
 *
 * A push whose connection breaks after it was sent ({@link RefStore.PushOutcomeUnknown}) may or may
 * not have moved the remote's branch. The save resolves it before returning by asking the remote
 * where the branch is: at this commit, or at a commit whose history holds it, the write is stored;
 * still at the expected old tip, it is not, and the same commit is pushed again with the same
 * expected old value (if the first push lands meanwhile the remote reports it up to date); anywhere
 * else, another writer's version is there and this commit can never land: a conflict. Only when the
 * remote cannot be asked does the save throw {@link CommitOutcomeUnknownException}. Local mode has
 * no reply to lose: the ref update is a local rename.
 *
 * <h2>A write's own id</h2>
 *
 * Every commit carries its write's id in an {@code Infrastate-Write} trailer, and {@link
 * #committedBy} walks the file's history back from the tip to the commits of that serial, so that
 * the State can make a retry of that write a no-op when it was stored.
 *
 * <p>Not thread-safe: {@link GitBackend} calls it under its own lock.
 */
final class LostPush {
  private static final Logger LOG = LoggerFactory.getLogger(LostPush.class);

  private final BranchFile file;

  LostPush(BranchFile file) {
    this.file = file;
  }

  /**
   * Decides a push whose reply was lost: asks the remote where the branch is now. At this commit,
   * or at a descendant of it: stored. Still at the old tip: not stored, so the same commit is
   * pushed again with the same expected old value (if the first push lands meanwhile, the remote
   * is already there and the push reports it up to date). Anywhere else: another writer's
   * version, so this commit can never land (a conflict).
   *
   * @return whether this commit is on the branch
   * @throws CommitOutcomeUnknownException if the remote cannot be asked
   */
  boolean resolve(
      ObjectId old, ObjectId commit, PersonIdent who, String reflog, long serial, String writeId,
      RefStore.PushOutcomeUnknown lost) {
    RefStore store = file.store;
    LOG.warn("The reply to the push of version {} to {} was lost ({}); asking the remote whether it arrived", serial,
        file.location, lost.detail);
    String context = file.context();
    try {
      ObjectId now = store.read(file.branchRef, true, file.trackingRef, context, id -> id);
      if (commit.equals(now) || (now != null && !now.equals(old) && reaches(now, commit))) {
        store.track(file.trackingRef, commit.equals(now) ? commit : now);
        return true;
      }
      if (Objects.equals(now, old)) {
        return store.compareAndSet(file.branchRef, old, commit, who, reflog, file.trackingRef, context);
      }
      return false;
    } catch (IOException | BackendException e) {
      e.addSuppressed(lost);
      throw new CommitOutcomeUnknownException(file.location, serial, writeId, "the reply to the push of commit "
          + CommitFormat.abbrev(commit) + " to " + store.display + " was lost (" + lost.detail + ") and asking the"
          + " remote where " + file.branchRef + " is failed (" + e.getMessage() + ")", e);
    }
  }

  /** Whether {@code commit} is among the newest commits of the history of {@code tip}. */
  private boolean reaches(ObjectId tip, ObjectId commit) throws IOException {
    try (RevWalk rw = new RevWalk(file.repo)) {
      rw.markStart(rw.parseCommit(tip));
      int seen = 0;
      for (RevCommit c : rw) {
        if (c.equals(commit)) {
          return true;
        }
        if (++seen >= BranchFile.SCAN_LIMIT) {
          return false;
        }
      }
      return false;
    }
  }

  /**
   * Whether version {@code serial} was committed by the write with this id: a commit of the
   * branch's history of the state file with that serial carries it in its {@code Infrastate-Write}
   * trailer. Walks back from the tip (in clone mode, the remote's) until the serials are older.
   */
  boolean committedBy(long serial, String writeId) throws IOException {
    BranchFile.Tip tip = file.readTip();
    if (tip.commit() == null) {
      return false;
    }
    try (RevWalk rw = file.fileHistory(tip.commit())) {
      int seen = 0;
      for (RevCommit c : rw) {
        OptionalLong recorded = CommitFormat.serial(c);
        if (recorded.isPresent() && recorded.getAsLong() < serial) {
          return false;
        }
        if (recorded.isPresent() && recorded.getAsLong() == serial && writeId.equals(CommitFormat.writeId(c))) {
          return true;
        }
        if (++seen >= BranchFile.SCAN_LIMIT) {
          return false;
        }
      }
    }
    return false;
  }
}
