package io.infrastate.git;

import io.infrastate.BackendException;
import io.infrastate.CommitOutcomeUnknownException;
import io.infrastate.CorruptStateException;
import io.infrastate.Snapshot;
import io.infrastate.StateException;
import io.infrastate.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.WriteLeases;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteHistory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.AndTreeFilter;
import org.eclipse.jgit.treewalk.filter.PathFilterGroup;
import org.eclipse.jgit.treewalk.filter.TreeFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a state as a file in a Git repository, on a branch: every write is one commit that changes
 * only the state file, with the audit entry as author, committer and message. Uses JGit; no {@code
 * git} binary is needed at run time.
 *
 * <h2>Modes</h2>
 *
 * <ul>
 *   <li><b>Local repository</b> ({@link Builder#repository(Path)}): the backend commits directly
 *       into a repository on this machine, bare or not. Several processes may share it: each write
 *       is a compare-and-swap on the branch ref, under the same {@code .lock} file protocol the
 *       {@code git} CLI uses. This is also the mode for a bare repository on a shared file system.
 *       Saves also take the branch's write lock (an OS file lock in the repository), so that a
 *       writer that conflicted holds off the others while it retries ({@link #exclusive()}).
 *   <li><b>Clone of a remote</b> ({@link Builder#remote(String)} and {@link
 *       Builder#cloneDirectory(Path)}): the backend keeps a bare clone in a directory of its own,
 *       fetches the branch before every read and write, commits on top of the fetched tip and
 *       pushes with the fetched tip as the expected old value. The remote may be an {@code ssh://}
 *       or {@code https://} URL, or a path. A push is never forced: a rejected push (another
 *       machine pushed first) is a conflict, and the {@link io.infrastate.State} re-applies the
 *       change on the new tip, with backoff and jitter, up to its attempt limit. A push the remote
 *       refuses for another reason (a hook, branch protection) is a {@link BackendException}.
 * </ul>
 *
 * <p>When the reply to a push is lost (the connection broke after the push was sent), the backend
 * asks the remote where the branch is before returning, and so reports the write stored, not
 * stored (pushing it again), or a conflict. Only if the remote cannot be reached then either does
 * the write fail with {@link io.infrastate.CommitOutcomeUnknownException}; a retry that passes it
 * back ({@link io.infrastate.AuditEntry#retrying}) finds the commit by its {@code Infrastate-Write}
 * trailer ({@link #committedBy}) and is then a no-op.
 *
 * <p>A path remote in clone mode is served by JGit's in-process {@code receive-pack}, which stores
 * each push as a pack. infrastate never lets such a push start JGit's automatic gc on the remote:
 * that gc deletes each pack index whose pack its listing of the pack directory missed, so a pack
 * another process was writing meanwhile can lose its index and its objects (seen in tests with 8
 * threads pushing: {@code git fsck} then reported a ref pointing at a missing object). Run {@code
 * git gc} on such a remote on a schedule, as servers do; or, for a repository on a shared disk,
 * prefer local mode. Pushes to a path remote fsync what they write unless {@link
 * Builder#fsync(boolean)} turned that off. SSH and HTTPS servers run their own {@code receive-pack}
 * and are not affected.
 *
 * <p>A branch that does not exist yet is created by the first write, as an orphan branch that holds
 * only the state file.
 *
 * <h2>URIs</h2>
 *
 * {@link io.infrastate.State#open(String)} opens this backend through {@link GitBackendProvider}:
 *
 * <pre>
 * git+file:///srv/infra.git#main:state/state.json              local repository
 * git+file:///srv/infra.git?clone=/var/cache/infra#main:state.json   clone of a repository on disk
 * git+ssh://git@host:22/org/infra.git#main:state.json
 * git+https://host/org/infra.git?clone=/var/cache/infra#main:state.json
 * </pre>
 *
 * The full grammar is in the {@linkplain io.infrastate.git package documentation}.
 *
 * <h2>Working with people who use the {@code git} CLI</h2>
 *
 * The repository stays an ordinary Git repository: people clone it, read {@code git log} and {@code
 * git show}, and commit to it. Their commits to other files are kept (each write edits only the
 * state file in the tip's tree) and do not make writes conflict. Their commits to the state file
 * are read back like any other version. A commit that damages the state file (unparsable,
 * invalid) stops all writes with a {@link CorruptStateException} that names the commit, the JSON
 * path and the last good commit, until someone reverts it; nothing is ever committed on top of a
 * damaged state. A state file deleted by a commit is damage too.
 *
 * <p>The backend moves only the branch ref and never touches a work tree. Writing to a branch that
 * is checked out in a non-bare repository (or in one of its linked work trees) is refused, as
 * {@code git push} refuses by default: the work tree would silently go stale and a later {@code
 * git commit -a} would revert the state. Use a bare repository, another branch, or a clone.
 *
 * <h2>History</h2>
 *
 * {@link #history(int)} lists the commits that changed the state file, newest first ({@code git log
 * -- state.json}); {@link #at(long)} reads the file at the newest such commit with that serial.
 * Each commit carries {@code Infrastate-Serial}, {@code Infrastate-Operation}, (when given) {@code
 * Infrastate-Reason} and {@code Infrastate-Write} (the write's id) trailers; for a person's commit without them, the serial is read from
 * the file and the operation is the commit's subject line. A person's commit is a version of its
 * own even where its file kept the previous version's serial (a {@code jq} edit) or has no serial
 * and lineage (a Go-FTL2 writer's file): it then counts as the previous version's serial + 1, of
 * its lineage, and the next write follows it.
 *
 * <h2>Maintenance</h2>
 *
 * Each write adds a commit, a tree and a blob as loose objects (about 12 KB on disk per write
 * before packing, about 100 bytes after). As {@code git commit} runs {@code git gc --auto}, the
 * backend lets JGit check every 64 writes and fetches whether the repository needs a gc: local mode
 * by the repository's own {@code gc.*} settings ({@code gc.auto=0} turns it off; with {@code
 * gc.autoDetach}, true by default, the gc runs on a background thread of the backend, which {@link
 * #close()} waits for, so a closed backend writes nothing more), the clone directory in the
 * foreground with replaced packs deleted at once. A clone's gc is skipped (and tried again on the
 * next operation) while anyone fetches into the same clone directory or reads what a fetch brought
 * in, in this JVM or, through a lock on the file {@code infrastate-gc.lock} in it, in another
 * process: JGit's gc could otherwise delete the index of a pack being fetched, or the pack of an
 * object being read. An object that vanishes from a clone all the same (a person's {@code git
 * prune}) is fetched again.
 *
 * <p>Instances are thread-safe: operations on one instance are serialized.
 */
public final class GitBackend implements HistoryBackend, ExclusiveWrites, WriteLeases, WriteHistory {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * The unit of storage is the branch ref. A version is the content of the state file at the
   * ref's commit; its identity for compare-and-swap is the file's blob id (GitVersion.blobId).
   *
   * save(expected, next):
   *   tip  = the branch's commit (local: read the ref; clone: ask the remote and fetch it)
   *   blob = the state file in tip's tree
   *   blob != expected.blobId             -> Conflict(current = decode(blob)); decoding a damaged
   *                                          file throws, so nothing is written on top of damage
   *   commit C = tree(tip) with only the state file replaced, parent tip, audit as author
   *   local: RefUpdate(branch, expectedOld = tip, new = C)
   *   clone: push C to the branch with expectedOld = tip (never forced)
   *   the ref moved in between (LOCK_FAILURE, rejected push) -> Conflict; the State re-applies
   *
   * Atomicity: objects are written first and are invisible until the ref points at them; the ref
   * update is the single atomic step (JGit's RefDirectory creates <ref>.lock with O_EXCL, checks
   * the current value under the lock, and renames the lock over the ref -- the same protocol as
   * the git CLI, so JGit writers in several processes and people running git serialize on it).
   * On a remote, receive-pack performs the same locked check of the old value. A crash before the
   * ref update leaves only unreachable objects, which `git gc` prunes; a crash after it leaves a
   * complete commit.
   *
   * Durability: with fsync on (the default), loose objects and the ref lock file are fsynced
   * before the rename that publishes them (JGit's core.fsyncObjectFiles and core.fsyncRefFiles,
   * set in memory only, never written to the repository's config).
   *
   * Progress in local mode (ExclusiveWrites). Every save holds the branch's write lock
   * (BranchWriteLock: an OS lock on infrastate/BRANCH.writelock in the Git directory, re-entrant
   * for its holding thread) from reading the tip to the ref update, taken before this instance's
   * own lock. After a conflict, State holds it across the reload, the re-application and the save,
   * so no infrastate writer of any process can move the ref in between: the retry cannot conflict
   * unless someone outside the protocol (the git CLI) commits to the branch meanwhile, which is an
   * ordinary conflict. A losing writer finds out when it reads the tip, before it writes any
   * object. Clone mode cannot hold other machines off and offers no section; its writers take
   * turns on the write lease instead.
   *
   * Comparing blob ids rather than commit ids means that a commit touching only other files does
   * not invalidate a writer's version: the next write is built on that new tip and keeps the other
   * files. The ABA case (the file changed and changed back) is harmless because the content, and
   * so the state, is then identical.
   *
   * Lost push replies. A push whose connection breaks after it was sent (RefStore's
   * PushOutcomeUnknown) may or may not have moved the remote's branch. save resolves it before
   * returning by asking the remote where the branch is: at this commit, or at a commit whose
   * history holds it, the write is stored; still at the expected old tip, it is not, and the same
   * commit is pushed again with the same expected old value (if the first push lands meanwhile the
   * remote reports it up to date); anywhere else, another writer's version is there and this
   * commit can never land: a conflict. Only when the remote cannot be asked does save throw
   * CommitOutcomeUnknownException. Every commit carries its write's id in an Infrastate-Write
   * trailer, and committedBy(serial, id) walks the file's history back from the tip to the
   * commits of that serial, so that State can make a retry of that write a no-op when it was
   * stored. Local mode has no reply to lose: the ref update is a local rename.
   *
   * The clone directory holds no state of its own: its remote-tracking ref is a cache of the last
   * fetched tip, and commits whose push was rejected are left unreachable there. Several
   * processes may share one clone directory; the remote's ref is the only truth. The remote's
   * credentials are held in memory only; the clone's config records the remote without them.
   *
   * Decoding is cached by blob id, so loadIfChanged() on an unchanged state reads one ref (and in
   * clone mode makes one round trip) and parses nothing.
   */

  private static final Logger LOG = LoggerFactory.getLogger(GitBackend.class);
  private static final String TRACKING_PREFIX = "refs/remotes/origin/";
  private static final int RECOVERY_SCAN_LIMIT = 1000;

  private final RefStore store;
  private final Repository repo;
  private final String location;
  private final String branch;
  private final String branchRef;
  private final String trackingRef;
  private final String path;
  private final List<String> segments;
  private final ReentrantLock lock = new ReentrantLock();
  /** Local mode: the branch's write lock, taken by every save around its ref update; null in clone mode. */
  private final BranchWriteLock writeLock;
  private volatile boolean closed;
  private Cached cached;

  private record Cached(ObjectId blob, Snapshot snapshot) {}

  /** The branch tip: commit null if the branch does not exist; blob null if the file does not. */
  private record Tip(RevCommit commit, ObjectId blob) {}

  private GitBackend(RefStore store, String branch, String path) {
    this.store = store;
    this.repo = store.repo;
    this.branch = branch;
    this.branchRef = Constants.R_HEADS + branch;
    this.trackingRef = TRACKING_PREFIX + branch;
    this.path = path;
    this.segments = List.of(path.split("/"));
    this.location = store.location(branch + ":" + path);
    this.writeLock = store.isRemote() ? null : BranchWriteLock.of(gitDirectory(repo), branch);
  }

  /** Where refs live: the common directory of a linked work tree, else the Git directory. */
  private static Path gitDirectory(Repository repo) {
    java.io.File common = repo.getCommonDirectory();
    return (common != null ? common : repo.getDirectory()).toPath();
  }

  /**
   * Starts a builder.
   *
   * <pre>{@code
   * GitBackend local = GitBackend.builder()
   *     .repository(Path.of("/srv/infra.git"))
   *     .branch("main")
   *     .path("state/state.json")
   *     .build();
   *
   * GitBackend cloned = GitBackend.builder()
   *     .remote("https://git.example.com/ops/infra.git")
   *     .cloneDirectory(Path.of("/var/cache/infrastate/infra"))
   *     .credentials(new UsernamePasswordCredentialsProvider("bot", token))
   *     .build();
   * }</pre>
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String location() {
    return location;
  }

  /**
   * The branch the state lives on.
   *
   * @return the short branch name, such as {@code main}
   */
  public String branch() {
    return branch;
  }

  /**
   * The state file's path inside the repository.
   *
   * @return a relative path such as {@code state/state.json}
   */
  public String path() {
    return path;
  }

  // ---------------------------------------------------------------- reads

  /**
   * {@inheritDoc}
   *
   * <p>In clone mode this fetches the branch first.
   *
   * @throws CorruptStateException if the file at the branch tip is damaged, is not a regular file,
   *     or was deleted by a commit (the message names the commit and how to restore the file)
   * @throws BackendException if the repository or remote cannot be read
   */
  @Override
  public Optional<StoredState> load() {
    lock.lock();
    try {
      checkOpen();
      Tip tip = readTip();
      if (tip.blob() == null) {
        checkNeverDeleted(tip);
        return Optional.empty();
      }
      return Optional.of(storedAt(tip));
    } catch (IOException e) {
      throw store.failure("read the state from " + location, e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads the branch ref (in clone mode, asks the remote for it) and compares the state file's
   * blob id; nothing is parsed unless the file changed. A commit that changed only other files is
   * not a change.
   */
  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    Objects.requireNonNull(known, "known");
    lock.lock();
    try {
      checkOpen();
      Tip tip = readTip();
      if (tip.blob() == null) {
        if (known.exists()) {
          throw vanished(tip, known);
        }
        return Optional.empty();
      }
      if (known instanceof GitVersion g && g.blobId().equals(tip.blob().name())) {
        return Optional.empty();
      }
      StoredState s = storedAt(tip);
      if (!(known instanceof GitVersion) && known.exists() && VersionToken.sameVersion(s.token(), known)) {
        return Optional.empty();
      }
      return Optional.of(s);
    } catch (IOException e) {
      throw store.failure("read the state from " + location, e);
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- writes

  /**
   * Commits the new version if the state file on the branch tip is still the expected one.
   *
   * <p>The commit changes only the state file; its author and committer are the audit entry's
   * operator ({@code "Name <email>"}, or any other text used as both), its time the snapshot's
   * update time, its message the capitalised audit message followed by {@code Infrastate-Serial},
   * {@code Infrastate-Operation} and {@code Infrastate-Reason} trailers. Local mode moves the
   * branch ref with the tip as expected old value; clone mode fetches first and pushes (never
   * forced) with the fetched tip as expected old value.
   *
   * <p>On {@link SaveResult.Conflict} nothing is published; in clone mode, the commit stays
   * unreachable in the clone directory. When the reply to the push is lost, the remote is asked
   * whether the commit arrived (see the class documentation).
   *
   * @throws CorruptStateException if the state file at the tip is damaged or was deleted
   * @throws CommitOutcomeUnknownException if the reply to the push was lost and the remote could
   *     not be asked afterwards whether the commit arrived
   * @throws BackendException if the branch is checked out in a work tree, the path is blocked (a
   *     file where a directory is needed), the remote refused the push for another reason than a
   *     concurrent write, or the repository or remote cannot be reached
   */
  @Override
  public SaveResult save(SaveRequest request) {
    Objects.requireNonNull(request, "request");
    if (writeLock == null) {
      return commitIfUnchanged(request);
    }
    BranchWriteLock.Held held = lockBranch();
    try {
      return commitIfUnchanged(request);
    } finally {
      try {
        held.close();
      } catch (IOException e) {
        LOG.warn("Could not release the write lock {} of {} cleanly: {}", writeLock.file(), location, e.toString());
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Local mode: takes the branch's write lock (the file {@code infrastate/BRANCH.writelock} in
   * the Git directory, locked with an OS lock), which every save of this backend takes around its
   * ref update, in every process. Clone mode: empty, as another machine's push cannot be held off;
   * writers there take turns on the write lease instead ({@link #writeLeases}).
   *
   * @throws BackendException if the lock file cannot be created or locked
   * @throws IllegalStateException if this backend is closed
   */
  @Override
  public Optional<Section> exclusive() {
    if (writeLock == null) {
      checkOpen();
      return Optional.empty();
    }
    BranchWriteLock.Held held = lockBranch();
    return Optional.of(() -> {
      try {
        held.close();
      } catch (IOException e) {
        throw new BackendException("Could not release the write lock " + writeLock.file() + " of " + location + ": "
            + e.getMessage() + ". The writes made under it are stored.", e, false);
      }
    });
  }

  private BranchWriteLock.Held lockBranch() {
    checkOpen();
    try {
      return writeLock.lock();
    } catch (java.nio.channels.ClosedByInterruptException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("Interrupted while waiting for the write lock " + writeLock.file() + " of "
          + location + "; nothing was written.", e, true);
    } catch (IOException e) {
      throw new BackendException("Could not take the write lock " + writeLock.file() + " of " + location + ": "
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ". Nothing was written; check that this user may"
          + " create and write that file.", e, false);
    }
  }

  /** {@link #save} itself, under the branch's write lock in local mode. */
  private SaveResult commitIfUnchanged(SaveRequest request) {
    lock.lock();
    try {
      checkOpen();
      Tip tip = readTip();
      VersionToken expected = request.expected();
      if (!holds(tip, expected)) {
        return new SaveResult.Conflict(tip.blob() == null ? Optional.empty() : Optional.of(storedAt(tip)));
      }
      if (tip.blob() == null) {
        checkNeverDeleted(tip);
      }
      checkNotCheckedOut();
      Snapshot next = request.snapshot();
      byte[] content = StateCodec.encode(next);
      PersonIdent who = CommitFormat.ident(request.audit().operator(), next.metadata().updatedAt());
      String message = CommitFormat.message(request.audit(), next.metadata().serial(), request.writeId());
      ObjectId blob;
      ObjectId commit;
      try (ObjectInserter ins = store.newInserter();
          ObjectReader reader = ins.newReader()) {
        blob = ins.insert(Constants.OBJ_BLOB, content);
        ObjectId tree = TreeEdit.put(reader, ins, tip.commit() == null ? null : tip.commit().getTree(), segments, blob);
        CommitBuilder cb = new CommitBuilder();
        cb.setTreeId(tree);
        if (tip.commit() != null) {
          cb.setParentId(tip.commit());
        }
        cb.setAuthor(who);
        cb.setCommitter(who);
        cb.setEncoding(StandardCharsets.UTF_8);
        cb.setMessage(message);
        commit = ins.insert(cb);
        ins.flush();
      } catch (TreeEdit.PathConflictException e) {
        throw new BackendException(
            "Cannot write the state file " + path + " on branch " + branch + " of " + store.display + ": "
                + e.getMessage() + " in commit " + CommitFormat.abbrev(tip.commit()) + ". Nothing was written;"
                + " move that entry away in a commit, or choose another path.",
            null,
            false);
      }
      ObjectId old = tip.commit() == null ? null : tip.commit().getId();
      String reflog = "infrastate: " + CommitFormat.subject(message);
      boolean published;
      try {
        published = store.compareAndSet(branchRef, old, commit, who, reflog, trackingRef, "branch " + branch + " of " + location);
      } catch (RefStore.PushOutcomeUnknown e) {
        published = resolveLostPush(old, commit, who, reflog, next.metadata().serial(), request.writeId(), e);
      }
      if (!published) {
        LOG.debug("Compare-and-swap on {} lost the race at {}; reporting a conflict", location, tip.commit());
        // Hand the winner's version to the State, which saves it a reload (a round trip in clone
        // mode). Decoding it throws if the winner left a damaged file.
        Tip now = readTip();
        if (now.blob() == null) {
          return new SaveResult.Conflict(Optional.empty());
        }
        StoredState current = storedAt(now);
        return new SaveResult.Conflict(Optional.of(current));
      }
      cached = new Cached(blob, next);
      return new SaveResult.Saved(
          new GitVersion(next.metadata().serial(), next.metadata().lineage(), commit.name(), blob.name()));
    } catch (IOException e) {
      throw store.failure("write the state to " + location, e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A {@link GitLockProvider} on this backend's repository (or clone): the write lease is the
   * ref {@code refs/infrastate/locks/infrastate-write-lease}. Closing it leaves the repository to
   * this backend; it fails once this backend is closed.
   */
  @Override
  public LockProvider writeLeases(LockOptions options) {
    checkOpen();
    return new GitLockProvider(store, options, false);
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
  private boolean resolveLostPush(
      ObjectId old, ObjectId commit, PersonIdent who, String reflog, long serial, String writeId,
      RefStore.PushOutcomeUnknown lost) {
    LOG.warn("The reply to the push of version {} to {} was lost ({}); asking the remote whether it arrived", serial,
        location, lost.detail);
    String context = "branch " + branch + " of " + location;
    try {
      ObjectId now = store.read(branchRef, true, trackingRef, context, id -> id);
      if (commit.equals(now) || (now != null && !now.equals(old) && reaches(now, commit))) {
        store.track(trackingRef, commit.equals(now) ? commit : now);
        return true;
      }
      if (Objects.equals(now, old)) {
        return store.compareAndSet(branchRef, old, commit, who, reflog, trackingRef, context);
      }
      return false;
    } catch (IOException | BackendException e) {
      e.addSuppressed(lost);
      throw new CommitOutcomeUnknownException(location, serial, writeId, "the reply to the push of commit "
          + CommitFormat.abbrev(commit) + " to " + store.display + " was lost (" + lost.detail + ") and asking the"
          + " remote where " + branchRef + " is failed (" + e.getMessage() + ")", e);
    }
  }

  /** Whether {@code commit} is among the newest commits of the history of {@code tip}. */
  private boolean reaches(ObjectId tip, ObjectId commit) throws IOException {
    try (RevWalk rw = new RevWalk(repo)) {
      rw.markStart(rw.parseCommit(tip));
      int seen = 0;
      for (RevCommit c : rw) {
        if (c.equals(commit)) {
          return true;
        }
        if (++seen >= RECOVERY_SCAN_LIMIT) {
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
   *
   * @throws BackendException if the repository or remote cannot be read
   */
  @Override
  public boolean committedBy(long serial, String writeId) {
    lock.lock();
    try {
      checkOpen();
      Tip tip = readTip();
      if (tip.commit() == null) {
        return false;
      }
      try (RevWalk rw = fileHistory(tip.commit())) {
        int seen = 0;
        for (RevCommit c : rw) {
          OptionalLong recorded = CommitFormat.serial(c);
          if (recorded.isPresent() && recorded.getAsLong() < serial) {
            return false;
          }
          if (recorded.isPresent() && recorded.getAsLong() == serial && writeId.equals(CommitFormat.writeId(c))) {
            return true;
          }
          if (++seen >= RECOVERY_SCAN_LIMIT) {
            return false;
          }
        }
      }
      return false;
    } catch (IOException e) {
      throw store.failure("read the history of " + location, e);
    } finally {
      lock.unlock();
    }
  }

  private boolean holds(Tip tip, VersionToken expected) throws IOException {
    if (!expected.exists()) {
      return tip.blob() == null;
    }
    if (tip.blob() == null) {
      throw vanished(tip, expected);
    }
    if (expected instanceof GitVersion g) {
      return tip.blob().name().equals(g.blobId());
    }
    return VersionToken.sameVersion(storedAt(tip).token(), expected);
  }

  // ---------------------------------------------------------------- history

  /**
   * {@inheritDoc}
   *
   * <p>The commits of the branch that changed the state file, newest first, as {@code git log --
   * PATH} lists them. Serial, operation and reason come from the commit's trailers; for a commit
   * without them (made with the {@code git} CLI), the serial is read from the file, or is the
   * previous version's + 1 where the file kept that serial or has none (see {@code
   * docs/external-edits.md}), and the operation is the subject line. Commits whose file cannot be read (damaged, deleted) are left
   * out. Time and operator are the commit's author time (whole seconds) and author.
   */
  @Override
  public List<VersionInfo> history(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    lock.lock();
    try {
      checkOpen();
      Tip tip = readTip();
      List<VersionInfo> out = new ArrayList<>();
      if (tip.commit() == null) {
        return out;
      }
      try (RevWalk rw = fileHistory(tip.commit())) {
        for (RevCommit c : rw) {
          OptionalLong serial = serialOf(rw.getObjectReader(), c);
          if (serial.isPresent()) {
            PersonIdent author = c.getAuthorIdent();
            out.add(new VersionInfo(
                serial.getAsLong(),
                author.getWhenAsInstant(),
                CommitFormat.operator(author),
                CommitFormat.operation(c),
                CommitFormat.reason(c),
                CommitFormat.locks(c)));
            if (out.size() >= limit) {
              break;
            }
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw store.failure("read the history of " + location, e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The state file at the newest commit of the branch that holds this serial.
   *
   * @throws CorruptStateException if that commit's file (by its trailer, this version) is damaged
   */
  @Override
  public Optional<StoredState> at(long serial) {
    lock.lock();
    try {
      checkOpen();
      Tip tip = readTip();
      if (tip.commit() == null) {
        return Optional.empty();
      }
      try (RevWalk rw = fileHistory(tip.commit())) {
        ObjectReader reader = rw.getObjectReader();
        for (RevCommit c : rw) {
          OptionalLong recorded = CommitFormat.serial(c);
          if (recorded.isPresent() && recorded.getAsLong() != serial) {
            continue;
          }
          ObjectId blob;
          try {
            blob = blobIn(reader, c, false);
          } catch (CorruptStateException e) {
            continue;
          }
          if (blob == null) {
            continue;
          }
          Snapshot s;
          try {
            s = StateCodec.decode(read(reader, blob), sourceAt(c), "earlier versions are in `git log -- " + path + "`");
          } catch (CorruptStateException e) {
            if (recorded.isPresent()) {
              throw e;
            }
            continue;
          }
          s = asVersion(reader, c, s);
          if (s.metadata().serial() == serial) {
            return Optional.of(new StoredState(s, token(s, c, blob)));
          }
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw store.failure("read the history of " + location, e);
    } finally {
      lock.unlock();
    }
  }

  private OptionalLong serialOf(ObjectReader reader, RevCommit c) throws IOException {
    OptionalLong recorded = CommitFormat.serial(c);
    ObjectId blob;
    try {
      blob = blobIn(reader, c, false);
    } catch (CorruptStateException e) {
      return OptionalLong.empty();
    }
    if (blob == null) {
      return OptionalLong.empty();
    }
    if (recorded.isPresent()) {
      return recorded;
    }
    try {
      return OptionalLong.of(asVersion(reader, c, StateCodec.decode(read(reader, blob), sourceAt(c), "")).metadata().serial());
    } catch (StateException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * A person's commit (one without infrastate's trailers) as a version of its own: where the file it
   * committed keeps the serial of the version before it (a jq or editor change that left {@code
   * metadata} alone) or has no serial and lineage (a Go-FTL2 writer's file), it gets the previous
   * version's serial + 1 and its lineage, as the file backend records an external edit. A commit
   * that raised the serial itself, or holds another lineage, is taken as it is. Infrastate's own
   * commits are taken as they are.
   */
  private Snapshot asVersion(ObjectReader reader, RevCommit c, Snapshot s) throws IOException {
    if (CommitFormat.serial(c).isPresent()) {
      return s;
    }
    Snapshot previous = null;
    try (RevWalk rw = fileHistory(c)) {
      for (RevCommit p : rw) {
        if (p.equals(c)) {
          continue;
        }
        try {
          ObjectId blob = blobIn(reader, p, false);
          if (blob != null) {
            previous = asVersion(reader, p, StateCodec.decode(read(reader, blob), sourceAt(p), ""));
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
    io.infrastate.Metadata m = s.metadata();
    io.infrastate.Metadata p = previous.metadata();
    boolean sameLineage = m.lineage().equals(p.lineage());
    if ((m.hasLineage() && !sameLineage) || (sameLineage && m.serial() > p.serial()) || p.serial() == Long.MAX_VALUE) {
      return s;
    }
    java.util.Map<String, Long> fences = new java.util.TreeMap<>(m.fences()); // a fencing token never goes back
    p.fences().forEach((lock, token) -> fences.merge(lock, token, Math::max));
    return s.withMetadata(new io.infrastate.Metadata(m.version(), p.serial() + 1, p.lineage(), m.createdAt(), m.updatedAt(), fences));
  }

  /** The commits that changed the state file, newest first ({@code git log -- PATH}). */
  private RevWalk fileHistory(RevCommit start) throws IOException {
    RevWalk rw = new RevWalk(repo);
    try {
      rw.setTreeFilter(AndTreeFilter.create(PathFilterGroup.createFromStrings(path), TreeFilter.ANY_DIFF));
      rw.markStart(rw.parseCommit(start));
      return rw;
    } catch (IOException | RuntimeException e) {
      rw.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Closes the repository this backend opened, after any gc it runs in the background has ended.
   * Closing twice is harmless.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        if (writeLock != null) {
          writeLock.release();
        }
        store.close();
      }
    } finally {
      lock.unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Git backend for " + location + " is closed");
    }
  }

  // ---------------------------------------------------------------- reading the tip

  private Tip readTip() throws IOException {
    // Read later (the blob's bytes, the history), the tip's objects stay reachable from trackingRef.
    return store.read(branchRef, true, trackingRef, "branch " + branch + " of " + location, id -> {
      if (id == null) {
        return new Tip(null, null);
      }
      try (RevWalk rw = new RevWalk(repo)) {
        RevCommit c = rw.parseCommit(id);
        return new Tip(c, blobIn(rw.getObjectReader(), c, true));
      }
    });
  }

  /** The state file's blob in a commit, or null if absent. Not a regular file: damage. */
  private ObjectId blobIn(ObjectReader reader, RevCommit c, boolean atTip) throws IOException {
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

  private StoredState storedAt(Tip tip) throws IOException {
    Cached c = cached;
    Snapshot s;
    if (c != null && c.blob().equals(tip.blob())) {
      s = c.snapshot();
    } else {
      try (ObjectReader reader = repo.newObjectReader()) {
        s = decodeTip(reader, tip.commit(), read(reader, tip.blob()));
      }
      cached = new Cached(tip.blob(), s);
    }
    try (ObjectReader reader = repo.newObjectReader()) {
      s = asVersion(reader, tip.commit(), s);
    }
    return new StoredState(s, token(s, tip.commit(), tip.blob()));
  }

  private static GitVersion token(Snapshot s, AnyObjectId commit, AnyObjectId blob) {
    return new GitVersion(s.metadata().serial(), s.metadata().lineage(), commit.name(), blob.name());
  }

  private static byte[] read(ObjectReader reader, AnyObjectId blob) throws IOException {
    ObjectLoader loader = reader.open(blob, Constants.OBJ_BLOB);
    try (InputStream in = loader.openStream()) {
      return in.readAllBytes();
    }
  }

  /** Decodes the file at the tip; on damage, the message names the culprit commit and the last good one. */
  private Snapshot decodeTip(ObjectReader reader, RevCommit commit, byte[] content) throws IOException {
    String source = sourceAt(commit);
    try {
      return StateCodec.decode(content, source, "");
    } catch (CorruptStateException e) {
      String hint;
      try {
        hint = recoveryHint(reader, commit);
      } catch (IOException | RuntimeException x) {
        hint = "earlier versions are in `git log -- " + path + "`";
      }
      StateCodec.decode(content, source, hint);
      throw e;
    }
  }

  private String recoveryHint(ObjectReader reader, RevCommit tip) throws IOException {
    RevCommit culprit = null;
    int scanned = 0;
    String push = store.isRemote() ? " in a clone and push it" : "";
    try (RevWalk rw = fileHistory(tip)) {
      for (RevCommit c : rw) {
        if (culprit == null) {
          culprit = c;
          continue;
        }
        if (++scanned > RECOVERY_SCAN_LIMIT) {
          break;
        }
        ObjectId blob;
        try {
          blob = blobIn(reader, c, false);
        } catch (CorruptStateException e) {
          continue;
        }
        if (blob == null) {
          continue;
        }
        try {
          Snapshot good = StateCodec.decode(read(reader, blob), sourceAt(c), "");
          String bad = CommitFormat.abbrev(culprit);
          return "commit " + bad + " by " + CommitFormat.operator(culprit.getAuthorIdent()) + " (\""
              + culprit.getShortMessage() + "\") made this change; the last good version is serial "
              + good.metadata().serial() + " in commit " + CommitFormat.abbrev(c) + ". Writes stop until it"
              + " is repaired: run `git revert " + bad + "` (or `git checkout " + CommitFormat.abbrev(c) + " -- "
              + path + "` and commit)" + push + ", then retry";
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
        + branch + "; writes stop until the file is repaired in a new commit" + push;
  }

  private String sourceAt(AnyObjectId commit) {
    return location + " at commit " + CommitFormat.abbrev(commit);
  }

  /** The state file is absent at the tip: fine if it never existed, damage if a commit deleted it. */
  private void checkNeverDeleted(Tip tip) throws IOException {
    if (tip.commit() == null) {
      return;
    }
    try (RevWalk rw = fileHistory(tip.commit())) {
      RevCommit deleter = rw.next();
      if (deleter != null) {
        throw new CorruptStateException(
            location,
            null,
            "State file " + path + " on branch " + branch + " of " + store.display + " was deleted by commit "
                + CommitFormat.abbrev(deleter) + " (" + CommitFormat.operator(deleter.getAuthorIdent()) + ", \""
                + deleter.getShortMessage() + "\"); nothing was written. Restore it with `git revert "
                + CommitFormat.abbrev(deleter) + "`" + (store.isRemote() ? " in a clone and push it" : "")
                + ", or use another path for a new state.",
            null);
      }
    }
  }

  private CorruptStateException vanished(Tip tip, VersionToken known) throws IOException {
    if (tip.commit() == null) {
      String last = known instanceof GitVersion g ? " Its last known commit is " + g.commitId() + "." : "";
      return new CorruptStateException(
          location,
          null,
          "Branch " + branch + " of " + store.display + " has disappeared although version " + known.serial()
              + " was loaded from it; nothing was written. Restore the branch (`git branch " + branch
              + " COMMIT`" + (store.isRemote() ? " and push it" : "") + ")." + last,
          null);
    }
    try {
      checkNeverDeleted(tip);
    } catch (CorruptStateException e) {
      return e;
    }
    return new CorruptStateException(
        location,
        null,
        "State file " + path + " on branch " + branch + " of " + store.display + " has disappeared although version "
            + known.serial() + " was loaded from it; nothing was written. Restore it from `git log -- " + path + "`.",
        null);
  }

  // ---------------------------------------------------------------- work trees

  private void checkNotCheckedOut() throws IOException {
    Optional<Path> workTree = store.isRemote() ? remoteCheckedOut() : checkedOut(repo, branchRef);
    if (workTree.isPresent()) {
      throw new BackendException(
          "Refusing to write to branch " + branch + " of " + store.display + ": it is checked out in the work tree "
              + workTree.get() + ", which would silently go stale (a later `git commit -a` there would revert the"
              + " state). Nothing was written. Use a bare repository (`git clone --bare`), another branch, or"
              + " have people work in clones of this repository.",
          null,
          false);
    }
  }

  /** A remote on this machine is a repository too: its checked-out branch is refused likewise. */
  private Optional<Path> remoteCheckedOut() throws IOException {
    Path remotePath = store.remote.localPath();
    if (remotePath == null) {
      return Optional.empty();
    }
    Path dotGit = remotePath.resolve(Constants.DOT_GIT);
    if (Files.isDirectory(dotGit)) {
      Path head = dotGit.resolve(Constants.HEAD);
      if (Files.isRegularFile(head) && isHeadOf(head, branchRef)) {
        return Optional.of(remotePath);
      }
      return worktreeWith(dotGit, branchRef);
    }
    return worktreeWith(remotePath, branchRef);
  }

  /** Where a branch is checked out in a repository: its main work tree or a linked one. */
  private static Optional<Path> checkedOut(Repository repo, String branchRef) throws IOException {
    if (!repo.isBare() && branchRef.equals(repo.getFullBranch())) {
      return Optional.of(repo.getWorkTree().toPath());
    }
    return worktreeWith(repo.getDirectory().toPath(), branchRef);
  }

  private static Optional<Path> worktreeWith(Path gitDir, String branchRef) throws IOException {
    Path worktrees = gitDir.resolve("worktrees");
    if (!Files.isDirectory(worktrees)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(worktrees)) {
      for (Path wt : dirs) {
        Path head = wt.resolve(Constants.HEAD);
        if (Files.isRegularFile(head) && isHeadOf(head, branchRef)) {
          Path gitdirFile = wt.resolve("gitdir");
          if (Files.isRegularFile(gitdirFile)) {
            Path dotGit = Path.of(Files.readString(gitdirFile, StandardCharsets.UTF_8).strip());
            return Optional.of(dotGit.getParent() == null ? dotGit : dotGit.getParent());
          }
          return Optional.of(wt);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isHeadOf(Path head, String branchRef) throws IOException {
    return Files.readString(head, StandardCharsets.UTF_8).strip().equals("ref: " + branchRef);
  }

  // ---------------------------------------------------------------- builder

  /**
   * Configures a {@link GitBackend}: either a local repository ({@link #repository(Path)}) or a
   * clone of a remote ({@link #remote(String)} with {@link #cloneDirectory(Path)}). Each setting may
   * be set once. Not thread-safe.
   */
  public static final class Builder {
    private final StoreSettings store = new StoreSettings();
    private String branch;
    private String path;

    private Builder() {}

    /**
     * Uses a repository on this machine directly (local mode): its {@code .git} directory, a bare
     * repository, or a work tree containing {@code .git}.
     *
     * @param repository the repository path
     * @return this builder
     * @throws IllegalStateException if a repository or remote was already set
     */
    public Builder repository(Path repository) {
      store.repository(repository);
      return this;
    }

    /**
     * Uses a clone of a remote (clone mode): a path, {@code file://}, {@code ssh://}, {@code
     * user@host:path} or {@code https://} URL, as {@code git clone} accepts. A password or token in
     * the URL is used as credentials and never written to disk or into messages.
     *
     * @param url the remote's URL
     * @return this builder
     * @throws IllegalStateException if a repository or remote was already set
     */
    public Builder remote(String url) {
      store.remote(url);
      return this;
    }

    /**
     * Where clone mode keeps its bare clone; created if missing. Several backends and processes
     * may share one directory for the same remote (and a {@link GitLockProvider} too).
     *
     * @param directory the clone directory
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder cloneDirectory(Path directory) {
      store.cloneDirectory(directory);
      return this;
    }

    /**
     * The branch holding the state; default {@code main}. Created by the first write if missing.
     *
     * @param branch a short branch name
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder branch(String branch) {
      if (this.branch != null) {
        throw new IllegalStateException("branch was already set to " + this.branch);
      }
      this.branch = Objects.requireNonNull(branch, "branch");
      return this;
    }

    /**
     * The state file's path inside the repository; default {@code state.json}.
     *
     * @param path a relative path with {@code /} separators, such as {@code state/state.json}
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder path(String path) {
      if (this.path != null) {
        throw new IllegalStateException("path was already set to " + this.path);
      }
      this.path = Objects.requireNonNull(path, "path");
      return this;
    }

    /**
     * Credentials for the remote (JGit's standard mechanism), such as a {@link
     * UsernamePasswordCredentialsProvider} with a token. Default: credentials in the URL, else
     * {@link CredentialsProvider#getDefault()}.
     *
     * @param credentials the provider
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder credentials(CredentialsProvider credentials) {
      store.credentials(credentials);
      return this;
    }

    /**
     * A callback that configures every JGit {@link org.eclipse.jgit.transport.Transport} before
     * use: an SSH session factory, HTTP settings, or the {@code receive-pack} program. Called after
     * the credentials and timeout are set.
     *
     * @param callback the callback
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder transportConfig(TransportConfigCallback callback) {
      store.transportConfig(callback);
      return this;
    }

    /**
     * The network timeout for fetch and push; default 30 seconds.
     *
     * @param timeout at least one second
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder timeout(Duration timeout) {
      store.timeout(timeout);
      return this;
    }

    /**
     * Whether objects and refs are fsynced before a write returns; default {@code true}, so that a
     * {@link SaveResult.Saved} survives a power loss. {@code false} trades that for speed, as the
     * {@code git} CLI does by default for loose objects and refs.
     *
     * @param fsync whether to fsync
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder fsync(boolean fsync) {
      store.fsync(fsync);
      return this;
    }

    /**
     * Local mode: create a bare repository at {@link #repository(Path)} if nothing is there (its
     * HEAD pointing at the state's branch); default {@code false}, so that a typo does not start a
     * new state somewhere else.
     *
     * @param create whether to create a missing repository
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder createRepository(boolean create) {
      store.createRepository(create);
      return this;
    }

    /**
     * Opens the repository (creating the clone directory in clone mode; nothing is fetched yet).
     * The caller closes the backend.
     *
     * @return a new backend
     * @throws IllegalStateException if neither or both modes were chosen
     * @throws IllegalArgumentException if the branch or path is invalid
     * @throws BackendException if the repository cannot be opened or created
     */
    public GitBackend build() {
      store.check();
      String b = branch == null ? "main" : branch;
      String p = path == null ? "state.json" : path;
      validateBranch(b);
      validatePath(p);
      RefStore opened = RefStore.open(store, b, "the state at branch " + b + ", file " + p);
      GitBackend backend = new GitBackend(opened, b, p);
      if (opened.isRemote() && opened.remote.localPath() != null) {
        try {
          backend.remoteCheckedOut().ifPresent(wt -> LOG.warn(
              "Branch {} of {} is checked out in {}; writes to it will be refused", b, opened.display, wt));
        } catch (IOException e) {
          LOG.debug("Could not check the work trees of {}: {}", opened.display, e.toString());
        }
      }
      return backend;
    }

    static void validateBranch(String branch) {
      if (branch.isEmpty() || !Repository.isValidRefName(Constants.R_HEADS + branch)) {
        throw new IllegalArgumentException("branch is not a valid Git branch name: '" + branch + "'");
      }
    }

    private static void validatePath(String path) {
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
  }
}
