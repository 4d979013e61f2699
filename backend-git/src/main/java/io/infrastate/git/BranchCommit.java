package io.infrastate.git;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.StoredForm;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store protocol, behind {@link GitBackend}: read the tip, build a commit that changes only the
 * state file, and compare-and-swap the branch ref (locally, or by a push).
 *
 * <h2>The save</h2>
 *
 * <pre>
 * tip  = the branch's commit (local: read the ref; clone: ask the remote and fetch it)
 * blob = the state file in tip's tree
 * blob != expected.blobId             -&gt; Conflict(current = decode(blob)); decoding a damaged
 *                                        file throws, so nothing is written on top of damage
 * commit C = tree(tip) with only the state file replaced, parent tip, audit as author
 * local: RefUpdate(branch, expectedOld = tip, new = C)
 * clone: push C to the branch with expectedOld = tip (never forced)
 * the ref moved in between (LOCK_FAILURE, rejected push) -&gt; Conflict; the State re-applies
 * </pre>
 *
 * <h2>Atomicity</h2>
 *
 * Objects are written first and are invisible until the ref points at them; the ref update is the
 * single atomic step (JGit's RefDirectory creates {@code <ref>.lock} with O_EXCL, checks the
 * current value under the lock, and renames the lock over the ref: the same protocol as the git
 * CLI, so JGit writers in several processes and people running git serialize on it). On a remote,
 * receive-pack performs the same locked check of the old value. A crash before the ref update
 * leaves only unreachable objects, which {@code git gc} prunes; a crash after it leaves a complete
 * commit. A push whose reply is lost is decided by {@link LostPush}.
 *
 * <h2>Durability</h2>
 *
 * With fsync on (the default), loose objects and the ref lock file are fsynced before the rename
 * that publishes them (JGit's core.fsyncObjectFiles and core.fsyncRefFiles, set in memory only,
 * never written to the repository's config).
 *
 * <h2>Comparing blobs, not commits</h2>
 *
 * Comparing blob ids rather than commit ids means that a commit touching only other files does not
 * invalidate a writer's version: the next write is built on that new tip and keeps the other files.
 * The ABA case (the file changed and changed back) is harmless because the content, and so the
 * state, is then identical. In clone mode, commits whose push was rejected stay unreachable in the
 * clone directory.
 *
 * <h2>The write lease holds pushes back (clone mode)</h2>
 *
 * Another machine's push cannot be held off, so writers that keep conflicting take turns on the
 * state's write lease (a lock ref beside the branch, through {@link GitLockProvider}). A save reads
 * the lease ref in the same round trip as the branch ({@link WriteLeaseGate}); while a lease this
 * backend does not hold is live (neither released nor expired), it reports a conflict without
 * pushing, so that its writer backs off and queues for the lease instead of winning the
 * compare-and-swap against the holder. A writer whose save read the lease ref before the holder's
 * acquisition was pushed can still push after it, once; so the holder loses at most once per other
 * writer in flight when it got the lease. Writers outside the protocol (people with {@code git})
 * are not held back. The lease is advisory: correctness rests on the compare-and-swap alone, and a
 * holder that vanished holds the others back only until its lease ends.
 *
 * <p>Not thread-safe: {@link GitBackend} calls it under its own lock.
 */
final class BranchCommit {
  private static final Logger LOG = LoggerFactory.getLogger(BranchCommit.class);

  private final BranchFile file;
  private final LostPush lostPush;

  BranchCommit(BranchFile file, LostPush lostPush) {
    this.file = file;
    this.lostPush = lostPush;
  }

  /** Commits {@code request} if the state file at the tip is still the expected version. */
  SaveResult save(SaveRequest request) throws IOException {
    BranchFile.Tip tip = file.readTip(true);
    VersionToken expected = request.expected();
    if (!holds(tip, expected)) {
      return new SaveResult.Conflict(tip.blob() == null ? Optional.empty() : Optional.of(file.storedAt(tip)));
    }
    if (tip.lease() != null && tip.blob() != null) {
      // Another writer holds the write lease: let it win. This writer backs off and queues for it.
      LOG.debug("Not pushing to {}: {} holds the write lease until {}", file.location, tip.lease().operator(),
          tip.lease().expiresAt());
      return new SaveResult.Conflict(Optional.of(file.storedAt(tip)));
    }
    if (tip.blob() == null) {
      file.external.checkNeverDeleted(tip);
    }
    WorkTrees.checkNotCheckedOut(file);
    Snapshot next = request.snapshot();
    boolean asTree = tip.blob() == null ? file.layout == GitLayout.TREE : tip.tree();
    if (asTree) {
      refuseSealed(next);
    }
    PersonIdent who = CommitFormat.ident(request.audit().operator(), next.metadata().updatedAt());
    // an encrypted version's commit message names no operation or reason: they may name hosts
    AuditEntry shown = file.form.seals(next) ? new AuditEntry(request.audit().operator(), "", "", request.audit().locks())
        : request.audit();
    String message = CommitFormat.message(shown, next.metadata().serial(), request.writeId());
    ObjectId blob = null;
    ObjectId commit;
    ObjectId tree;
    Map<String, ObjectId> edits = null;
    ObjectBatch batch = null;
    // the tree layout writes its few objects as one batch, forced to disk together (ObjectBatch)
    try (ObjectInserter ins = asTree ? (batch = file.store.newBatch(file.recent)) : file.store.newInserter();
        ObjectReader reader = ins.newReader()) {
      ObjectId base = tip.commit() == null ? null : tip.commit().getTree();
      if (asTree) {
        if (tip.blob() == null && tip.commit() != null) {
          refuseOccupied(reader, tip.commit());
        }
        edits = tip.blob() == null ? file.tree.writeAll(ins, next)
            : file.tree.writeChanges(ins, file.storedAt(tip).snapshot(), next, request.changes());
        tree = TreeEdit.apply(reader, ins, base, edits);
      } else {
        byte[] content = file.form.seal(next, StoredForm.STATE, StateCodec.encode(next, file.encodings));
        blob = LooseBlobInserter.insertEncodedState(ins, content);
        tree = TreeEdit.put(reader, ins, base, file.segments, blob);
      }
      commit = insertCommit(ins, tree, tip, who, message);
      ins.flush();
      if (asTree) {
        blob = file.tree.rootsIn(reader, tree, file.location).contentId();
      }
    } catch (TreeEdit.PathConflictException e) {
      file.tree.clearPending();
      throw blocked(e, tip);
    }
    ObjectId old = tip.commit() == null ? null : tip.commit().getId();
    String reflog = "infrastate: " + CommitFormat.subject(message);
    boolean published;
    try (ObjectReader objects = batch != null ? batch.newReader() : null) {
      published = file.store.compareAndSet(file.branchRef, old, commit, who, reflog, file.trackingRef, file.context(),
          objects);
    } catch (RefStore.PushOutcomeUnknown e) {
      published = lostPush.resolve(old, commit, who, reflog, next.metadata().serial(), request.writeId(), e);
    }
    if (!published) {
      file.tree.clearPending();
      LOG.debug("Compare-and-swap on {} lost the race at {}; reporting a conflict", file.location, tip.commit());
      // Hand the winner's version to the State, which saves it a reload (a round trip in clone
      // mode). Decoding it throws if the winner left a damaged file.
      BranchFile.Tip now = file.readTip();
      if (now.blob() == null) {
        return new SaveResult.Conflict(Optional.empty());
      }
      StoredState current = file.storedAt(now);
      return new SaveResult.Conflict(Optional.of(current));
    }
    file.remember(blob, next);
    if (asTree) {
      batch.remember();
      try (ObjectReader reader = file.recent.reader(file.repo)) {
        file.tree.remember(reader, tip.blob(), tree, next, edits, tip.blob() == null);
      } finally {
        file.tree.clearPending();
      }
    }
    return new SaveResult.Saved(
        new GitVersion(next.metadata().serial(), next.metadata().lineage(), commit.name(), blob.name()));
  }

  private static ObjectId insertCommit(ObjectInserter ins, ObjectId tree, BranchFile.Tip tip, PersonIdent who,
      String message) throws IOException {
    CommitBuilder cb = new CommitBuilder();
    cb.setTreeId(tree);
    if (tip.commit() != null) {
      cb.setParentId(tip.commit());
    }
    cb.setAuthor(who);
    cb.setCommitter(who);
    cb.setEncoding(StandardCharsets.UTF_8);
    cb.setMessage(message);
    return ins.insert(cb);
  }

  private BackendException blocked(TreeEdit.PathConflictException e, BranchFile.Tip tip) {
    return new BackendException(
        "Cannot write the state file " + file.path + " on branch " + file.branch + " of " + file.store.display
            + ": " + e.getMessage() + " in commit " + CommitFormat.abbrev(tip.commit()) + ". Nothing was written;"
            + " move that entry away in a commit, or choose another path.",
        null,
        false);
  }

  /** A new tree layout must not write into files that are not its own. */
  private void refuseOccupied(ObjectReader reader, org.eclipse.jgit.revwalk.RevCommit at) throws IOException {
    String taken = file.tree.occupied(reader, at.getTree());
    if (taken != null) {
      throw new BackendException(
          "Cannot write the tree layout of " + file.location + ": " + taken + " already exists in commit "
              + CommitFormat.abbrev(at) + " and is not this state's. Nothing was written; put the state in a"
              + " directory of its own (a path such as state/state.json), or move " + taken + " away in a commit.",
          null,
          false);
    }
  }

  /** The tree layout stores entries in plain text: an encrypted state stays in the single file. */
  private void refuseSealed(Snapshot s) {
    if (file.form.seals(s)) {
      throw new BackendException(
          "Cannot write the encrypted state " + file.location + " in the tree layout: encryption needs the single-file"
              + " layout. Nothing was written; migrate it to the single-file layout (`infrastate state migrate"
              + " --layout single`) or open it without layout=tree.",
          null,
          false);
    }
  }

  /**
   * Converts the state at the tip to {@code target} in one commit that keeps the version (same
   * serial, same content): false if it is already in that layout.
   */
  boolean migrate(GitLayout target, String operator) throws IOException {
    BranchFile.Tip tip = file.readTip(true);
    if (tip.blob() == null) {
      file.external.checkNeverDeleted(tip);
      throw new BackendException("Cannot migrate " + file.location + ": there is no state on branch " + file.branch
          + " yet. Nothing was written; a new state is written in the layout the backend is configured with.",
          null, false);
    }
    if (tip.tree() == (target == GitLayout.TREE)) {
      return false;
    }
    WorkTrees.checkNotCheckedOut(file);
    StoredState current = file.storedAt(tip);
    Snapshot s = current.snapshot();
    if (target == GitLayout.TREE) {
      refuseSealed(s);
    }
    PersonIdent who = CommitFormat.ident(operator, java.time.Instant.now());
    String writeId = io.infrastate.spi.SaveRequest.newWriteId();
    AuditEntry audit = new AuditEntry(operator, "migrate to the " + target.uriName() + " layout", "");
    String message = CommitFormat.message(audit, s.metadata().serial(), writeId);
    ObjectId commit;
    try (ObjectInserter ins = file.store.newBatch(file.recent);
        ObjectReader reader = ins.newReader()) {
      Map<String, ObjectId> edits;
      if (target == GitLayout.TREE) {
        refuseOccupied(reader, tip.commit());
        edits = file.tree.writeAll(ins, s);
      } else {
        edits = file.tree.removeAll();
        edits.put(file.path, ins.insert(Constants.OBJ_BLOB, file.form.seal(s, StoredForm.STATE, StateCodec.encode(s))));
      }
      ObjectId tree = TreeEdit.apply(reader, ins, tip.commit().getTree(), edits);
      commit = insertCommit(ins, tree, tip, who, message);
      ins.flush();
    } catch (TreeEdit.PathConflictException e) {
      throw blocked(e, tip);
    } finally {
      file.tree.clearPending();
    }
    String reflog = "infrastate: " + CommitFormat.subject(message);
    boolean published;
    try {
      published = file.store.compareAndSet(file.branchRef, tip.commit().getId(), commit, who, reflog, file.trackingRef,
          file.context());
    } catch (RefStore.PushOutcomeUnknown e) {
      published = lostPush.resolve(tip.commit().getId(), commit, who, reflog, s.metadata().serial(), writeId, e);
    }
    if (!published) {
      throw new io.infrastate.model.ConflictException("Branch " + file.branch + " of " + file.store.display
          + " moved while its state was migrated; nothing was written. Run the migration again.", 1);
    }
    return true;
  }

  private boolean holds(BranchFile.Tip tip, VersionToken expected) throws IOException {
    if (!expected.exists()) {
      return tip.blob() == null;
    }
    if (tip.blob() == null) {
      throw file.external.vanished(tip, expected);
    }
    if (expected instanceof GitVersion g) {
      return tip.blob().name().equals(g.blobId());
    }
    return VersionToken.sameVersion(file.storedAt(tip).token(), expected);
  }
}
