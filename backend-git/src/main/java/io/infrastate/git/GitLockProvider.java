package io.infrastate.git;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.lock.AbstractLockProvider;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Locks kept as refs in a Git repository: lock {@code NAME} is the ref {@code
 * refs/infrastate/locks/NAME}, pointing at a commit whose tree holds {@code lock.json} (the {@link
 * LockInfoCodec} document: operator, timestamp, operation, reason, lease). Works on a local
 * repository or, through a clone, on a remote (path, SSH, HTTPS), with the same settings as {@link
 * GitBackend}; both may share one repository and one clone directory.
 *
 * <h2>Why refs, not committed lock files</h2>
 *
 * A lock file committed to the state branch (the GARZA workflow) makes every acquire and release a
 * commit in the state's history, and two machines that commit a lock file at once both succeed
 * locally and only learn at push time which one lost. A ref is created, moved and deleted
 * atomically on its own: creating it is a push whose expected old value is "absent", which the
 * remote checks under its ref lock, so two machines never both hold a lock. Lock refs are outside
 * {@code refs/heads/}: they never add commits to any branch, and {@code git clone} does not fetch
 * them. People can still read them: {@code git ls-remote origin 'refs/infrastate/locks/*'}, {@code
 * git fetch origin 'refs/infrastate/locks/*:refs/infrastate/locks/*'}, {@code git show
 * refs/infrastate/locks/deploy:lock.json}, and {@code git log refs/infrastate/locks/deploy} (a
 * renewal or a takeover is a child commit of the lock's previous commit).
 *
 * <h2>Primitives</h2>
 *
 * <ul>
 *   <li>create: an orphan commit, and the ref moved from absent to it (local: a {@link
 *       org.eclipse.jgit.lib.RefUpdate} with expected old id zero; remote: a push with expected old
 *       id zero);
 *   <li>replace (renew, takeover): a child commit of the current lock commit, and a fast-forward
 *       with the current commit as expected old value;
 *   <li>release, force-unlock: a child commit holding the released record (it carries the
 *       fencing token on to the next acquisition), fast-forwarded as a replace is; the next
 *       acquisition is a child commit of that one. {@code git log} of a lock ref is the lock's
 *       whole story: every acquisition, renewal, takeover and release.
 * </ul>
 *
 * Nothing is ever force-pushed. The remote must allow creating and deleting refs under {@code
 * refs/infrastate/} (no {@code receive.denyDeletes}, no protection rule on that namespace).
 *
 * <p>Lock commits are loose objects, maintained as {@link GitBackend}'s are (its "Maintenance"
 * section): {@code close()} waits for a gc the provider runs in the background.
 *
 * <h2>Ref names</h2>
 *
 * Letters, digits, {@code -} and {@code _} of a lock name are kept; every other character
 * (including {@code .} and {@code :}) becomes {@code %XX} of its UTF-8 bytes, so that each name
 * maps to a valid, distinct ref ({@code resource-linode:42} becomes {@code
 * refs/infrastate/locks/resource-linode%3A42}). A name whose encoding is longer than 200 characters
 * becomes {@code h-} and the SHA-256 of the name. The stored document names its lock; a lock ref
 * whose document names another lock (a hash collision, or two names that differ only in case on a
 * case-insensitive file system) is reported as damage, never used.
 *
 * <p>Instances are thread-safe.
 */
