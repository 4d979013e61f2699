package io.infrastate.git;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import io.infrastate.codec.EntryEncodings;
import io.infrastate.lock.LockInfo;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.StoredForm;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * The state file on its branch, behind {@link GitBackend}: where it is (repository, branch, path),
 * reading the branch tip and the file's blob in a commit, walking the commits that changed it, and
 * the stored version at the tip.
 *
 * <h2>Identity of a version</h2>
 *
 * A version is the content of the state file at the ref's commit; its identity for
 * compare-and-swap is the file's blob id ({@link GitVersion#blobId}). In clone mode the tip is the
 * remote's, fetched before it is read; the remote-tracking ref keeps the tip's objects reachable
 * while they are read.
 *
 * <h2>Decoding cache</h2>
 *
 * Decoding is cached by blob id, so a load of an unchanged state reads one ref (and in clone mode
 * makes one round trip) and parses nothing. A person's commit is numbered on every read ({@link
 * ExternalCommits#asVersion}), as it depends on the commit, not only on the blob.
 *
 * <p>Not thread-safe: {@link GitBackend} calls it under its own lock.
 */
final class BranchFile {
  /** How many commits a walk back through the history looks at, at most. */
  static final int SCAN_LIMIT = 1000;
  private static final String TRACKING_PREFIX = "refs/remotes/origin/";

  final RefStore store;
  final Repository repo;
  final String location;
  final String branch;
  final String branchRef;
  final String trackingRef;
  final String path;
  final List<String> segments;
  /** Person's commits and damage: numbering, and the messages that say how to repair. */
  final ExternalCommits external;
  /** Clone mode: tells a save whether another writer holds the write lease; null in local mode. */
  final WriteLeaseGate leaseGate;
  /** The form of every blob of the state file ({@link StoredForm#PLAIN} unless a keyring set another). */
  volatile StoredForm form = StoredForm.PLAIN;
  /** The layout a new state is written in. */
  final GitLayout layout;
  /** The tree layout beside {@link #path}, read whenever a commit has its marker there. */
  final TreeLayout tree;
  /** The entries of the last state encoded for a commit: the next one encodes only what changed. */
  final EntryEncodings encodings = new EntryEncodings();
  /** The trees and commit of this backend's last write, which the next one reads from memory. */
  final ObjectBatch.Recent recent = new ObjectBatch.Recent();
  /** Which commits of the history made a version. */
  private final VersionCommits versions;
  private Cached cached;

  private record Cached(ObjectId blob, Snapshot snapshot) {}

  /**
   * The branch tip: commit null if the branch does not exist; blob null if the state does not. The
   * blob is the state file's blob, or in the tree layout ({@code tree}) the version's content id
   * ({@link TreeLayout.Roots#contentId}). {@code lease}: another writer's live write lease, when read
   * for a save in clone mode, else null.
   */
  record Tip(RevCommit commit, ObjectId blob, boolean tree, LockInfo lease) {}

  BranchFile(RefStore store, String branch, String path, GitLayout layout) {
    this.layout = layout;
    this.tree = new TreeLayout(path);
    this.store = store;
    this.repo = store.repo;
    this.branch = branch;
    this.branchRef = Constants.R_HEADS + branch;
    this.trackingRef = TRACKING_PREFIX + branch;
    this.path = path;
    this.segments = List.of(path.split("/"));
    this.location = store.location(branch + ":" + path);
    this.external = new ExternalCommits(this);
    this.versions = new VersionCommits(this);
    this.leaseGate = store.isRemote() ? new WriteLeaseGate() : null;
  }

  /** Refuses a branch name Git would refuse. */
  static void checkBranch(String branch) {
    if (branch.isEmpty() || !Repository.isValidRefName(Constants.R_HEADS + branch)) {
      throw new IllegalArgumentException("branch is not a valid Git branch name: '" + branch + "'");
    }
  }

  /** Refuses a path that is not a relative path to a file in a Git tree. */
  static void checkPath(String path) {
    String why = null;
    if (path.isEmpty()) {
      why = "it is empty";
    } else if (path.startsWith("/") || path.endsWith("/")) {
      why = "it must be relative to the repository root, without a leading or trailing '/'";
    } else if (Arrays.stream(path.split("/", -1)).anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
      why = "it has an empty, '.' or '..' component";
    } else {
      try {
        new ObjectChecker().checkPath(path);
      } catch (CorruptObjectException e) {
        why = e.getMessage();
      }
    }
    if (why != null) {
      throw new IllegalArgumentException("path is not a valid file path in a Git repository: '" + path + "' (" + why + ")");
    }
  }

  /** How messages name the branch: {@code branch B of LOCATION}. */
  String context() {
    return "branch " + branch + " of " + location;
  }

  Tip readTip() throws IOException {
    return readTip(false);
  }

