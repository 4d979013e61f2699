package io.infrastate.git;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Commits that people make to the state file with the {@code git} CLI, behind {@link GitBackend}:
 * numbering such a commit as a version of its own, and, when one damaged or deleted the file,
 * saying which commit did it and how to repair it.
 *
 * <h2>A person's commit is a version</h2>
 *
 * A commit without infrastate's trailers is a version of its own even where its file kept the
 * previous version's serial (a {@code jq} edit) or has no serial and lineage (a Go-FTL2 writer's
 * file): it then counts as the previous version's serial + 1, of its lineage, and the next write
 * follows it. The number is derived from the history alone, so every reader in every process gives
 * the same commit the same serial, and nothing is written to number it.
 *
 * <h2>Damage stops writes</h2>
 *
 * A damaged state file at the tip (unparsable, invalid, not a regular file) or one deleted by a
 * commit is reported as a {@link CorruptStateException} that names the culprit commit and the last
 * good one; the save protocol reads (and so decodes) the tip before it builds a commit, so nothing
 * is ever committed on top of damage.
 *
 * <p>Not thread-safe: {@link GitBackend} calls it under its own lock.
 */
final class ExternalCommits {
  private final BranchFile file;

  ExternalCommits(BranchFile file) {
    this.file = file;
  }

  /**
   * A person's commit (one without infrastate's trailers) as a version of its own: where the file it
   * committed keeps the serial of the version before it (a jq or editor change that left {@code
   * metadata} alone) or has no serial and lineage (a Go-FTL2 writer's file), it gets the previous
   * version's serial + 1 and its lineage, as the file backend records an external edit. A commit
   * that raised the serial itself, or holds another lineage, is taken as it is. Infrastate's own
   * commits are taken as they are.
   */
  Snapshot asVersion(ObjectReader reader, RevCommit c, Snapshot s) throws IOException {
    if (CommitFormat.serial(c).isPresent()) {
      return s;
    }
    Snapshot previous = null;
    try (RevWalk rw = file.fileHistory(c)) {
      for (RevCommit p : rw) {
        if (p.equals(c)) {
          continue;
        }
        try {
          ObjectId blob = file.blobOrNull(reader, p);
          if (blob != null) {
            previous = asVersion(reader, p, file.decode(reader, p, blob, file.sourceAt(p), ""));
            break;
          }
        } catch (StateException e) {
          // a damaged version numbers nothing: look further back
        }
      }
    }
    if (previous == null || !previous.metadata().hasLineage()) {
      return s;
    }
    Metadata m = s.metadata();
    Metadata p = previous.metadata();
    boolean sameLineage = m.lineage().equals(p.lineage());
    if ((m.hasLineage() && !sameLineage) || (sameLineage && m.serial() > p.serial()) || p.serial() == Long.MAX_VALUE) {
      return s;
    }
    Map<String, Long> fences = new TreeMap<>(m.fences()); // a fencing token never goes back
    p.fences().forEach((lock, token) -> fences.merge(lock, token, Math::max));
    return s.withMetadata(new Metadata(m.version(), p.serial() + 1, p.lineage(), m.createdAt(), m.updatedAt(), fences));
  }

  /** Decodes the file at the tip; on damage, the message names the culprit commit and the last good one. */
  Snapshot decodeTip(ObjectReader reader, RevCommit commit, ObjectId blob) throws IOException {
    String source = file.sourceAt(commit);
    try {
      return file.decode(reader, commit, blob, source, "");
    } catch (CorruptStateException e) {
      String hint;
      try {
        hint = recoveryHint(reader, commit);
      } catch (IOException | RuntimeException x) {
        hint = "earlier versions are in `git log -- " + file.path + "`";
      }
      file.decode(reader, commit, blob, source, hint);
      throw e;
    }
  }

  private String recoveryHint(ObjectReader reader, RevCommit tip) throws IOException {
    RevCommit culprit = null;
    int scanned = 0;
    String push = pushHint();
    try (RevWalk rw = file.fileHistory(tip)) {
      for (RevCommit c : rw) {
        if (culprit == null) {
          culprit = c;
          continue;
        }
        if (++scanned > BranchFile.SCAN_LIMIT) {
          break;
        }
        ObjectId blob = file.blobOrNull(reader, c);
        if (blob == null) {
          continue;
        }
        try {
          Snapshot good = file.decode(reader, c, blob, file.sourceAt(c), "");
          String bad = CommitFormat.abbrev(culprit);
          return "commit " + bad + " by " + CommitFormat.operator(culprit.getAuthorIdent()) + " (\""
              + culprit.getShortMessage() + "\") made this change; the last good version is serial "
              + good.metadata().serial() + " in commit " + CommitFormat.abbrev(c) + ". Writes stop until it"
              + " is repaired: run `git revert " + bad + "` (or `git checkout " + CommitFormat.abbrev(c) + " -- "
              + file.path + "` and commit)" + push + ", then retry";
        } catch (StateException e) {
          // keep looking further back
        }
      }
    }
    if (culprit == null) {
      return "writes stop until it is repaired";
    }
    return "commit " + CommitFormat.abbrev(culprit) + " by " + CommitFormat.operator(culprit.getAuthorIdent())
        + " (\"" + culprit.getShortMessage() + "\") made this change and no earlier readable version is on branch "
        + file.branch + "; writes stop until the file is repaired in a new commit" + push;
  }

  /** The state file is absent at the tip: fine if it never existed, damage if a commit deleted it. */
  void checkNeverDeleted(BranchFile.Tip tip) throws IOException {
    if (tip.commit() == null) {
      return;
    }
    try (RevWalk rw = file.fileHistory(tip.commit())) {
      RevCommit deleter = rw.next();
      if (deleter != null) {
        throw new CorruptStateException(
            file.location,
            null,
            "State file " + file.path + " on branch " + file.branch + " of " + file.store.display
                + " was deleted by commit " + CommitFormat.abbrev(deleter) + " ("
                + CommitFormat.operator(deleter.getAuthorIdent()) + ", \"" + deleter.getShortMessage()
                + "\"); nothing was written. Restore it with `git revert " + CommitFormat.abbrev(deleter) + "`"
                + pushHint() + ", or use another path for a new state.",
            null);
      }
    }
  }

  /** The branch or the file is gone although version {@code known} was loaded from it. */
  CorruptStateException vanished(BranchFile.Tip tip, VersionToken known) throws IOException {
    if (tip.commit() == null) {
      String last = known instanceof GitVersion g ? " Its last known commit is " + g.commitId() + "." : "";
      return new CorruptStateException(
          file.location,
          null,
          "Branch " + file.branch + " of " + file.store.display + " has disappeared although version "
              + known.serial() + " was loaded from it; nothing was written. Restore the branch (`git branch "
              + file.branch + " COMMIT`" + (file.store.isRemote() ? " and push it" : "") + ")." + last,
          null);
    }
    try {
      checkNeverDeleted(tip);
    } catch (CorruptStateException e) {
      return e;
    }
    return new CorruptStateException(
        file.location,
        null,
        "State file " + file.path + " on branch " + file.branch + " of " + file.store.display
            + " has disappeared although version " + known.serial() + " was loaded from it; nothing was written."
            + " Restore it from `git log -- " + file.path + "`.",
        null);
  }

  private String pushHint() {
    return file.store.isRemote() ? " in a clone and push it" : "";
  }
}