public final class GitLockProvider extends AbstractLockProvider {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * AbstractLockProvider reduces every operation to read + one conditional primitive; this class
   * makes each primitive a single ref compare-and-swap (RefStore.compareAndSet), which is atomic
   * against every other process and machine: locally through the ref's .lock file (the protocol
   * the git CLI shares), remotely through receive-pack's locked old-value check. The version in a
   * LockRecord is the lock commit id, so "replace only if unchanged" compares commit ids.
   *
   * Reads in clone mode ask the remote for the ref (one round trip) and fetch the lock commit only
   * when it is new to the clone. Objects are written before the ref that makes them visible; a
   * crash in between leaves an unreachable commit and no lock. A holder that crashes leaves its
   * ref; its lease bounds how long it blocks others.
   */

  /** The namespace of lock refs. */
  public static final String REF_PREFIX = "refs/infrastate/locks/";

  /** The file in a lock commit's tree that holds the lock document. */
  public static final String LOCK_FILE = "lock.json";

  private static final int MAX_ENCODED = 200;

  /** Package-private for tests that run a gc through the store's own repository. */
  final RefStore store;
  private final String location;

  /** Whether closing this provider closes the store (false when it shares a backend's). */
  private final boolean ownsStore;

  /** The namespace of this provider's lock refs: {@link #REF_PREFIX}, or a workspace's. */
  private final String prefix;

  /** The backend's record of its own write leases, or null for a provider of its own. */
  private final WriteLeaseGate gate;

  /**
   * A provider on a backend's store, in the default namespace; {@code gate}, if not null, learns
   * which write leases this provider holds (a remote backend's).
   */
  GitLockProvider(RefStore store, LockOptions options, boolean ownsStore, WriteLeaseGate gate) {
    this(store, options, ownsStore, REF_PREFIX, gate);
  }

  private GitLockProvider(RefStore store, LockOptions options, boolean ownsStore, String prefix, WriteLeaseGate gate) {
    super(options);
    this.store = store;
    this.prefix = prefix;
    this.location = store.location(prefix);
    this.ownsStore = ownsStore;
    this.gate = gate;
  }

  /** The ref of a lock in this provider's namespace. */
  private String ref(String name) {
    io.infrastate.lock.LockNames.validate(name);
    return prefix + encode(name);
  }

  /**
   * Starts a builder.
   *
   * <pre>{@code
   * try (GitLockProvider locks = GitLockProvider.builder()
   *         .remote("ssh://git@git.example.com/ops/infra.git")
   *         .cloneDirectory(Path.of("/var/cache/infrastate/infra"))
   *         .build();
   *     Lock lock = locks.acquire("deploy", LockRequest.of("deploy api v2.1.0"), Duration.ofMinutes(5))) {
   *   // deploy
   * }
   * }</pre>
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The ref that holds a lock.
   *
   * @param name a valid lock name
   * @return such as {@code refs/infrastate/locks/resource-linode%3A42}
   * @throws IllegalArgumentException if the name breaks a naming rule
   */
  public static String refFor(String name) {
    io.infrastate.lock.LockNames.validate(name);
    return REF_PREFIX + encode(name);
  }

  /**
   * A name as one path component: letters, digits, {@code -} and {@code _} kept, every other byte
   * of its UTF-8 form as {@code %XX}; {@code h-} and its SHA-256 if that is longer than 200.
   */
  static String encode(String name) {
    StringBuilder sb = new StringBuilder(name.length() + 16);
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.length() <= MAX_ENCODED ? sb.toString() : "h-" + sha256(name);
  }

  @Override
  public String location() {
    return location;
  }

  // ---------------------------------------------------------------- primitives

  @Override
  protected Optional<LockRecord> readLock(String name) {
    return readRef(ref(name), name);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The refs directly under this provider's namespace (the repository's in local mode, the
   * remote's in clone mode), each read as {@link #readLock(String)} reads one; a ref removed while
   * listing is skipped.
   */
  @Override
  protected List<LockRecord> readLocks() {
    List<String> refs;
    try {
      refs = store.refNames(prefix);
    } catch (IOException e) {
      throw store.failure("list the locks at " + location, e);
    }
    List<LockRecord> out = new ArrayList<>();
    for (String ref : refs) {
      if (ref.indexOf('/', prefix.length()) < 0) {
        readRef(ref, null).ifPresent(out::add);
      }
    }
    return out;
  }

  /** Reads the lock under a ref; {@code name} is the lock it must hold, or null when listing. */
  private Optional<LockRecord> readRef(String ref, String name) {
    String what = name == null ? "lock ref " + ref : "lock '" + name + "'";
    try {
      return store.read(ref, true, null, what + " at " + location, id -> {
        if (id == null) {
          return Optional.empty();
        }
        String source = store.location(ref) + " at commit " + CommitFormat.abbrev(id);
        byte[] content;
        try (RevWalk rw = new RevWalk(store.repo)) {
          RevCommit c = rw.parseCommit(id);
          content = lockFile(rw.getObjectReader(), c, ref, source);
        } catch (IncorrectObjectTypeException e) {
          throw damaged(ref, source, "it does not point at a commit");
        }
        LockInfo info = LockInfoCodec.decode(content, source);
        if (name != null && !info.name().equals(name)) {
          throw damaged(ref, source, "its lock.json is for lock '" + info.name() + "', not '" + name + "'");
        }
        if (name == null && !ref.equals(prefix + encode(info.name()))) {
          throw damaged(ref, source, "its lock.json is for lock '" + info.name() + "', whose ref is "
              + prefix + encode(info.name()));
        }
        return Optional.of(new LockRecord(info, id.name()));
      });
    } catch (IOException e) {
      throw store.failure("read " + what + " at " + location, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A lock's ref stays after its release (the released record carries the fencing token on),
   * so after a name's first use every create finds a ref: that is found out with a read, before
   * any object is written or pushed, which keeps polling waiters cheap.
   */
  @Override
  protected boolean createLock(String name, LockInfo info) {
    String ref = ref(name);
    try {
      if (store.read(ref, false, null, "lock '" + name + "' at " + location, id -> id != null)) {
        return false;
      }
    } catch (IOException e) {
      throw store.failure("read lock '" + name + "' at " + location, e);
    }
    return write(name, null, info, "Lock " + name + ": " + summary(info));
  }

  @Override
  protected boolean replaceLock(String name, LockRecord expected, LockInfo next) {
    String subject;
    if (next.released()) {
      subject = "Release lock " + name;
    } else if (expected.info().released()) {
      subject = "Lock " + name + ": " + summary(next);
    } else if (expected.info().id().equals(next.id())) {
      subject = "Renew lock " + name + " until " + next.expiresAt();
    } else {
      subject = "Take over lock " + name + " from " + expected.info().operator() + ": " + summary(next);
    }
    ObjectId previous = ObjectId.fromString(expected.version());
    return write(name, previous, next, subject);
  }

  @Override
  protected boolean deleteLock(String name, LockRecord expected) {
    try {
      return store.compareAndSet(ref(name), ObjectId.fromString(expected.version()), null, null,
          "infrastate: unlock " + name, null, "lock '" + name + "'");
    } catch (IOException e) {
      throw store.failure("delete lock '" + name + "' at " + location, e);
    }
  }

  @Override
  protected void closeStorage() {
    if (ownsStore) {
      store.close();
    }
  }

  private boolean write(String name, ObjectId previous, LockInfo info, String subject) {
    PersonIdent who = CommitFormat.ident(info.operator(), clock().instant());
    try {
      ObjectId commit;
      try (ObjectInserter ins = store.newInserter()) {
        ObjectId blob = ins.insert(Constants.OBJ_BLOB, LockInfoCodec.encode(info));
        TreeFormatter tree = new TreeFormatter();
        tree.append(LOCK_FILE, FileMode.REGULAR_FILE, blob);
        CommitBuilder cb = new CommitBuilder();
        cb.setTreeId(ins.insert(tree));
        if (previous != null) {
          cb.setParentId(previous);
        }
        cb.setAuthor(who);
        cb.setCommitter(who);
        cb.setEncoding(StandardCharsets.UTF_8);
        cb.setMessage(subject + "\n\nLock-Id: " + info.id() + "\nLock-Token: " + info.token()
            + (info.released() ? "\nLock-Released: " : "\nLock-Expires: ") + info.expiresAt() + "\n");
        commit = ins.insert(cb);
        ins.flush();
      }
      boolean lease = gate != null && name.equals(io.infrastate.spi.WriteLeases.LEASE_NAME);
      if (lease && !info.released()) {
        gate.claim(info.id());
      }
      boolean stored = store.compareAndSet(ref(name), previous, commit, who, "infrastate: " + subject, null,
          "lock '" + name + "'");
      if (lease && info.released() && stored) {
        gate.forget(info.id());
      }
      return stored;
    } catch (IOException e) {
      throw store.failure("write lock '" + name + "' at " + location, e);
    }
  }

  private static String summary(LockInfo info) {
    StringBuilder sb = new StringBuilder(info.operator().isEmpty() ? "unknown operator" : info.operator());
    if (!info.operation().isEmpty()) {
      sb.append(" for ").append(info.operation());
    }
    if (!info.reason().isEmpty()) {
      sb.append(" (").append(info.reason()).append(')');
    }
    return sb.toString();
  }

  private byte[] lockFile(ObjectReader reader, RevCommit c, String ref, String source) throws IOException {
    try (TreeWalk tw = TreeWalk.forPath(reader, LOCK_FILE, c.getTree())) {
      if (tw == null || (tw.getRawMode(0) & FileMode.TYPE_MASK) != FileMode.TYPE_FILE) {
        throw damaged(ref, source, "its commit holds no " + LOCK_FILE + " file");
      }
      try (InputStream in = reader.open(tw.getObjectId(0), Constants.OBJ_BLOB).openStream()) {
        return in.readNBytes(LockInfoCodec.MAX_SIZE + 1);
      }
    }
  }

  private CorruptStateException damaged(String ref, String source, String what) {
    return new CorruptStateException(
        source,
        null,
        "Lock " + source + " is damaged: " + what + ". It was not modified; if no operation holds this lock,"
            + " delete it with `git update-ref -d " + ref + "`" + (store.isRemote() ? " (or `git push origin :" + ref + "`)" : "")
            + ".",
        null);
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  // ---------------------------------------------------------------- builder

  /**
   * Configures a {@link GitLockProvider}: a local repository ({@link #repository(Path)}) or a clone
   * of a remote ({@link #remote(String)} with {@link #cloneDirectory(Path)}), as for {@link
   * GitBackend.Builder}. Each setting may be set once. Not thread-safe.
   */
  public static final class Builder extends GitStoreBuilder<Builder> {
    private LockOptions options;
    private String prefix = REF_PREFIX;

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /** Keeps the lock refs under another namespace (a workspace's), ending with '/'. */
    Builder refPrefix(String refPrefix) {
      this.prefix = Objects.requireNonNull(refPrefix, "refPrefix");
      return this;
    }

    /**
     * Clock, default operator, listener and polling; default {@link LockOptions#defaults()}.
     *
     * @param options the lock options
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder options(LockOptions options) {
      if (this.options != null) {
        throw new IllegalStateException("options was already set");
      }
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Opens the repository. The caller closes the provider.
     *
     * @return a new provider
     * @throws IllegalStateException if neither or both of repository and remote were set
     * @throws BackendException if the repository cannot be opened or created
     */
    public GitLockProvider build() {
      store.check();
      RefStore opened = RefStore.open(store, "main", "locks under " + prefix);
      return new GitLockProvider(opened, options == null ? LockOptions.defaults() : options, true, prefix, null);
    }
  }
}