  /** The tip; with {@code lease} in clone mode, and the write lease in the same round trip. */
  Tip readTip(boolean lease) throws IOException {
    boolean gate = lease && leaseGate != null;
    // Read later (the blob's bytes, the history), the tip's objects stay reachable from trackingRef.
    return store.read(branchRef, gate ? WriteLeaseGate.REF : null, true, trackingRef, context(), (id, leaseId) -> {
      LockInfo other = gate ? leaseGate.heldByAnother(repo, leaseId, Instant.now()) : null;
      if (id == null) {
        return new Tip(null, null, false, other);
      }
      try (ObjectReader reader = recent.reader(repo);
          RevWalk rw = new RevWalk(reader)) {
        RevCommit c = rw.parseCommit(id);
        ObjectId file = fileBlobIn(rw.getObjectReader(), c, true);
        if (TreeLayout.MARKER_ID.equals(file)) {
          return new Tip(c, tree.rootsIn(rw.getObjectReader(), c.getTree(), sourceAt(c)).contentId(), true, other);
        }
        return new Tip(c, file, false, other);
      }
    });
  }

  /**
   * The version's identity in a commit, or null if absent: the state file's blob, or in the tree
   * layout the content id. Damage (not a regular file, a tree layout without its metadata) throws.
   */
  ObjectId blobIn(ObjectReader reader, RevCommit c, boolean atTip) throws IOException {
    ObjectId file = fileBlobIn(reader, c, atTip);
    return TreeLayout.MARKER_ID.equals(file) ? tree.rootsIn(reader, c.getTree(), sourceAt(c)).contentId() : file;
  }

  /**
   * The version in a commit, whose identity {@link #blobIn} gave: the state file decoded, or the
   * tree layout's files.
   */
  Snapshot decode(ObjectReader reader, RevCommit c, ObjectId blob, String source, String hint) throws IOException {
    if (TreeLayout.MARKER_ID.equals(fileBlobIn(reader, c, false))) {
      return tree.decode(reader, tree.rootsIn(reader, c.getTree(), source), source, hint);
    }
    return StateCodec.decode(read(reader, blob), source, hint);
  }

  /** The state file's blob in a commit, or null if absent. Not a regular file: damage. */
  ObjectId fileBlobIn(ObjectReader reader, RevCommit c, boolean atTip) throws IOException {
    try (TreeWalk tw = TreeWalk.forPath(reader, path, c.getTree())) {
      if (tw == null) {
        return null;
      }
      int type = tw.getRawMode(0) & FileMode.TYPE_MASK;
      if (type == FileMode.TYPE_FILE) {
        return tw.getObjectId(0);
      }
      String what = type == FileMode.TYPE_TREE ? "a directory"
          : type == FileMode.TYPE_SYMLINK ? "a symbolic link"
          : type == FileMode.TYPE_GITLINK ? "a submodule" : "not a regular file";
      throw new CorruptStateException(
          sourceAt(c),
          null,
          "State " + sourceAt(c) + " is damaged: " + path + " is " + what + ", not a regular file. It was not"
              + " modified" + (atTip ? "; replace it with the state file in a commit (see `git log -- " + path
              + "`), then retry." : "."),
          null);
    }
  }

  /**
   * The state file's blob in a commit of its history, or null if it is absent or not a regular
   * file there: walks back through the history skip such commits.
   */
  ObjectId blobOrNull(ObjectReader reader, RevCommit c) throws IOException {
    try {
      return blobIn(reader, c, false);
    } catch (CorruptStateException e) {
      return null;
    }
  }

  /** The stored version at the tip, which has the file: decoded once per blob, numbered per commit. */
  StoredState storedAt(Tip tip) throws IOException {
    Cached c = cached;
    Snapshot s;
    if (c != null && c.blob().equals(tip.blob())) {
      s = c.snapshot();
    } else {
      try (ObjectReader reader = repo.newObjectReader()) {
        s = external.decodeTip(reader, tip.commit(), tip.blob());
      }
      cached = new Cached(tip.blob(), s);
    }
    try (ObjectReader reader = repo.newObjectReader()) {
      s = external.asVersion(reader, tip.commit(), s);
    }
    return new StoredState(s, token(s, tip.commit(), tip.blob()));
  }

  /** Records what this backend just committed, so that reading it back parses nothing. */
  void remember(ObjectId blob, Snapshot snapshot) {
    cached = new Cached(blob, snapshot);
  }

  /**
   * The commits that made a version: that changed the state file or, in the tree layout, any of its
   * files, newest first ({@link VersionCommits}); in clone mode the walk fetches older history when
   * it reaches the shallow clone's boundary ({@link ShallowWalk}).
   */
  RevWalk fileHistory(RevCommit start) throws IOException {
    RevWalk rw = store.isRemote() ? new ShallowWalk(store, branchRef, trackingRef, context()) : new RevWalk(repo);
    try {
      rw.setTreeFilter(versions.paths(path));
      rw.setRevFilter(versions);
      rw.markStart(rw.parseCommit(start));
      return rw;
    } catch (IOException | RuntimeException e) {
      rw.close();
      throw e;
    }
  }

  String sourceAt(AnyObjectId commit) {
    return location + " at commit " + CommitFormat.abbrev(commit);
  }

  static GitVersion token(Snapshot s, AnyObjectId commit, AnyObjectId blob) {
    return new GitVersion(s.metadata().serial(), s.metadata().lineage(), commit.name(), blob.name());
  }

  /** The state file's bytes in a blob, opened through the stored form (decrypted if sealed). */
  byte[] read(ObjectReader reader, AnyObjectId blob) throws IOException {
    ObjectLoader loader = reader.open(blob, Constants.OBJ_BLOB);
    try (InputStream in = loader.openStream()) {
      return form.open(in.readAllBytes(), StoredForm.STATE, location + " blob " + blob.name());
    }
  }
}
