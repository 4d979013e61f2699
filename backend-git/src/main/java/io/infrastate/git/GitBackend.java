package io.infrastate.git;

import io.infrastate.model.BackendException;
import io.infrastate.model.CommitOutcomeUnknownException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.VersionInfo;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.WriteLeases;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredForm;
import io.infrastate.spi.StoredFormBackend;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteHistory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jgit.lib.Repository;
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
 *       change on the new tip, with backoff and jitter, up to its attempt limit; writers that keep
 *       conflicting take turns on the state's write lease, and while one holds it the others'
 *       saves report conflicts without pushing ({@link #save}). A push the remote
 *       refuses for another reason (a hook, branch protection) is a {@link BackendException}.
 * </ul>
 *
 * <p>When the reply to a push is lost (the connection broke after the push was sent), the backend
 * asks the remote where the branch is before returning, and so reports the write stored, not
 * stored (pushing it again), or a conflict. Only if the remote cannot be reached then either does
 * the write fail with {@link io.infrastate.model.CommitOutcomeUnknownException}; a retry that passes it
 * back ({@link io.infrastate.model.AuditEntry#retrying}) finds the commit by its {@code Infrastate-Write}
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
 * <h2>Layouts</h2>
 *
 * By default the state is one file in the Go-FTL2 format ({@link GitLayout#SINGLE_FILE}). With
 * {@link Builder#layout}{@code (GitLayout.TREE)} or {@code ?layout=tree}, a new state is written as
 * one file per entry ({@link GitLayout#TREE}), and a write changes only the files of the entries it
 * changed. Either layout is read; a state keeps its layout until {@link #migrate} converts it in
 * one commit. The tree layout refuses to write an encrypted state.
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
public final class GitBackend implements HistoryBackend, ExclusiveWrites, WriteLeases, WriteHistory, StoredFormBackend {
  /*
   * Design notes: the parts, and how they stay correct under concurrency and crashes.
   *
   * THE PARTS. GitBackend is the API and the lock plumbing; the work is done by package-private
   * parts with one job each: RefStore (the repository and, in clone mode, the remote: reading refs
   * and moving them by compare-and-swap, fetch, push, gc), BranchFile (the state file on its branch:
   * the tip, the file's blob, the commits that changed it, the decoding cache), BranchCommit (the
   * save: build a commit and compare-and-swap the ref), LostPush (a push whose reply was lost, and a
   * write's own id), ExternalCommits (a person's commit as a version, and damage), BranchHistory
   * (history and at) and WorkTrees (a checked-out branch). Each part's class comment says how it
   * stays correct under concurrency and crashes.
   *
   * ONE LOCK PER INSTANCE. Every operation runs under this instance's lock, so the parts share
   * their fields (the decoding cache) without locks of their own; close() takes it too, so no
   * operation runs on a closed repository.
   *
   * PROGRESS IN LOCAL MODE (ExclusiveWrites). Every save holds the branch's write lock
   * (BranchWriteLock: an OS lock on infrastate/BRANCH.writelock in the Git directory, re-entrant
   * for its holding thread) from reading the tip to the ref update, taken before this instance's
   * own lock. After a conflict, State holds it across the reload, the re-application and the save,
   * so no infrastate writer of any process can move the ref in between: the retry cannot conflict
   * unless someone outside the protocol (the git CLI) commits to the branch meanwhile, which is an
   * ordinary conflict. A losing writer finds out when it reads the tip, before it writes any
   * object. Clone mode cannot hold other machines off and offers no section; its writers take
   * turns on the write lease instead (writeLeases).
   *
   * THE CLONE DIRECTORY holds no state of its own: its remote-tracking ref is a cache of the last
   * fetched tip, and commits whose push was rejected are left unreachable there. Several
   * processes may share one clone directory; the remote's ref is the only truth. The remote's
   * credentials are held in memory only; the clone's config records the remote without them.
   */

  private static final Logger LOG = LoggerFactory.getLogger(GitBackend.class);

  private final RefStore store;
  private final BranchFile file;
  private final BranchCommit commits;
  private final LostPush lostPush;
  private final BranchHistory versions;
  private final ReentrantLock lock = new ReentrantLock();
  /** Local mode: the branch's write lock, taken by every save around its ref update; null in clone mode. */
  private final BranchWriteLock writeLock;
  private volatile boolean closed;

  private GitBackend(RefStore store, String branch, String path, GitLayout layout) {
    this.store = store;
    this.file = new BranchFile(store, branch, path, layout);
    this.lostPush = new LostPush(file);
    this.commits = new BranchCommit(file, lostPush);
    this.versions = new BranchHistory(file);
    this.writeLock = store.isRemote() ? null : BranchWriteLock.of(gitDirectory(store.repo), branch);
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
    return file.location;
  }

  /**
   * The branch the state lives on.
   *
   * @return the short branch name, such as {@code main}
   */
  public String branch() {
    return file.branch;
  }

  /**
   * The state file's path inside the repository.
   *
   * @return a relative path such as {@code state/state.json}
   */
  public String path() {
    return file.path;
  }

  /**
   * The layout this backend writes a new state in ({@link Builder#layout}). An existing state is
   * read in either layout and written in the one it has; {@link #migrate} changes it.
   *
   * @return the configured layout
   */
  public GitLayout layout() {
    return file.layout;
  }

  /**
   * Converts the state on the branch to another layout in one commit: the version stays the same
   * (same serial, same entries; migrating back gives a byte-identical {@code state.json}), only how
   * it is stored changes. Takes the branch's write lock in local mode, as a save does.
   *
   * <pre>{@code
   * try (GitBackend git = GitBackend.builder().repository(repo).build()) {
   *   git.migrate(GitLayout.TREE, "alice");
   * }
   * }</pre>
   *
   * @param target the layout to convert to
   * @param operator who converts it, recorded as the commit's author
   * @return true if a commit was made, false if the state already was in that layout
   * @throws BackendException if there is no state on the branch, if the state is encrypted and the
   *     target is {@link GitLayout#TREE}, or if the repository or remote cannot be written
   * @throws io.infrastate.model.ConflictException if the branch moved meanwhile (nothing was
   *     written; run it again)
   * @throws CorruptStateException if the state at the tip is damaged
   */
  public boolean migrate(GitLayout target, String operator) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(operator, "operator");
    if (writeLock == null) {
      return locked("migrate the state in", () -> commits.migrate(target, operator));
    }
    BranchWriteLock.Held held = lockBranch();
    try {
      return locked("migrate the state in", () -> commits.migrate(target, operator));
    } finally {
      try {
        held.close();
      } catch (IOException e) {
        LOG.warn("Could not release the write lock {} of {} cleanly: {}", writeLock.file(), location(), e.toString());
      }
    }
  }

  /** How many entry files of the tree layout this backend decoded so far; for tests. */
  long entriesDecoded() {
    return file.tree.entriesDecoded;
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
    return locked("read the state from", () -> {
      BranchFile.Tip tip = file.readTip();
      if (tip.blob() == null) {
        file.external.checkNeverDeleted(tip);
        return Optional.empty();
      }
      return Optional.of(file.storedAt(tip));
    });
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
    return locked("read the state from", () -> {
      BranchFile.Tip tip = file.readTip();
      if (tip.blob() == null) {
        if (known.exists()) {
          throw file.external.vanished(tip, known);
        }
        return Optional.empty();
      }
      if (known instanceof GitVersion g && g.blobId().equals(tip.blob().name())) {
        return Optional.empty();
      }
      StoredState s = file.storedAt(tip);
      if (!(known instanceof GitVersion) && known.exists() && VersionToken.sameVersion(s.token(), known)) {
        return Optional.empty();
      }
      return Optional.of(s);
    });
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
   * unreachable in the clone directory. In clone mode a save also reports a conflict, without
   * pushing, while another writer holds the state's write lease ({@link #writeLeases}), so that
   * writers that did not queue for it cannot keep winning against the one that did. When the
   * reply to the push is lost, the remote is asked
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
      return locked("write the state to", () -> commits.save(request));
    }
    BranchWriteLock.Held held = lockBranch();
    try {
      return locked("write the state to", () -> commits.save(request));
    } finally {
      try {
        held.close();
      } catch (IOException e) {
        LOG.warn("Could not release the write lock {} of {} cleanly: {}", writeLock.file(), location(), e.toString());
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
        throw new BackendException("Could not release the write lock " + writeLock.file() + " of " + location() + ": "
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
          + location() + "; nothing was written.", e, true);
    } catch (IOException e) {
      throw new BackendException("Could not take the write lock " + writeLock.file() + " of " + location() + ": "
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ". Nothing was written; check that this user may"
          + " create and write that file.", e, false);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A {@link GitLockProvider} on this backend's repository (or clone): the write lease is the
   * ref {@code refs/infrastate/locks/infrastate-write-lease}. Closing it leaves the repository to
   * this backend; it fails once this backend is closed. In clone mode, while a lease taken through
   * another backend is live, this backend's saves report conflicts without pushing ({@link
   * #save}); leases taken through this one do not hold its own saves back.
   */
  @Override
  public LockProvider writeLeases(LockOptions options) {
    checkOpen();
    return new GitLockProvider(store, options, false, file.leaseGate);
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
    return locked("read the history of", () -> lostPush.committedBy(serial, writeId));
  }

  // ---------------------------------------------------------------- history

  /**
   * {@inheritDoc}
   *
   * <p>The commits of the branch that changed the state file (in the tree layout, any of its
   * files: a person's commit that edited only entry files too), newest first, as {@code git log --
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
    return locked("read the history of", () -> versions.history(limit));
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
    return locked("read the history of", () -> versions.at(serial));
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * {@inheritDoc}
   *
   * <p>Every commit's blob of the state file goes through it.
   */
  @Override
  public void storedForm(StoredForm form) {
    file.form = java.util.Objects.requireNonNull(form, "form");
  }

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
      throw new IllegalStateException("Git backend for " + location() + " is closed");
    }
  }

  /** An operation of one of the parts: may fail with an {@link IOException}. */
  @FunctionalInterface
  private interface Operation<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code op} under this instance's lock on an open backend; an {@link IOException} becomes
   * the {@link BackendException} "Could not DOING LOCATION".
   */
  private <T> T locked(String doing, Operation<T> op) {
    lock.lock();
    try {
      checkOpen();
      return op.run();
    } catch (IOException e) {
      throw store.failure(doing + " " + file.location, e);
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- builder

  /**
   * Configures a {@link GitBackend}: either a local repository ({@link #repository(Path)}) or a
   * clone of a remote ({@link #remote(String)} with {@link #cloneDirectory(Path)}). Each setting may
   * be set once. Not thread-safe.
   */
  public static final class Builder extends GitStoreBuilder<Builder> {
    private String branch;
    private String path;
    private GitLayout layout;

    private Builder() {}

    /**
     * The layout a new state is written in; default {@link GitLayout#SINGLE_FILE}. An existing
     * state keeps its layout; {@link GitBackend#migrate} converts it.
     *
     * @param layout the layout
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder layout(GitLayout layout) {
      if (this.layout != null) {
        throw new IllegalStateException("layout was already set to " + this.layout);
      }
      this.layout = Objects.requireNonNull(layout, "layout");
      return this;
    }

    @Override
    Builder self() {
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
      BranchFile.checkBranch(b);
      BranchFile.checkPath(p);
      RefStore opened = RefStore.open(store, b, "the state at branch " + b + ", file " + p);
      GitBackend backend = new GitBackend(opened, b, p, layout == null ? GitLayout.SINGLE_FILE : layout);
      if (opened.isRemote() && opened.remote.localPath() != null) {
        try {
          WorkTrees.remoteCheckedOut(backend.file).ifPresent(wt -> LOG.warn(
              "Branch {} of {} is checked out in {}; writes to it will be refused", b, opened.display, wt));
        } catch (IOException e) {
          LOG.debug("Could not check the work trees of {}: {}", opened.display, e.toString());
        }
      }
      return backend;
    }
  }
}
