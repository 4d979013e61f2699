package io.infrastate.git;

import io.infrastate.model.BackendException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.errors.NotSupportedException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.CoreConfig;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repository and, in clone mode, the remote it mirrors: reading refs and moving them with
 * compare-and-swap, either directly ({@link RefUpdate} with an expected old value, under the {@code
 * .lock} file protocol the {@code git} CLI uses) or by a push whose expected old value the remote
 * checks under its own ref lock. Never forces: every update is a fast-forward, a creation or a
 * deletion, each conditional on the old value.
 *
 * <p>Shared by {@link GitBackend} (the state branch) and {@link GitLockProvider} (lock refs).
 * Thread-safe as far as JGit's {@link Repository} is; callers serialize their own sequences.
 */
final class RefStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RefStore.class);
  private static final Duration STALE_LOCK_AGE = Duration.ofSeconds(30);

  /** Where and how a clone reaches its remote. Credentials stay in memory. */
  record Remote(
      URIish uri,
      String display,
      Path localPath,
      CredentialsProvider credentials,
      TransportConfigCallback configure,
      int timeoutSeconds,
      List<String> secrets) {}

  final Repository repo;
  /** The remote in clone mode; null in local mode. */
  final Remote remote;
  /** The repository (local mode) or remote (clone mode) for messages, without credentials. */
  final String display;
  /** The location prefix for {@code git+…} locations. */
  private final String locationBase;
  private final boolean fsync;

  /** Keeps a gc of the clone apart from fetches into it and reads of what they brought; null in local mode. */
  private final PackGuard packs;

  /** Runs {@code gc --auto} every so many writes and fetches. */
  private final AutoGc gc;

  private RefStore(Repository repo, Remote remote, String display, String locationBase, boolean fsync) {
    this.repo = repo;
    this.remote = remote;
    this.display = display;
    this.locationBase = locationBase;
    this.fsync = fsync;
    this.packs = remote == null ? null : PackGuard.of(repo.getDirectory().toPath());
    this.gc = new AutoGc(repo, packs);
  }

  /**
   * Opens the repository the settings name; {@code headBranch} is where HEAD of a newly created
   * repository points.
   */
  static RefStore open(StoreSettings s, String headBranch, String what) {
    s.check();
    return s.repository != null ? openLocal(s, headBranch, what) : openClone(s, headBranch, what);
  }

  private static RefStore openLocal(StoreSettings s, String headBranch, String what) {
    Path dir = s.repository.toAbsolutePath().normalize();
    String base = fileLocation(dir);
    try {
      if (!Files.exists(dir) || isEmptyDirectory(dir)) {
        if (!Boolean.TRUE.equals(s.create)) {
          throw new BackendException(
              "No Git repository at " + dir + " (for " + what + "). Create one with `git init --bare " + dir
                  + "`, or allow creating it (createRepository(true), or ?create=true in the URI).",
              null,
              false);
        }
        Repositories.createBare(dir, null, headBranch);
      }
      return new RefStore(Repositories.open(dir), null, dir.toString(), base, s.fsyncOrDefault());
    } catch (IOException e) {
      throw new BackendException(
          "Cannot open the Git repository at " + dir + " (for " + what + "): " + e.getMessage()
              + ". Check the path and its permissions.",
          e,
          false);
    }
  }

  private static RefStore openClone(StoreSettings s, String headBranch, String what) {
    URIish uri;
    try {
      uri = new URIish(s.remoteUrl);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "remote is not a Git URL: " + GitUris.redact(s.remoteUrl) + " (" + e.getReason() + ")");
    }
    CredentialsProvider creds = s.credentials;
    List<String> secrets = new ArrayList<>();
    boolean ssh = RemoteFailures.isSsh(uri);
    if (uri.getPass() != null) {
      secrets.add(uri.getPass());
      if (creds == null) {
        creds = new UsernamePasswordCredentialsProvider(uri.getUser() == null ? "" : uri.getUser(), uri.getPass());
      }
      uri = uri.setPass(null);
    }
    if (uri.getUser() != null && !ssh) {
      // An HTTP user name may itself be a token: keep it out of messages and the clone's config.
      secrets.add(uri.getUser());
      if (creds == null) {
        creds = new UsernamePasswordCredentialsProvider(uri.getUser(), "");
      }
      uri = uri.setUser(null);
    }
    if (creds == null) {
      creds = CredentialsProvider.getDefault();
    }
    Path localPath = null;
    String scheme = uri.getScheme();
    if ((scheme == null || "file".equalsIgnoreCase(scheme)) && (uri.getHost() == null || uri.getHost().isEmpty())) {
      localPath = Path.of(uri.getPath()).toAbsolutePath().normalize();
      uri = new URIish().setScheme("file").setPath(localPath.toString());
    }
    String display = localPath != null ? localPath.toString() : uri.toString();
    String base;
    if (localPath != null) {
      base = fileLocation(localPath);
    } else if (scheme == null) {
      base = uri.getHost() + ":" + uri.getPath();
    } else {
      base = "git+" + scheme.toLowerCase(Locale.ROOT) + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
          + (uri.getPath() == null ? "" : uri.getPath());
    }
    Remote remote = new Remote(uri, display, localPath, creds, s.transportConfig, s.timeoutSeconds(), List.copyOf(secrets));
    Path dir = s.cloneDirectory.toAbsolutePath().normalize();
    try {
      if (!Files.exists(dir) || isEmptyDirectory(dir)) {
        Repositories.createBare(dir, display, headBranch);
      }
      Repository repo = Repositories.open(dir);
      String recorded = repo.getConfig().getString(Repositories.CONFIG_SECTION, null, Repositories.CONFIG_REMOTE);
      if (recorded == null || !recorded.equals(display)) {
        repo.close();
        throw new BackendException(
            recorded == null
                ? "The directory " + dir + " is a Git repository that infrastate did not create as a clone of "
                    + display + "; refusing to use it as one. Give an empty or missing directory."
                : "The clone directory " + dir + " belongs to the remote " + recorded + ", not " + display
                    + ". Give each remote its own clone directory.",
            null,
            false);
      }
      return new RefStore(repo, remote, display, base, s.fsyncOrDefault());
    } catch (IOException e) {
      throw new BackendException(
          "Cannot open or create the clone directory " + dir + " for " + what + ": " + e.getMessage()
              + ". Check the path and its permissions.",
          e,
          false);
    }
  }

  /** {@code git+file:///srv/infra.git}: the path percent-encoded, without a trailing slash. */
  static String fileLocation(Path dir) {
    try {
      return "git+file://" + new java.net.URI("file", null, dir.toString(), null).getRawPath();
    } catch (URISyntaxException e) {
      return "git+file://" + dir;
    }
  }

  /** A location such as {@code git+file:///srv/infra.git#suffix}, without credentials. */
  String location(String fragment) {
    return locationBase + "#" + fragment;
  }

  boolean isRemote() {
    return remote != null;
  }

  // ---------------------------------------------------------------- reading

  /**
   * Reads a ref's value and hands it to {@code use}: local mode reads the ref; clone mode asks the
   * remote and, with {@code download}, fetches the object if it is not here yet. {@code use} gets
   * null if the ref does not exist. In clone mode it runs inside the {@link PackGuard}: no gc of
   * the clone runs between the fetch and the end of {@code use}, so the objects it reads are there
   * even when no ref of the clone reaches them (a lock commit). And when an object the clone
   * claims to have is missing all the same, the read fetches it again once: JGit remembers the
   * loose objects it has seen, and a gc (here or in another process), {@code git prune} or a
   * person can delete one behind that memory; {@code has} then says yes and the read fails with
   * "Missing unknown".
   *
   * @param trackingRef where clone mode records a fetched value (keeps its objects reachable once
   *     {@code use} has returned), or null
   * @param context what is being read, for messages
   */
  <T> T read(String ref, boolean download, String trackingRef, String context, ObjectUse<T> use) throws IOException {
    return read(ref, null, download, trackingRef, context, (id, sideId) -> use.apply(id));
  }

  /**
   * {@link #read(String, boolean, String, String, ObjectUse)}, and a second ref in the same round
   * trip: {@code use} also gets the value of {@code sideRef} (null: no such ref, or {@code sideRef}
   * null), whose object is fetched too when {@code download} is set and the clone lacks it.
   */
  <T> T read(String ref, String sideRef, boolean download, String trackingRef, String context, PairUse<T> use)
      throws IOException {
    if (remote == null) {
      Ref r = repo.exactRef(ref);
      Ref side = sideRef == null ? null : repo.exactRef(sideRef);
      return use.apply(r == null ? null : r.getObjectId(), side == null ? null : side.getObjectId());
    }
    try {
      return readRemote(ref, sideRef, download, false, trackingRef, context, use);
    } catch (MissingObjectException e) {
      if (!download) {
        throw e;
      }
      // The clone is a cache: what vanished from it is fetched again, once.
      LOG.debug("{} lacked {} for {}; fetching it again", repo.getDirectory(), e.getObjectId(), context);
      return readRemote(ref, sideRef, download, true, trackingRef, context, use);
    }
  }

  /**
   * {@link #read} in clone mode; {@code refetch} fetches even what the clone says it has. The first
   * fetch of a branch into the clone (no tracking ref yet) fetches only its tip commit (depth 1);
   * later ones fetch what is new since the tracking ref, without a depth.
   */
  private <T> T readRemote(
      String ref, String sideRef, boolean download, boolean refetch, String trackingRef, String context, PairUse<T> use)
      throws IOException {
    boolean[] fetched = {false};
    boolean first = download && trackingRef != null && repo.exactRef(trackingRef) == null;
    try (Transport tn = openTransport(first ? 1 : 0);
        FetchConnection fc = tn.openFetch()) {
      Ref r = fc.getRef(ref);
      Ref side = sideRef == null ? null : fc.getRef(sideRef);
      ObjectId id = r == null ? null : r.getObjectId();
      ObjectId sideId = side == null ? null : side.getObjectId();
      if (id == null && sideId == null) {
        return use.apply(null, null);
      }
      return packs.using(() -> {
        List<Ref> want = new ArrayList<>(2);
        if (download && id != null && (refetch || !repo.getObjectDatabase().has(id))) {
          want.add(r);
        }
        if (download && sideId != null && (refetch || !repo.getObjectDatabase().has(sideId))) {
          want.add(side);
        }
        if (!want.isEmpty()) {
          fetched[0] = true;
          fetch(fc, want);
          if (trackingRef != null && want.contains(r)) {
            track(trackingRef, id);
          }
        }
        return use.apply(id, sideId);
      });
    } catch (TransportException e) {
      throw RemoteFailures.readFailure(this, context, e);
    } finally {
      if (fetched[0]) {
        gc.afterOperation(); // outside the guard: a gc needs it free
      }
    }
  }

  /** Fetches objects into the clone, one fetch at a time per clone directory ({@link PackGuard#fetching}). */
  private void fetch(FetchConnection fc, List<Ref> want) throws IOException {
    packs.fetching(() -> {
      fc.fetch(NullProgressMonitor.INSTANCE, want, Set.of());
      return null;
    });
  }

  /**
   * Clone mode: fetches the history of {@code ref} down to {@code depth} commits from the remote's
   * tip into the shallow clone ({@link ShallowWalk} decides when and how deep), and records the tip
   * in {@code trackingRef}.
   *
   * @param depth commits counted from the remote's tip; {@link #FULL_DEPTH} for all of them
   * @return whether the remote has the ref
   */
  boolean deepen(String ref, String trackingRef, int depth, String context) throws IOException {
    LOG.debug("Fetching {} of {} to depth {} for {}", ref, remote.display(), depth, context);
    try (Transport tn = openTransport(depth);
        FetchConnection fc = tn.openFetch()) {
      Ref r = fc.getRef(ref);
      if (r == null || r.getObjectId() == null) {
        return false;
      }
      packs.using(() -> {
        fetch(fc, List.of(r));
        track(trackingRef, r.getObjectId());
        return null;
      });
      return true;
    } catch (TransportException e) {
      throw RemoteFailures.readFailure(this, context, e);
    } finally {
      gc.afterOperation();
    }
  }

  /** The depth that fetches all history: git's own "infinite" depth. */
  static final int FULL_DEPTH = Integer.MAX_VALUE;

  /** The commits of the clone whose parents were not fetched (its {@code shallow} file). */
  Set<ObjectId> shallowCommits() throws IOException {
    return repo.getObjectDatabase().getShallowCommits();
  }

  /**
   * The names of the refs under a prefix, sorted: the repository's in local mode, the remote's in
   * clone mode.
   */
  List<String> refNames(String prefix) throws IOException {
    List<String> names = new ArrayList<>();
    if (remote == null) {
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(prefix)) {
        names.add(r.getName());
      }
    } else {
      try (Transport tn = openTransport();
          FetchConnection fc = tn.openFetch()) {
        for (Ref r : fc.getRefs()) {
          if (r.getName().startsWith(prefix)) {
            names.add(r.getName());
          }
        }
      }
    }
    names.sort(null);
    return names;
  }

  /** What a caller does with a ref's value (null: no such ref) while its objects are safe from gc. */
  @FunctionalInterface
  interface ObjectUse<T> {
    T apply(ObjectId id) throws IOException;
  }

  /** {@link ObjectUse} for two refs read together. */
  @FunctionalInterface
  interface PairUse<T> {
    T apply(ObjectId id, ObjectId sideId) throws IOException;
  }

  /** Records a fetched or pushed value of the remote in the clone; failures only cost a refetch. */
  void track(String trackingRef, ObjectId id) {
    try {
      RefUpdate ru = repo.updateRef(trackingRef);
      ru.setNewObjectId(id);
      ru.setForceUpdate(true);
      ru.disableRefLog();
      ru.update();
    } catch (IOException e) {
      LOG.debug("Could not update {} in {}: {}", trackingRef, repo.getDirectory(), e.toString());
    }
  }

  // ---------------------------------------------------------------- writing

  /**
   * An inserter whose loose objects are fsynced when durability is on, deflated at {@link
   * Repositories#LOOSE_COMPRESSION} unless the repository chose a level; a large blob is hashed
   * while it is deflated ({@link LooseBlobInserter}).
   */
  ObjectInserter newInserter() {
    if (fsync) {
      Repositories.fsyncWrites(repo);
    }
    Repositories.compressLooseObjectsFast(repo);
    return LooseBlobInserter.of(repo);
  }

  /**
   * An inserter that writes the objects of one commit together, forced to disk at once when
   * durability is on ({@link ObjectBatch}), and reads them, and those of {@code recent}, from memory.
   */
  ObjectBatch newBatch(ObjectBatch.Recent recent) {
    Repositories.compressLooseObjectsFast(repo);
    return new ObjectBatch(repo, fsync, recent);
  }

  /**
   * Moves a ref from {@code expectedOld} to {@code newId}, atomically, only if it still holds
   * {@code expectedOld}. Null {@code expectedOld}: create only if absent. Null {@code newId}:
   * delete. Updates must be fast-forwards (never forced).
   *
   * @param trackingRef where clone mode records the pushed value, or null
   * @param context what is being written, for messages
   * @return {@code true} if moved; {@code false} if the ref held another value (a lost race)
   * @throws BackendException if the remote or repository refused for another reason, or failed
   */
  boolean compareAndSet(
      String ref, ObjectId expectedOld, ObjectId newId, PersonIdent who, String reflog, String trackingRef, String context)
      throws IOException {
    return compareAndSet(ref, expectedOld, newId, who, reflog, trackingRef, context, null);
  }

  /**
   * {@link #compareAndSet(String, ObjectId, ObjectId, PersonIdent, String, String, String)}, where
   * a local update reads the old and new commits (to check that it is a fast-forward) through
   * {@code objects}, or the repository's own reader when null.
   */
  boolean compareAndSet(String ref, ObjectId expectedOld, ObjectId newId, PersonIdent who, String reflog,
      String trackingRef, String context, ObjectReader objects) throws IOException {
    boolean moved = remote == null
        ? updateLocal(ref, expectedOld, newId, who, reflog, context, objects)
        : push(ref, expectedOld, newId, trackingRef, context);
    gc.afterOperation();
    return moved;
  }

  /**
   * Updates a local ref by compare-and-swap. A {@code LOCK_FAILURE} while the ref still holds the
   * expected value means only that another writer held {@code <ref>.lock} for a moment (JGit
   * and the {@code git} CLI take it for every update, even a failing one): that is retried briefly
   * instead of being reported as a conflict, so that a busy lock ref cannot starve its holder's
   * release.
   */
  private boolean updateLocal(String ref, ObjectId expectedOld, ObjectId newId, PersonIdent who, String reflog, String context,
      ObjectReader objects) throws IOException {
    boolean logged = keepsReflog(ref);
    for (int attempt = 1; ; attempt++) {
      RefUpdate ru = repo.updateRef(ref);
      ru.setExpectedOldObjectId(expectedOld == null ? ObjectId.zeroId() : expectedOld);
      if (who != null) {
        ru.setRefLogIdent(who);
      }
      if (logged) {
        ru.setRefLogMessage(reflog, false);
      } else {
        ru.disableRefLog();
      }
      RefUpdate.Result result;
      try {
        if (newId == null) {
          ru.setForceUpdate(true); // a deletion, still conditional on the expected old value
          result = ru.delete();
        } else {
          ru.setNewObjectId(newId);
          if (objects == null) {
            result = ru.update();
          } else {
            try (RevWalk rw = new RevWalk(objects)) {
              result = ru.update(rw);
            }
          }
        }
      } catch (IOException e) {
        // JGit removes a ref's directory when its last ref is deleted; a concurrent creation in
        // that directory can then fail to create it. Nothing was written: try again.
        if (attempt < LOCK_CONTENTION_RETRIES && String.valueOf(e.getMessage()).startsWith("Creating directories for")) {
          pauseForLockFile();
          continue;
        }
        throw e;
      }
      switch (result) {
        case NEW:
        case FAST_FORWARD:
          return true;
        case FORCED:
          if (newId == null) {
            return true;
          }
          break;
        case LOCK_FAILURE:
          if (attempt < LOCK_CONTENTION_RETRIES && unmoved(ref, expectedOld)) {
            pauseForLockFile();
            continue;
          }
          checkStaleLock(ref, expectedOld, context);
          return false;
        case REJECTED:
          checkStaleLock(ref, expectedOld, context);
          return false;
        default:
          break;
      }
      throw new BackendException(
          "Could not update " + ref + " in " + display + " (" + context + "): " + result
              + ". Nothing was published; check the repository with `git fsck` and retry.",
          null,
          result == RefUpdate.Result.IO_FAILURE);
    }
  }

  private static final int LOCK_CONTENTION_RETRIES = 200;

  /**
   * Whether JGit would write a reflog entry for an update of {@code ref}: false only in a bare
   * repository whose {@code core.logAllRefUpdates} is unset or false and that has no reflog for the
   * ref (as git, which logs there only when asked or when the log exists). An update then skips
   * the entry, which JGit would otherwise encode and drop.
   */
  private boolean keepsReflog(String ref) {
    if (!repo.isBare()) {
      return true;
    }
    CoreConfig.LogRefUpdates all = repo.getConfig().getEnum(ConfigConstants.CONFIG_CORE_SECTION, null,
        ConfigConstants.CONFIG_KEY_LOGALLREFUPDATES, CoreConfig.LogRefUpdates.FALSE);
    return all != CoreConfig.LogRefUpdates.FALSE
        || Files.exists(repo.getDirectory().toPath().resolve(Constants.LOGS).resolve(ref));
  }

  private boolean unmoved(String ref, ObjectId expectedOld) throws IOException {
    Ref now = repo.exactRef(ref);
    ObjectId current = now == null ? null : now.getObjectId();
    return Objects.equals(current, expectedOld == null || expectedOld.equals(ObjectId.zeroId()) ? null : expectedOld);
  }

  private static void pauseForLockFile() {
    try {
      Thread.sleep(1 + java.util.concurrent.ThreadLocalRandom.current().nextInt(4));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("Interrupted while waiting for a Git ref lock", e, true);
    }
  }

  /** A lock failure with an unmoved ref and an old lock file is a leftover of a crashed writer. */
  private void checkStaleLock(String ref, ObjectId expectedOld, String context) throws IOException {
    Ref now = repo.exactRef(ref);
    ObjectId current = now == null ? null : now.getObjectId();
    if (!Objects.equals(current, expectedOld)) {
      return;
    }
    Path lockFile = repo.getDirectory().toPath().resolve(ref + ".lock");
    try {
      FileTime modified = Files.getLastModifiedTime(lockFile);
      if (modified.toInstant().isBefore(Instant.now().minus(STALE_LOCK_AGE))) {
        throw new BackendException(
            ref + " in " + display + " (" + context + ") is locked by " + lockFile + " since " + modified
                + ". Nothing was written. If no git process is running on this repository, a crashed one"
                + " left the lock behind: delete " + lockFile + " and retry.",
            null,
            false);
      }
    } catch (NoSuchFileException e) {
      // The lock was released meanwhile: an ordinary race.
    }
  }

  private boolean push(String ref, ObjectId expectedOld, ObjectId newId, String trackingRef, String context)
      throws IOException {
    RemoteRefUpdate update;
    try (Transport tn = openTransport()) {
      update = new RemoteRefUpdate(repo, (String) null, newId, ref, false, null,
          expectedOld == null ? ObjectId.zeroId() : expectedOld);
      tn.push(NullProgressMonitor.INSTANCE, List.of(update));
    } catch (NoRemoteRepositoryException e) {
      throw new BackendException(
          "No Git repository at " + remote.display() + " (for " + context + "): " + redact(e.getMessage())
              + ". Nothing was written; check the URL, that the repository exists, and the credentials' access"
              + " to it.",
          null,
          true);
    } catch (TransportException e) {
      throw new PushOutcomeUnknown(redact(e.getMessage()),
          "Could not push " + context + " to " + remote.display() + ": " + redact(e.getMessage())
              + RemoteFailures.sshNote(remote.uri()) + ". The remote may or may not have received it; nothing changed in memory and the next"
              + " compare-and-swap finds out. Check the network and retry.");
    }
    switch (update.getStatus()) {
      case OK:
      case UP_TO_DATE:
        if (trackingRef != null && newId != null) {
          track(trackingRef, newId);
        }
        return true;
      case REJECTED_NONFASTFORWARD:
      case REJECTED_REMOTE_CHANGED:
        return false;
      case NON_EXISTING:
        // deleting a ref that is gone: somebody else deleted it first
        return false;
      case REJECTED_OTHER_REASON:
        // Either the remote lost a race under its ref lock ("failed to lock", "cannot lock ref
        // ...: is at X but expected Y"), or it refuses this push for good (a hook, a protected
        // branch). Only the first is a conflict. A lock message is a race even when the ref reads
        // unmoved afterwards (the other writer's update may have failed, or been undone, since).
        if (RemoteFailures.isLockContention(update.getMessage())) {
          return false;
        }
        ObjectId now = read(ref, false, null, context, id -> id);
        if (!Objects.equals(now, expectedOld)) {
          return false;
        }
        throw new BackendException(
            "The remote " + remote.display() + " refused the push of " + context + " (" + ref + "): "
                + redact(String.valueOf(update.getMessage())) + ". Nothing was written; check the remote's"
                + " branch protection and hooks, or the credentials' permissions.",
            null,
            false);
      case REJECTED_NODELETE:
        throw new BackendException(
            "The remote " + remote.display() + " does not allow deleting " + ref + " (" + context + ")."
                + " Allow deletions of refs/infrastate/* (receive.denyDeletes, branch protection).",
            null,
            false);
      default:
        throw new BackendException(
            "Pushing " + context + " to " + remote.display() + " failed: " + update.getStatus()
                + (update.getMessage() == null ? "" : " (" + redact(update.getMessage()) + ")") + ". Retry later.",
            null,
            true);
    }
  }

  /**
   * A push whose connection broke after it may have reached the remote: the ref may or may not
   * have moved. Callers that can find out (the state's own commit) do; others report it as is.
   */
  static final class PushOutcomeUnknown extends BackendException {
    private static final long serialVersionUID = 1L;

    /** What the transport said, without advice. */
    final String detail;

    PushOutcomeUnknown(String detail, String message) {
      super(message, null, true);
      this.detail = detail;
    }
  }

  // ---------------------------------------------------------------- transport

  private Transport openTransport() throws IOException {
    return openTransport(0);
  }

  /** A transport to the remote; {@code depth} > 0 makes its fetches shallow to that depth. */
  private Transport openTransport(int depth) throws IOException {
    if (remote.localPath() != null && !Files.isDirectory(remote.localPath())) {
      throw new NoRemoteRepositoryException(remote.uri(), "the directory does not exist");
    }
    Transport tn;
    try {
      // Protocol version 2 where the server has it: JGit's version 0 fetch client cannot deepen a
      // shallow clone with 64 commits or more (it reads the answer to its first "have" lines where
      // the server sent the shallow boundary). Set in memory only, never saved to the clone's config.
      if (repo.getConfig().getInt("protocol", null, "version", 0) != 2) {
        repo.getConfig().setInt("protocol", null, "version", 2);
      }
      tn = Transport.open(repo, remote.uri());
      if (remote.localPath() != null) {
        tn = new PathRemoteTransport(repo, remote.uri(), tn, remote.localPath(), fsync);
      }
    } catch (NotSupportedException e) {
      throw new BackendException(
          "Cannot open the Git remote " + remote.display() + ": " + redact(e.getMessage()) + RemoteFailures.missingSshHint(remote.uri()),
          null,
          false);
    }
    tn.setTimeout(remote.timeoutSeconds());
    if (depth > 0) {
      tn.setDepth(depth);
    }
    if (remote.credentials() != null) {
      tn.setCredentialsProvider(remote.credentials());
    }
    if (remote.configure() != null) {
      remote.configure().configure(tn);
    }
    return tn;
  }

  /** Removes the remote's user name and password from a message, should JGit have included them. */
  String redact(String message) {
    if (message == null) {
      return "";
    }
    String m = message;
    if (remote != null) {
      for (String secret : remote.secrets()) {
        if (secret != null && !secret.isEmpty()) {
          m = m.replace(secret, "***");
        }
      }
    }
    return m;
  }

  /** A storage failure as a {@link BackendException}, naming what was being done. */
  BackendException failure(String doing, IOException e) {
    boolean damaged = e instanceof CorruptObjectException || e instanceof MissingObjectException;
    return new BackendException(
        "Could not " + doing + ": " + e.getClass().getSimpleName() + ": " + redact(e.getMessage()) + "."
            + (damaged ? " The repository " + repo.getDirectory() + " itself looks damaged; run `git fsck` on it." : "")
            + " Nothing was written; the in-memory state is unchanged.",
        e instanceof TransportException ? null : e,
        e instanceof TransportException);
  }

  /**
   * Closes the repository, after waiting for a gc this store runs in the background: once this
   * returns, the store writes nothing more into the repository.
   */
  @Override
  public void close() {
    gc.close();
    repo.close();
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      return !s.iterator().hasNext();
    }
  }
}
