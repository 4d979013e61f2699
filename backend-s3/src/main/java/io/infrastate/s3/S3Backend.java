package io.infrastate.s3;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.infrastate.BackendException;
import io.infrastate.CommitOutcomeUnknownException;
import io.infrastate.CorruptStateException;
import io.infrastate.HostState;
import io.infrastate.LineageMismatchException;
import io.infrastate.Metadata;
import io.infrastate.ResourceState;
import io.infrastate.Snapshot;
import io.infrastate.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.WriteLeases;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteHistory;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * A state stored in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, S3Proxy) as a log of
 * create-only objects, with a complete, readable {@code state.json} beside it for plain tools.
 * Every write is safe on its own: no lock is needed to avoid lost updates.
 *
 * <pre>{@code
 * try (S3Backend backend = S3Backend.builder()
 *         .bucket("infra").key("envs/prod/state.json").region("eu-west-1").build();
 *     State state = State.load(backend)) {
 *   state.addHost(HostState.builder("web01").address("10.0.0.5").build());
 * }
 * // or: State.open("s3://infra/envs/prod/state.json?region=eu-west-1")
 * }</pre>
 *
 * <h2>Layout</h2>
 *
 * For a state at {@code s3://BUCKET/KEY} (such as {@code envs/prod/state.json}):
 *
 * <pre>
 * KEY                                      readable copy: the state.json of a recent version
 * KEY.infrastate/log/00000000000000000001.json         one create-only record per version
 * KEY.infrastate/log/00000000000000000002.json         (serial zero-padded to 20 digits)
 * KEY.infrastate/checkpoints/00000000000000000032.json the state.json of a version, every so much log
 * KEY.infrastate/locks/NAME.lock                       locks of {@link S3LockProvider}
 * KEY.infrastate/locks/NAME.lock.claims/ETAG           short-lived: one change of a lock version
 * </pre>
 *
 * A log record ({@code LogRecord}) is a one-line JSON header (serial, lineage, kind, time,
 * operator, operation, reason, commit id, removed keys) followed by a state.json document: the
 * whole state ({@code full}: the first record, rollbacks and replacements) or the version's
 * metadata plus the hosts and resources it added or replaced ({@code delta}). A bare state.json
 * document is accepted as a full record too, so another tool can commit a version with {@code
 * aws s3api put-object --if-none-match '*'}.
 *
 * <h2>Requests</h2>
 *
 * A write is one create-only PUT of the next record (a few hundred bytes plus the change). It reads
 * nothing when nobody else wrote in between: the version token names the serial this process last
 * saw. The derived objects are written after the write returns, by a background thread of the
 * backend that {@link #close()} and {@link #flushDerived()} wait for: a plain PUT of the readable
 * copy while the state is at most {@link Builder#readableCopyMaxBytes(long)}, and a checkpoint
 * (with the copy) once the log since the newest checkpoint is long enough ({@link
 * Builder#checkpointBytes(long)}: a quarter of the state by default). So no write pays for the
 * whole state, and the checkpoints' cost follows the bytes of log written. {@link #loadIfChanged}
 * is one LIST. A cold {@link #load()} is two LISTs and GETs of one checkpoint plus the records after
 * it (decoded objects are cached by key with Caffeine, since they never change), plus one HEAD of
 * the copy in the background.
 *
 * <h2>Lost replies</h2>
 *
 * When the reply to a commit is lost, the backend reads the record back before returning: it
 * carries the write's id ({@link SaveRequest#writeId()}), so the write either finds itself stored,
 * finds another writer's version there (a conflict: the change is re-applied), or finds nothing
 * and sends the same create-only PUT again. Only when the server cannot be read either does a
 * write fail with {@link io.infrastate.CommitOutcomeUnknownException}; a retry that passes it back
 * ({@link io.infrastate.AuditEntry#retrying}) is a no-op if the write was stored ({@link
 * #committedBy}).
 *
 * <h2>Servers that ignore conditional writes</h2>
 *
 * Before its first write, a backend checks once that the server refuses a create-only PUT of an
 * existing object (three requests on a probe object that is deleted again). A server that accepts
 * it ignores {@code If-None-Match}, which would let two writers commit the same version: every
 * write and lock is then refused with {@link ConditionalWritesUnsupportedException}, naming the
 * endpoint. Reads keep working.
 *
 * <h2>URI</h2>
 *
 * {@code s3://BUCKET/KEY?region=R&endpoint=URL&pathStyle=true&profile=P&sse=AES256|aws:kms
 * &kmsKeyId=ID&checkpointBytes=N&checkpointInterval=K&readableCopyMaxBytes=N&retainCheckpoints=N}; see {@link
 * S3BackendProvider}. Credentials come from the AWS SDK's default chain (or the named profile),
 * never from the URI, and are never logged.
 *
 * <p>Instances are thread-safe; several {@link io.infrastate.State} handles may share one.
 */
public final class S3Backend implements io.infrastate.spi.ExternalEditBackend, HistoryBackend, WriteLeases, WriteHistory {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * THE COMMIT. Version N exists exactly when the object log/N exists. A writer that loaded
   * version N-1 commits N by PUT log/N with If-None-Match: *. S3 (and MinIO, and S3Proxy, where
   * this is the one conditional write that is atomic) lets exactly one writer create a key, so
   * at most one version N ever exists: there are no lost updates and no two winners for one
   * serial, whatever the number of processes and machines. The loser gets 412 (or 409 from AWS
   * for a simultaneous conditional write), lists the log after N-1, replays the new records onto
   * the version it holds, and returns Conflict(current) so that State re-runs the transaction on
   * it. Records are immutable once created, so they are cached by key forever (Caffeine, bounded
   * by bytes) and the version token only needs the serial and lineage.
   *
   * Only a writer that holds version N-1 can create N, so the log is contiguous: a gap, a delta
   * record with no full record or checkpoint before it, or a record whose serial differs from its
   * key is damage (CorruptStateException naming the object), and nothing is written over it.
   * A record with a lineage other than the one a writer holds means the state was replaced: that
   * writer stops with LineageMismatchException.
   *
   * AMBIGUOUS COMMITS. Every record carries its write's id (SaveRequest.writeId, the header's
   * "commit"), the same for every attempt of one write. If the PUT's reply is lost (connection
   * reset, server restart) the SDK retries; a retry that meets 412 reads log/N and, finding its own
   * id, reports success: one PUT, never two versions for one change. When the PUT fails for good,
   * save resolves the outcome before returning: a request that never reached the server
   * (connection refused) stored nothing; otherwise it reads log/N back. This write's id: stored.
   * Another id: it can never be stored (the key is create-only), so a conflict. No record: it was
   * not stored, and the same bytes are PUT once more with If-None-Match, so an original that
   * arrives late is refused rather than making a second version. Only when the server cannot be
   * read either does save throw CommitOutcomeUnknownException with the write id and serial N. A
   * retry that passes it back (AuditEntry.retrying) is a no-op once State holds version N and
   * committedBy(N, id) finds the id in log/N; while State holds less, the retry is an ordinary
   * compare-and-swap on N, which either stores the retry as N (so the lost write can never be
   * stored) or conflicts because N exists, after which the check runs. A retry is therefore
   * applied at most once. Pruning log/N removes the evidence: retry before pruning reaches it.
   *
   * SERVERS THAT IGNORE THE CONDITION. Some S3-compatible servers accept If-None-Match and
   * ignore it, so every PUT "wins" and two writers could both commit serial N. Before its first
   * conditional write, each S3Store (one per backend; a lock provider from lockProvider() shares
   * it, one made by S3LockProvider.create has its own) creates a probe object under
   * KEY.infrastate/, creates it again with If-None-Match: *, and deletes it. A server that accepts
   * the second PUT is refused for every write and lock (ConditionalWritesUnsupportedException,
   * naming the endpoint) before anything of the state is written; loads do not probe and keep
   * working. The answer is cached for the store's life; a probe that fails with an I/O error is
   * not an answer and runs again next time. Cost: three requests, once per instance.
   *
   * THE FIRST COMMIT. A state that does not exist yet, or that exists only as a state.json at the
   * user's key (uploaded by hand or written by Go-FTL2: imported as the base, with its own serial,
   * 0 for Go files), is committed with a full record. Before that PUT the writer checks that the
   * log is still empty and the user's key still holds what it imported (one LIST and one HEAD,
   * first commit only), so two first commits race on the same serial and one wins. (Residual: a
   * file uploaded with another serial in the milliseconds between that check and a concurrent
   * creation leads to two "first" records; the next load reports the gap as damage rather than
   * losing either.)
   *
   * DERIVED OBJECTS, AFTER THE COMMIT, OFF THE CALLER'S PATH. Checkpoints (created with
   * If-None-Match, named by the serial they hold) and the readable copy at the user's key (plain
   * PUT, tagged with the serial in user metadata x-amz-meta-infrastate-serial) are derived from
   * the log and written only after the commit succeeded, by the backend's DerivedWriter: one
   * background thread, jobs in submission order, a copy-only job replaced by a newer one while it
   * waits, close() waiting for all. A failure there does not fail the write (it is durable) and is
   * logged at WARN. A checkpoint is due when the records since the newest checkpoint that this
   * process has seen (its own writes, the records it replayed, or the tail listed by a full load
   * with their sizes) weigh at least max(checkpointBytes, state size / 4), a record weighing its
   * size plus 4 KiB for its GET; the count restarts when one is queued. Since checkpoints are
   * create-only and derived, two processes that both decide on one (at different serials) only
   * add a redundant object. A writer that dies (or exits without close) between the commit and
   * these steps leaves a torn sequence: log/N without its checkpoint or with a stale copy. Loading
   * never depends on them: it uses the newest checkpoint that exists and replays a longer tail. The
   * next full load repairs both, in the background too: it queues a checkpoint of the loaded
   * version when its listed tail is long enough and rewrites a copy whose serial (of the same
   * lineage) is behind the loaded version (small states) or the newest checkpoint (large ones).
   * A checkpoint that cannot be decoded or names another serial than its key stops the load with
   * CorruptStateException naming it (it is never trusted); deleting it lets the log rebuild it.
   * Concurrent writers may also finish their copy PUTs out of order, so the copy can lag by a
   * version or two until the next write or load; it never shows an uncommitted version. A copy
   * without the tag at the user's key while a log exists was written by another tool: it is never
   * overwritten (copies are written with If-Match on the copy this backend last wrote or saw), and
   * the next write records it as a version of its own or refuses, by policy (CopyEdits).
   *
   * PRUNING (optional, off by default: history is never rewritten unless asked). With
   * retainCheckpoints(R), after creating a checkpoint the writer deletes checkpoints older than
   * the R newest and log records older than the oldest kept checkpoint. A loader that listed an
   * older checkpoint and then finds its records gone retries its load from the top.
   */

  private static final Logger LOG = LoggerFactory.getLogger(S3Backend.class);

  /** User metadata key (x-amz-meta-…) of the readable copy: the serial it holds. */
  static final String COPY_SERIAL = "infrastate-serial";

  /** User metadata key of the readable copy: the lineage it belongs to. */
  static final String COPY_LINEAGE = "infrastate-lineage";

  private static final int LOAD_ATTEMPTS = 4;

  private final S3Store store;
  private final boolean ownsClient;
  private final String key;
  private final String dir;
  private final String location;
  private final int checkpointInterval;
  private final long checkpointBytes;
  private final long readableCopyMaxBytes;
  private final int retainCheckpoints;
  private final Cache<String, LogRecord> records;
  private final Cache<String, Snapshot> checkpoints;
  private final Cache<VersionKey, Snapshot> versions;
  private final AtomicBoolean warnedForeignCopy = new AtomicBoolean();
  private final CopyEdits copyEdits;
  private final DerivedWriter derived;
  private final Object tailLock = new Object();
  /** The log this process has seen since the newest checkpoint: weight, records, last serial. */
  private long tailWeight;
  private int tailRecords;
  private long tailThrough = -1;
  /** The newest readable copy this backend wrote (touched by the derived writer's thread only). */
  private VersionKey lastCopy;
  private volatile long stateBytes = -1;
  private volatile boolean closed;

  /** Identifies a version across lineages. */
  private record VersionKey(String lineage, long serial) {}

  /**
   * The version token: serial and lineage; {@code imported} when the version is a state.json at the
   * user's key with no log yet, identified by its ETag.
   */
  record S3Token(long serial, String lineage, boolean imported, String copyEtag) implements VersionToken {}

  /** A record fetched for a serial found in a listing. */
  private record Entry(long serial, LogRecord record) {}

  /** Thrown when a listed object vanished before it was read (pruned meanwhile): load again. */
  private static final class Vanished extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Vanished(String key) {
      super(key, null, false, false);
    }
  }

  private S3Backend(Builder b, S3Client client, boolean ownsClient) {
    this.store = new S3Store(client, b.bucket, new S3Store.Sse(b.sse, b.kmsKeyId), b.key + ".infrastate/");
    this.ownsClient = ownsClient;
    this.key = b.key;
    this.dir = b.key + ".infrastate/";
    this.location = "s3://" + b.bucket + "/" + b.key;
    this.checkpointInterval = b.checkpointInterval;
    this.checkpointBytes = b.checkpointBytes;
    this.readableCopyMaxBytes = b.readableCopyMaxBytes;
    this.copyEdits = new CopyEdits(store, key, location, b.externalEdits);
    this.retainCheckpoints = b.retainCheckpoints;
    long half = Math.max(1, b.cacheMaxBytes / 2);
    this.records = Caffeine.newBuilder()
        .maximumWeight(half)
        .weigher((String k, LogRecord r) -> r.size())
        .build();
    this.checkpoints = Caffeine.newBuilder()
        .maximumWeight(half)
        .weigher((String k, Snapshot s) -> weight(s))
        .build();
    this.versions = Caffeine.newBuilder().maximumSize(8).build();
    this.derived = new DerivedWriter(location);
  }

  /**
   * A builder for a backend.
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
   * The bucket.
   *
   * @return the bucket name
   */
  public String bucket() {
    return store.bucket();
  }

  /**
   * The key of the readable copy; the log and checkpoints are under {@code key + ".infrastate/"}.
   *
   * @return the object key
   */
  public String key() {
    return key;
  }

  /**
   * A lock provider whose locks are objects under {@code KEY.infrastate/locks/}, sharing this
   * backend's client. Closing the provider does not close the client; closing this backend does
   * (if the backend created it), after which the provider fails.
   *
   * @param options clock, operator, listener, poll intervals
   * @return a new lock provider
   */
  public S3LockProvider lockProvider(LockOptions options) {
    return new S3LockProvider(store, dir + "locks/", options);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The provider of {@link #lockProvider(LockOptions)}: the write lease is the object {@code
   * KEY.infrastate/locks/infrastate-write-lease.lock}.
   */
  @Override
  public LockProvider writeLeases(LockOptions options) {
    return lockProvider(options);
  }

  // ------------------------------------------------------------------ keys

  String logPrefix() {
    return dir + "log/";
  }

  String checkpointPrefix() {
    return dir + "checkpoints/";
  }

  String logKey(long serial) {
    return logPrefix() + pad(serial) + ".json";
  }

  String checkpointKey(long serial) {
    return checkpointPrefix() + pad(serial) + ".json";
  }

  private static String pad(long serial) {
    String s = Long.toString(serial);
    return "0".repeat(Math.max(0, 20 - s.length())) + s;
  }

  /** A listed log record or checkpoint: its serial and size in bytes (-1 if unknown). */
  private record Numbered(long serial, long size) {}

  /** The serials of the objects under a prefix, in order, skipping keys of another shape. */
  private List<Long> serials(String prefix, String startAfter, int limit) {
    List<Long> out = new ArrayList<>();
    for (Numbered n : numbered(prefix, startAfter, limit)) {
      out.add(n.serial());
    }
    return out;
  }

  /** The objects under a prefix with their serials and sizes, in order, skipping keys of another shape. */
  private List<Numbered> numbered(String prefix, String startAfter, int limit) {
    List<Numbered> out = new ArrayList<>();
    for (S3Store.Listed l : store.list(prefix, startAfter, limit)) {
      String name = l.key().substring(prefix.length());
      if (name.length() == 25 && name.endsWith(".json")) {
        try {
          out.add(new Numbered(Long.parseLong(name.substring(0, 20)), l.size()));
          continue;
        } catch (NumberFormatException e) {
          // not ours; fall through
        }
      }
      LOG.debug("Ignoring object {} under {}: not a log or checkpoint name", l.key(), location);
    }
    return out;
  }

  // ------------------------------------------------------------------ load

  @Override
  public Optional<StoredState> load() {
    checkOpen();
    return loadLatest();
  }

  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    checkOpen();
    if (known instanceof S3Token t && t.imported()) {
      // A file without log: the same serial and lineage may hold other content (edited by hand).
      Optional<StoredState> latest = loadLatest();
      if (latest.isPresent() && latest.get().token() instanceof S3Token now && now.imported()
          && now.copyEtag().equals(t.copyEtag())) {
        return Optional.empty();
      }
      return latest.isPresent() ? latest : HistoryBackend.super.loadIfChanged(known);
    }
    if (!(known instanceof S3Token t) || t.serial() < 1) {
      return HistoryBackend.super.loadIfChanged(known);
    }
    return changedSince(t);
  }

  /**
   * What was committed after a known log version: one LIST that starts at the known record. When
   * the known record is no longer listed (pruned, deleted, replaced), a full load decides.
   */
  private Optional<StoredState> changedSince(S3Token known) {
    List<Numbered> listed = numbered(logPrefix(), logKey(known.serial() - 1), Integer.MAX_VALUE);
    List<Long> after = listed.stream().map(Numbered::serial).toList();
    if (after.isEmpty() || after.get(0) != known.serial()) {
      // The known record is gone (log pruned past it, deleted, or replaced): decide from scratch.
      return HistoryBackend.super.loadIfChanged(known);
    }
    if (after.size() == 1) {
      return Optional.empty();
    }
    Snapshot base = versions.getIfPresent(new VersionKey(known.lineage(), known.serial()));
    if (base == null) {
      return HistoryBackend.super.loadIfChanged(known);
    }
    try {
      List<Entry> tail = new ArrayList<>();
      for (int i = 1; i < after.size(); i++) {
        tail.add(new Entry(after.get(i), record(after.get(i))));
      }
      checkContiguous(known.serial(), after);
      Snapshot latest = replay(base, tail);
      boolean due = false;
      for (Numbered n : listed.subList(1, listed.size())) {
        due |= countLog(n.serial(), n.size());
      }
      if (due) {
        derived.submit(new Derive(latest, true, false));
      }
      return Optional.of(remember(latest));
    } catch (Vanished v) {
      return HistoryBackend.super.loadIfChanged(known);
    }
  }

  private Optional<StoredState> loadLatest() {
    for (int attempt = 1; ; attempt++) {
      try {
        return loadOnce();
      } catch (Vanished v) {
        if (attempt >= LOAD_ATTEMPTS) {
          throw new BackendException(
              "The log of " + location + " changed under each of " + attempt + " loads (object "
                  + v.getMessage() + " vanished after it was listed); another process is pruning it."
                  + " Retry later.", null, true);
        }
        LOG.debug("Object {} vanished while loading {}; loading again", v.getMessage(), location);
      }
    }
  }

  private Optional<StoredState> loadOnce() {
    List<Long> cps = serials(checkpointPrefix(), null, Integer.MAX_VALUE);
    Long cp = cps.isEmpty() ? null : cps.get(cps.size() - 1);
    List<Numbered> listed = numbered(logPrefix(), cp == null ? null : logKey(cp), Integer.MAX_VALUE);
    List<Long> tail = listed.stream().map(Numbered::serial).toList();
    if (cp == null && tail.isEmpty()) {
      return importCopy();
    }
    if (cp != null && !tail.isEmpty() && tail.get(0) != cp + 1) {
      if (serials(checkpointPrefix(), checkpointKey(cp), 1).isEmpty()) {
        throw corrupt(logKey(cp + 1), "the log is missing serials " + (cp + 1) + " to " + (tail.get(0) - 1)
            + " after checkpoint " + cp);
      }
      throw new Vanished(checkpointKey(cp)); // a newer checkpoint appeared: pruning in progress
    }
    long firstSerial = cp != null ? cp : tail.get(0) - 1;
    checkContiguous(firstSerial, prepend(firstSerial, tail));
    Reconstruction r = reconstruct(cp, tail, location);
    long head = r.snapshot.metadata().serial();
    boolean due = restartCount(head, listed);
    // repairs off the caller's path: a checkpoint a dead writer owed, a readable copy behind
    derived.submit(new Derive(r.snapshot, due, true));
    LOG.debug("Loaded {} at serial {} ({} records replayed)", location, head, r.replayed);
    return Optional.of(remember(r.snapshot));
  }

  private static List<Long> prepend(long first, List<Long> rest) {
    List<Long> all = new ArrayList<>(rest.size() + 1);
    all.add(first);
    all.addAll(rest);
    return all;
  }

  private void checkContiguous(long before, List<Long> serials) {
    long expect = before;
    for (long s : serials) {
      if (s != expect) {
        throw corrupt(logKey(expect), "the log is missing serial " + expect + " (the next record is " + s + ")");
      }
      expect++;
    }
  }

  /** A version rebuilt from a checkpoint or full record plus deltas. */
  private static final class Reconstruction {
    Snapshot snapshot;
    int replayed;
  }

  /**
   * Rebuilds the version of the last serial in {@code tail}: walks back from it to the newest
   * full record, or to the checkpoint {@code cp} just before the tail, then replays forward.
   */
  private Reconstruction reconstruct(Long cp, List<Long> tail, String what) {
    Reconstruction out = new Reconstruction();
    if (tail.isEmpty()) {
      out.snapshot = checkpoint(cp);
      return out;
    }
    List<Entry> walked = new ArrayList<>();
    Snapshot base = null;
    for (int i = tail.size() - 1; i >= 0; i--) {
      long serial = tail.get(i);
      LogRecord rec = record(serial);
      if (rec.kind() == LogRecord.Kind.FULL) {
        if (!walked.isEmpty()) {
          checkLineage(rec.lineage(), walked.get(walked.size() - 1));
        }
        checkSerial(serial, rec);
        base = rec.payload();
        break;
      }
      walked.add(new Entry(serial, rec));
    }
    if (base == null) {
      if (cp == null) {
        long first = tail.get(0);
        throw corrupt(logKey(first), "the log of " + what + " starts with a change record at serial " + first
            + " and there is no checkpoint or full record before it to apply it to");
      }
      base = checkpoint(cp);
    }
    Collections.reverse(walked);
    out.snapshot = replay(base, walked);
    out.replayed = walked.size();
    return out;
  }

  /** Applies records in order to a base version. */
  private Snapshot replay(Snapshot base, List<Entry> tail) {
    if (tail.isEmpty()) {
      return base;
    }
    TreeMap<String, HostState> hosts = new TreeMap<>(base.hosts());
    TreeMap<String, ResourceState> resources = new TreeMap<>(base.resources());
    Metadata meta = base.metadata();
    for (Entry e : tail) {
      LogRecord r = e.record();
      if (meta.hasLineage() && !r.lineage().equals(meta.lineage())) {
        throw new LineageMismatchException(location, meta.lineage(), r.lineage());
      }
      checkSerial(e.serial(), r);
      if (e.serial() != meta.serial() + 1) {
        throw corrupt(logKey(e.serial()), "record " + e.serial() + " follows version " + meta.serial());
      }
      r.applyTo(hosts, resources);
      meta = r.payload().metadata();
    }
    return Snapshot.of(meta, hosts, resources);
  }

  private void checkLineage(String fullLineage, Entry later) {
    if (!fullLineage.isEmpty() && !later.record().lineage().equals(fullLineage)) {
      throw corrupt(logKey(later.serial()), "record " + later.serial() + " has lineage '" + later.record().lineage()
          + "' but the full record before it has '" + fullLineage + "'");
    }
  }

  private void checkSerial(long keySerial, LogRecord r) {
    if (r.serial() != keySerial) {
      throw corrupt(logKey(keySerial), "the record holds serial " + r.serial() + " but is stored as serial " + keySerial);
    }
  }

  private Optional<StoredState> importCopy() {
    Optional<S3Store.Blob> copy = store.get(key);
    if (copy.isEmpty()) {
      return Optional.empty();
    }
    S3Store.Blob b = copy.get();
    if (b.metadata().containsKey(COPY_SERIAL)) {
      LOG.warn("{} is a copy written by infrastate (serial {}), but its log under {} is empty: importing"
          + " the copy as the base of a new log", location, b.metadata().get(COPY_SERIAL), logPrefix());
    }
    Snapshot s = StateCodec.decode(b.content(), location,
        "the log under " + store.uri(dir) + " is empty, so this file is the only copy");
    stateBytes = b.content().length;
    return Optional.of(new StoredState(s, new S3Token(s.metadata().serial(), s.metadata().lineage(), true, b.etag())));
  }

  private StoredState remember(Snapshot s) {
    versions.put(new VersionKey(s.metadata().lineage(), s.metadata().serial()), s);
    return new StoredState(s, new S3Token(s.metadata().serial(), s.metadata().lineage(), false, ""));
  }

  // ------------------------------------------------------------------ derived objects

  /** What a log record weighs beyond its bytes when deciding on a checkpoint: the request that reads it. */
  static final long RECORD_WEIGHT = 4096;

  /**
   * Counts a log record this process has seen (written, or replayed in a refresh) towards the next
   * checkpoint.
   *
   * @return whether a checkpoint is now due (the count then restarts)
   */
  private boolean countLog(long serial, long size) {
    synchronized (tailLock) {
      if (serial <= tailThrough) {
        return false;
      }
      tailThrough = serial;
      tailWeight += Math.max(0, size) + RECORD_WEIGHT;
      tailRecords++;
      return checkpointDue();
    }
  }

  /**
   * Restarts the count from a full load: {@code listed} are the records after the newest checkpoint.
   *
   * @return whether a checkpoint is due for the loaded version
   */
  private boolean restartCount(long head, List<Numbered> listed) {
    synchronized (tailLock) {
      tailThrough = head;
      tailWeight = 0;
      for (Numbered n : listed) {
        tailWeight += Math.max(0, n.size()) + RECORD_WEIGHT;
      }
      tailRecords = listed.size();
      return checkpointDue();
    }
  }

  /** Whether the log since the newest checkpoint is long enough; if so, restarts the count. */
  private boolean checkpointDue() {
    long size = stateBytes;
    long threshold = Math.max(checkpointBytes, size < 0 ? 0 : size / 4);
    boolean due = tailRecords > 0
        && (tailWeight >= threshold || (checkpointInterval > 0 && tailRecords >= checkpointInterval));
    if (due) {
      tailWeight = 0;
      tailRecords = 0;
    }
    return due;
  }

  /**
   * The derived objects owed for a version, written by {@link #derived} off the caller's path: a
   * checkpoint, and the readable copy (checked against the stored one after a load).
   */
  private final class Derive implements DerivedWriter.Job {
    private final Snapshot snapshot;
    private final boolean checkpoint;
    private final boolean verifyCopy;

    Derive(Snapshot snapshot, boolean checkpoint, boolean verifyCopy) {
      this.snapshot = snapshot;
      this.checkpoint = checkpoint;
      this.verifyCopy = verifyCopy;
    }

    @Override
    public boolean coalescible() {
      return !checkpoint;
    }

    @Override
    public void run() {
      writeDerived(this);
    }
  }

  private void writeDerived(Derive d) {
    Snapshot s = d.snapshot;
    long serial = s.metadata().serial();
    byte[] bytes = null;
    boolean checkpointed = false;
    if (d.checkpoint && serial > 0) {
      try {
        bytes = encodeState(s);
        if (store.putIfAbsent(checkpointKey(serial), bytes, Map.of()).isPresent()) {
          LOG.debug("Wrote checkpoint {} of {}", serial, location);
        }
        checkpointed = true;
        if (retainCheckpoints > 0) {
          prune();
        }
      } catch (BackendException e) {
        LOG.warn("Version {} of {} is committed, but its checkpoint could not be written: {}. The next load"
            + " creates it.", serial, location, e.getMessage());
      }
    }
    try {
      if (d.verifyCopy) {
        repairCopy(s, bytes, checkpointed);
        return;
      }
      if (stateBytes < 0 && bytes == null) {
        bytes = encodeState(s);
      }
      if (checkpointed || isSmall()) {
        writeCopy(s, bytes);
      }
    } catch (BackendException e) {
      LOG.warn("Version {} of {} is committed, but its readable copy could not be written: {}. The next"
          + " write or load rewrites it.", serial, location, e.getMessage());
    }
  }

  /**
   * After a load: rewrites a readable copy that is behind the loaded version (small states) or
   * behind the newest checkpoint (large states; {@code checkpointed}: the loaded version has one).
   */
  private void repairCopy(Snapshot s, byte[] encoded, boolean checkpointed) {
    byte[] bytes = encoded;
    long head = s.metadata().serial();
    Optional<S3Store.Head> copy = store.head(key);
    String tagged = copy.map(h -> h.metadata().get(COPY_SERIAL)).orElse(null);
    copy.ifPresent(copyEdits::seen); // an upload from another tool is kept for the next write to record
    if (copy.isPresent() && tagged == null) {
      if (!copyEdits.pending() && warnedForeignCopy.compareAndSet(false, true)) {
        LOG.warn("{} was written by another tool (it has no infrastate metadata) while the state is kept in"
            + " the log under {}; it could not be read as an edit of the state and is left as it is.",
            location, logPrefix());
      }
      return;
    }
    boolean sameLineage = copy.isPresent()
        && s.metadata().lineage().equals(copy.get().metadata().getOrDefault(COPY_LINEAGE, s.metadata().lineage()));
    long copySerial = tagged == null || !sameLineage ? -1 : parseSerial(tagged);
    if (stateBytes < 0) {
      if (copy.isPresent() && copy.get().size() >= 0) {
        stateBytes = copy.get().size(); // the size of a recent version: good enough to decide
      } else {
        bytes = encodeState(s);
      }
    }
    long target = isSmall() || checkpointed ? head : newestCheckpointAtOrBefore(head);
    if (copySerial < target) {
      writeCopy(s, bytes);
      LOG.info("Rewrote the readable copy {} from serial {} to {}", location, copySerial, head);
    }
  }

  private long newestCheckpointAtOrBefore(long serial) {
    long newest = -1;
    for (long c : serials(checkpointPrefix(), null, Integer.MAX_VALUE)) {
      if (c <= serial) {
        newest = c;
      }
    }
    return newest;
  }

  /** Writes the readable copy unless this backend already wrote a newer one of the same lineage. */
  private void writeCopy(Snapshot s, byte[] encoded) {
    VersionKey v = new VersionKey(s.metadata().lineage(), s.metadata().serial());
    VersionKey last = lastCopy;
    if (last != null && last.lineage().equals(v.lineage()) && last.serial() > v.serial()) {
      return;
    }
    if (copyEdits.writeCopy(encoded != null ? encoded : encodeState(s), copyMetadata(s))) {
      lastCopy = v;
    }
  }

  private byte[] encodeState(Snapshot s) {
    byte[] bytes = StateCodec.encode(s);
    stateBytes = bytes.length;
    return bytes;
  }

  /**
   * Waits until the checkpoints and readable copies owed for the versions this backend has written
   * or loaded so far are written (or have failed, which is logged at WARN). {@link #close()} does
   * this too; call it to hand the bucket to another tool while the backend stays open.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void flushDerived() throws InterruptedException {
    derived.await();
  }

  private static long parseSerial(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private boolean isSmall() {
    long b = stateBytes;
    return b >= 0 && b <= readableCopyMaxBytes;
  }

  private LogRecord record(long serial) {
    String k = logKey(serial);
    return records.get(k, x -> {
      S3Store.Blob b = store.get(x).orElseThrow(() -> new Vanished(x));
      return LogRecord.decode(b.content(), store.uri(x),
          "it is the commit of version " + serial + "; the versions before it are intact");
    });
  }

  private Snapshot checkpoint(long serial) {
    String k = checkpointKey(serial);
    return checkpoints.get(k, x -> {
      S3Store.Blob b = store.get(x).orElseThrow(() -> new Vanished(x));
      Snapshot s = StateCodec.decode(b.content(), store.uri(x),
          "checkpoints are derived from the log: if the log still holds the records up to " + serial
              + ", delete this checkpoint and it will be rebuilt");
      if (s.metadata().serial() != serial) {
        throw new CorruptStateException(store.uri(x), "$.metadata.serial", "Checkpoint " + store.uri(x)
            + " holds serial " + s.metadata().serial() + " but is named " + serial + ". It was not modified;"
            + " delete it and it will be rebuilt from the log.", null);
      }
      stateBytes = b.content().length;
      return s;
    });
  }

  private CorruptStateException corrupt(String objectKey, String what) {
    return new CorruptStateException(store.uri(objectKey), null,
        "State " + location + " is damaged: " + what + " (at " + store.uri(objectKey) + "). Nothing was"
            + " modified; restore the missing or damaged objects from a backup or bucket versioning.",
        null);
  }

  // ------------------------------------------------------------------ save

  /**
   * Commits a version by creating its log record with {@code If-None-Match: *}; see the class
   * documentation. Returns {@link SaveResult.Conflict} with the newer stored version when another
   * writer created that serial first. After the commit, queues the readable copy and (when the log
   * since the newest checkpoint is long enough) a checkpoint for the background writer; their
   * failure is logged, not thrown, since the version is durable.
   *
   * @throws ConditionalWritesUnsupportedException if the server ignores {@code If-None-Match}
   * @throws CommitOutcomeUnknownException if the reply to the commit was lost and reading the record
   *     back failed too, so that whether this write is stored cannot be known
   * @throws BackendException if the request fails; nothing was stored
   */
  @Override
  public SaveResult save(SaveRequest request) {
    return save(request, false);
  }

  /** Saves; {@code recording}: the request records an upload ({@link CopyEdits}), as a full record. */
  private SaveResult save(SaveRequest request, boolean recording) {
    checkOpen();
    Objects.requireNonNull(request, "request");
    store.requireConditionalWrites(); // once per backend: a server that ignores If-None-Match is refused
    VersionToken expected = request.expected();
    Snapshot next = request.snapshot();
    long serial = next.metadata().serial();
    if (expected.exists() && serial != expected.serial() + 1) {
      throw new IllegalArgumentException("version " + serial + " cannot follow version " + expected.serial()
          + " of " + location + "; a save writes exactly the next serial");
    }
    if (serial < 1) {
      throw new IllegalArgumentException("serial " + serial + " of " + location + " must be positive");
    }
    boolean first = !expected.exists() || (expected instanceof S3Token t && t.imported());
    if (first) {
      Optional<SaveResult> refused = checkFirstCommit(expected);
      if (refused.isPresent()) {
        return refused.get();
      }
    }
    if (!first && !recording && copyEdits.pending()) {
      Optional<SaveResult> recorded = recordCopyEdit(expected, null);
      if (recorded.isPresent()) {
        return recorded.get();
      }
    }
    String commit = request.writeId();
    LogRecord.Encoded enc = encode(request, commit, first || recording);
    String k = logKey(serial);
    boolean mine;
    try {
      mine = store.putIfAbsent(k, enc.bytes(), Map.of()).isPresent() || isOwnCommit(k, commit, serial, null);
    } catch (ConditionalWritesUnsupportedException e) {
      throw e;
    } catch (BackendException e) {
      mine = resolveLostReply(k, enc, serial, e);
    }
    if (!mine) {
      LOG.debug("Conflict committing serial {} of {}", serial, location);
      return new SaveResult.Conflict(Optional.of(currentAfter(expected)));
    }
    records.put(k, enc.record());
    StoredState saved = remember(next);
    afterCommit(next, enc);
    return new SaveResult.Saved(saved.token());
  }

  /**
   * Records an upload at the readable copy's key as the version after {@code expected} (see {@link
   * CopyEdits}); empty if there is none (any more), or it is another state's file.
   *
   * @param accepted who accepts it ({@link #acceptExternalEdit}), or null for a save
   * @return the outcome: for a save, a conflict holding the recorded version (the State re-applies
   *     its change on it); for an acceptance, the recorded version
   * @throws io.infrastate.ExternalEditException if the policy refuses it (and nobody accepts it)
   */
  private Optional<SaveResult> recordCopyEdit(VersionToken expected, io.infrastate.AuditEntry accepted) {
    Optional<CopyEdits.Found> found = copyEdits.check();
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Snapshot replaced = versions.getIfPresent(new VersionKey(expected.lineage(), expected.serial()));
    if (replaced == null) {
      replaced = at(expected.serial()).map(StoredState::snapshot)
          .orElseThrow(() -> new BackendException("Version " + expected.serial() + " of " + location + " could not be read"
              + " to record the upload at its readable copy; retry.", null, true));
    }
    if (!CopyEdits.edits(found.get(), replaced)) {
      // another state's file (another lineage): not an edit of this one; the copy replaces it, as before
      LOG.warn("{} holds a state of another lineage ({}), written by another tool; it is not this state and is"
          + " replaced by its readable copy. To make a file the state, use State.replace.", location,
          found.get().file().metadata().lineage());
      copyEdits.recorded(found.get(), encodeState(replaced), copyMetadata(replaced));
      return Optional.empty();
    }
    if (accepted == null && copyEdits.policy() == io.infrastate.ExternalEditPolicy.REFUSE) {
      throw copyEdits.refused(found.get(), replaced);
    }
    Snapshot content = CopyEdits.asVersion(found.get(), replaced, java.time.Instant.now());
    SaveResult r = save(new SaveRequest(expected, content, List.of(), copyEdits.audit(found.get(), replaced, accepted)), true);
    if (r instanceof SaveResult.Saved saved) {
      copyEdits.recorded(found.get(), encodeState(content), copyMetadata(content));
      return Optional.of(accepted != null ? r : new SaveResult.Conflict(Optional.of(new StoredState(content, saved.token()))));
    }
    return Optional.of(r);
  }

  @Override
  public io.infrastate.ExternalEditPolicy externalEditPolicy() {
    return copyEdits.policy();
  }

  /**
   * {@inheritDoc}
   *
   * <p>An object written to the state's key by another tool (without infrastate's metadata) while
   * the log holds versions. One HEAD (and a GET if there is one) besides the load.
   */
  @Override
  public Optional<io.infrastate.ExternalEdit> externalEdit() {
    Optional<StoredState> latest = load();
    if (latest.isEmpty() || (latest.get().token() instanceof S3Token t && t.imported())) {
      return Optional.empty();
    }
    Snapshot replaced = latest.get().snapshot();
    return copyEdits.check().filter(f -> CopyEdits.edits(f, replaced)).map(f -> copyEdits.describe(f, replaced));
  }

  @Override
  public Optional<VersionInfo> acceptExternalEdit(io.infrastate.AuditEntry audit) {
    Optional<StoredState> latest = load();
    if (latest.isEmpty() || (latest.get().token() instanceof S3Token t && t.imported())) {
      return Optional.empty();
    }
    Optional<SaveResult> r = recordCopyEdit(latest.get().token(), audit);
    if (r.isEmpty()) {
      return Optional.empty();
    }
    if (!(r.get() instanceof SaveResult.Saved saved)) {
      throw new io.infrastate.ConflictException("Could not accept the upload at " + location + ": another writer"
          + " wrote version " + (latest.get().token().serial() + 1) + " meanwhile. Retry.", 1);
    }
    return history(1).stream().filter(v -> v.serial() == saved.token().serial()).findFirst();
  }

  /**
   * Decides a commit whose PUT failed: the request may have been stored with its reply lost. A
   * request that never reached the server (connection refused) stored nothing. Otherwise the
   * record at its serial is read back: this write's id there means it was stored; another write's
   * means it can never be (the key is create-only); no record means it was not, and the same PUT is
   * sent once more (create-only, so an original that arrives late cannot make a second version).
   *
   * @return whether the version is this write's; false: another writer's, a conflict
   * @throws CommitOutcomeUnknownException if the server cannot tell
   * @throws BackendException if the request never reached the server: nothing was stored
   */
  private boolean resolveLostReply(String k, LogRecord.Encoded enc, long serial, BackendException failure) {
    if (neverSent(failure)) {
      throw new BackendException("Could not commit version " + serial + " of " + location + ": "
          + failure.getMessage() + " The server was not reached, so nothing was stored.", failure, true);
    }
    String commit = enc.record().commit();
    LOG.warn("The reply to the commit of version {} of {} was lost ({}); reading {} back to see whether it is"
        + " stored", serial, location, failure.getMessage(), store.uri(k));
    try {
      Optional<S3Store.Blob> stored = store.get(k);
      if (stored.isPresent()) {
        return isOwnCommit(k, commit, serial, stored.get());
      }
      return store.putIfAbsent(k, enc.bytes(), Map.of()).isPresent() || isOwnCommit(k, commit, serial, null);
    } catch (CommitOutcomeUnknownException e) {
      throw e;
    } catch (BackendException e) {
      e.addSuppressed(failure);
      throw new CommitOutcomeUnknownException(location, serial, commit, "the reply to PUT " + store.uri(k)
          + " was lost (" + failure.getMessage() + ") and reading it back failed (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Whether a failure happened before the request reached the server: the last attempt could not
   * connect, and every earlier attempt of the SDK's own retries (recorded as suppressed
   * exceptions, by message only) could not either. Anything else may have reached it.
   */
  static boolean neverSent(Throwable e) {
    boolean refused = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      refused |= t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException;
      for (Throwable earlier : t.getSuppressed()) {
        if (!couldNotConnect(String.valueOf(earlier.getMessage()))) {
          return false;
        }
      }
    }
    return refused;
  }

  private static boolean couldNotConnect(String message) {
    String m = message.toLowerCase(java.util.Locale.ROOT);
    return m.contains("connection refused") || m.contains("connect timed out") || m.contains("unknownhost")
        || m.contains("unknown host") || m.contains("name or service not known");
  }

  /**
   * Whether the record at {@code k} is this write's commit (the server refused the PUT because it
   * exists: maybe the SDK's own retry of a request whose reply was lost, or a late original).
   *
   * @param stored the record if already read, or null to read it
   * @throws CommitOutcomeUnknownException if it cannot be read
   */
  private boolean isOwnCommit(String k, String commit, long serial, S3Store.Blob stored) {
    S3Store.Blob b = stored;
    if (b == null) {
      try {
        Optional<S3Store.Blob> got = store.get(k);
        if (got.isEmpty()) {
          return false; // deleted meanwhile (pruned): certainly not a new commit of ours
        }
        b = got.get();
      } catch (BackendException e) {
        throw new CommitOutcomeUnknownException(location, serial, commit, "the server refused to create " + store.uri(k)
            + " because it exists, and reading it back to see whether it is this write's (after a lost reply)"
            + " failed (" + e.getMessage() + ")", e);
      }
    }
    try {
      return commit.equals(LogRecord.decode(b.content(), store.uri(k), "").commit());
    } catch (io.infrastate.StateException e) {
      return false; // damaged: certainly not ours; the conflict path reports it
    }
  }

  /**
   * Whether version {@code serial} was committed by the write with this id: its log record names
   * the id. One GET (none if the record is cached).
   *
   * @throws BackendException if the record cannot be read
   */
  @Override
  public boolean committedBy(long serial, String writeId) {
    checkOpen();
    if (serial < 1) {
      return false;
    }
    try {
      return writeId.equals(record(serial).commit());
    } catch (Vanished v) {
      return false;
    }
  }

  private Optional<SaveResult> checkFirstCommit(VersionToken expected) {
    if (!serials(logPrefix(), null, 1).isEmpty()) {
      return Optional.of(new SaveResult.Conflict(loadLatest()));
    }
    Optional<S3Store.Head> copy = store.head(key);
    boolean same = expected instanceof S3Token t && t.imported()
        ? copy.isPresent() && copy.get().etag().equals(t.copyEtag())
        : copy.isEmpty();
    if (!same) {
      return Optional.of(new SaveResult.Conflict(loadLatest()));
    }
    return Optional.empty();
  }

  private StoredState currentAfter(VersionToken expected) {
    if (expected instanceof S3Token t && !t.imported() && t.serial() >= 1) {
      Optional<StoredState> changed = changedSince(t);
      if (changed.isPresent()) {
        return changed.get();
      }
    }
    return loadLatest().orElseThrow(() -> new BackendException(
        "S3 reported that version " + (expected.serial() + 1) + " of " + location + " exists, but the log"
            + " under " + store.uri(logPrefix()) + " is now empty; it is being deleted. Nothing was written.",
        null, true));
  }

  private LogRecord.Encoded encode(SaveRequest request, String commit, boolean first) {
    LogRecord.Encoded enc = LogRecord.forSave(request, commit, first);
    if (enc.record().kind() == LogRecord.Kind.FULL) {
      stateBytes = enc.bytes().length;
    }
    return enc;
  }

  /**
   * Queues the derived objects a committed version owes: its readable copy while the state is small,
   * and a checkpoint once the log since the newest checkpoint is long enough.
   */
  private void afterCommit(Snapshot next, LogRecord.Encoded enc) {
    long serial = next.metadata().serial();
    if (enc.record().kind() == LogRecord.Kind.DELTA && stateBytes >= 0) {
      stateBytes += enc.bytes().length; // an upper bound of the growth, until the next full encoding
    }
    boolean due = countLog(serial, enc.bytes().length);
    if (due || stateBytes < 0 || isSmall()) {
      derived.submit(new Derive(next, due, false));
    }
  }

  private static Map<String, String> copyMetadata(Snapshot s) {
    return Map.of(COPY_SERIAL, Long.toString(s.metadata().serial()), COPY_LINEAGE, s.metadata().lineage());
  }

  /** Deletes checkpoints beyond the newest {@code retainCheckpoints} and the log before them. */
  private void prune() {
    List<Long> cps = serials(checkpointPrefix(), null, Integer.MAX_VALUE);
    if (cps.size() <= retainCheckpoints) {
      return;
    }
    long oldestKept = cps.get(cps.size() - retainCheckpoints);
    int deleted = 0;
    for (long s : serials(logPrefix(), null, Integer.MAX_VALUE)) {
      if (s >= oldestKept) {
        break;
      }
      store.delete(logKey(s));
      deleted++;
    }
    for (long s : cps) {
      if (s >= oldestKept) {
        break;
      }
      store.delete(checkpointKey(s));
    }
    LOG.debug("Pruned {} log records of {} before checkpoint {}", deleted, location, oldestKept);
  }

  // ------------------------------------------------------------------ history

  /**
   * The log, newest first: one entry per version, with the audit entry of its record. Versions
   * pruned away are not listed. Records already read are served from the cache.
   */
  @Override
  public List<VersionInfo> history(int limit) {
    checkOpen();
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    List<Long> all = serials(logPrefix(), null, Integer.MAX_VALUE);
    List<VersionInfo> out = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
      long s = all.get(i);
      LogRecord r;
      try {
        r = record(s);
      } catch (Vanished v) {
        break; // pruned while listing: older entries are gone too
      }
      out.add(new VersionInfo(s, r.time(), r.operator(), r.operation(), r.reason(), r.locks()));
    }
    return out;
  }

  /**
   * Rebuilds an earlier version from the newest checkpoint at or before it and the records up to
   * it.
   *
   * @return the version, or empty if it was never written or has been pruned
   */
  @Override
  public Optional<StoredState> at(long serial) {
    checkOpen();
    if (serial < 0) {
      return Optional.empty();
    }
    for (Map.Entry<VersionKey, Snapshot> e : versions.asMap().entrySet()) {
      if (e.getKey().serial() == serial) {
        Snapshot s = e.getValue();
        return Optional.of(new StoredState(s, new S3Token(serial, s.metadata().lineage(), false, "")));
      }
    }
    try {
      Long cp = null;
      for (long c : serials(checkpointPrefix(), null, Integer.MAX_VALUE)) {
        if (c <= serial) {
          cp = c;
        }
      }
      List<Long> tail = new ArrayList<>();
      if (cp == null || cp < serial) {
        long need = serial - (cp == null ? 0 : cp);
        for (long s : serials(logPrefix(), cp == null ? null : logKey(cp), (int) Math.min(Integer.MAX_VALUE, need))) {
          if (s <= serial) {
            tail.add(s);
          }
        }
        if (tail.isEmpty() || tail.get(tail.size() - 1) != serial) {
          return Optional.empty();
        }
        long before = cp != null ? cp : tail.get(0) - 1;
        checkContiguous(before, prepend(before, tail));
        if (cp == null && !hasFullRecord(tail)) {
          return Optional.empty(); // the log before it was pruned and no checkpoint is left for it
        }
      }
      Snapshot s = reconstruct(cp, tail, location + "@" + serial).snapshot;
      return Optional.of(new StoredState(s, new S3Token(serial, s.metadata().lineage(), false, "")));
    } catch (Vanished v) {
      return Optional.empty();
    }
  }

  private boolean hasFullRecord(List<Long> serials) {
    for (int i = serials.size() - 1; i >= 0; i--) {
      if (record(serials.get(i)).kind() == LogRecord.Kind.FULL) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Closes the S3 client if this backend created it; a client passed to the builder stays open. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    derived.close();
    if (ownsClient) {
      store.client().close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("S3 backend for " + location + " is closed");
    }
  }

  private static int weight(Snapshot s) {
    return 256 + 300 * (s.hosts().size() + s.resources().size());
  }

  @Override
  public String toString() {
    return "S3Backend[" + location + "]";
  }

  // ------------------------------------------------------------------ builder

  /**
   * Configures an {@link S3Backend}. Either pass an {@link S3Client} (which the backend then never
   * closes) or let the backend build one from region, endpoint, path-style and credentials (which
   * it closes).
   *
   * <p>Not thread-safe; the backend it builds is immutable in its configuration.
   */
  public static final class Builder {
    private S3Client client;
    private String bucket;
    private String key;
    private String region;
    private URI endpoint;
    private boolean pathStyle;
    private AwsCredentialsProvider credentials;
    private String profile;
    private ServerSideEncryption sse;
    private String kmsKeyId;
    private int checkpointInterval;
    private long checkpointBytes = 64 * 1024;
    private long readableCopyMaxBytes = 256 * 1024;
    private io.infrastate.ExternalEditPolicy externalEdits = io.infrastate.ExternalEditPolicy.RECORD;
    private int retainCheckpoints;
    private long cacheMaxBytes = 64L * 1024 * 1024;

    private Builder() {}

    /**
     * Uses a client the caller built and keeps ownership of: the backend never closes it. Region,
     * endpoint, path style, credentials and profile must then not be set.
     *
     * @param client the client
     * @return this builder
     */
    public Builder client(S3Client client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The bucket (required).
     *
     * @param bucket the bucket name
     * @return this builder
     */
    public Builder bucket(String bucket) {
      Objects.requireNonNull(bucket, "bucket");
      if (bucket.isEmpty() || bucket.contains("/")) {
        throw new IllegalArgumentException("bucket must be a bucket name without '/': '" + bucket + "'");
      }
      this.bucket = bucket;
      return this;
    }

    /**
     * The key of the state, such as {@code envs/prod/state.json} (required): the readable copy is
     * there and the log under {@code key + ".infrastate/"}.
     *
     * @param key the object key, without a leading '/'
     * @return this builder
     */
    public Builder key(String key) {
      Objects.requireNonNull(key, "key");
      if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
        throw new IllegalArgumentException("key must be an object key such as envs/prod/state.json, without a"
            + " leading or trailing '/': '" + key + "'");
      }
      this.key = key;
      return this;
    }

    /**
     * The region, such as {@code eu-west-1}; by default the SDK's region chain ({@code AWS_REGION},
     * profile, instance metadata).
     *
     * @param region the region id
     * @return this builder
     */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /**
     * An endpoint for an S3-compatible server, such as {@code http://127.0.0.1:9000} (MinIO).
     * With an endpoint, request checksums are sent only when an operation requires them, for
     * servers that do not support the SDK's newer default checksums.
     *
     * @param endpoint the endpoint URI
     * @return this builder
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /**
     * Path-style access ({@code http://host/bucket/key}), needed by most S3-compatible servers.
     *
     * @param pathStyle whether to use path-style URLs
     * @return this builder
     */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /**
     * Credentials; by default the SDK's default chain (environment, system properties, web
     * identity, profile, container and instance roles).
     *
     * @param credentials the provider
     * @return this builder
     */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * A named profile of {@code ~/.aws/credentials} and {@code ~/.aws/config} for credentials.
     *
     * @param profile the profile name
     * @return this builder
     */
    public Builder profile(String profile) {
      this.profile = Objects.requireNonNull(profile, "profile");
      return this;
    }

    /**
     * Server-side encryption with S3-managed keys (SSE-S3, {@code AES256}) for every object
     * written.
     *
     * @return this builder
     */
    public Builder sseS3() {
      this.sse = ServerSideEncryption.AES256;
      this.kmsKeyId = null;
      return this;
    }

    /**
     * Server-side encryption with KMS (SSE-KMS) for every object written.
     *
     * @param keyId the KMS key id or ARN, or null for the bucket's default AWS-managed key
     * @return this builder
     */
    public Builder sseKms(String keyId) {
      this.sse = ServerSideEncryption.AWS_KMS;
      this.kmsKeyId = keyId;
      return this;
    }

    /**
     * The most versions between two checkpoints, in addition to the size rule of {@link
     * #checkpointBytes(long)}, for callers who want cold loads to read at most this many records.
     * By default there is no such limit: checkpoints follow the size of the log.
     *
     * @param versions at least 1
     * @return this builder
     */
    public Builder checkpointInterval(int versions) {
      if (versions < 1) {
        throw new IllegalArgumentException("checkpointInterval must be at least 1: " + versions);
      }
      this.checkpointInterval = versions;
      return this;
    }

    /**
     * How much log makes a checkpoint due, at least: a checkpoint (the whole state.json) is written
     * once the records since the newest one weigh this much or a quarter of the state, whichever is
     * more, each record weighing its size plus 4 KiB for the request
     * that reads it. The cost of checkpoints thus stays proportional to the log written, and a cold
     * load reads at most about 1.25 times the state. Default 64 KiB (about 14 small records).
     *
     * @param bytes at least 1
     * @return this builder
     */
    public Builder checkpointBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("checkpointBytes must be at least 1: " + bytes);
      }
      this.checkpointBytes = bytes;
      return this;
    }

    /**
     * What to do with an object another tool wrote to the state's key (the readable copy): {@link
     * io.infrastate.ExternalEditPolicy#RECORD} (the default) records it as a version of its own at
     * the next write, {@link io.infrastate.ExternalEditPolicy#REFUSE} fails writes with {@link
     * io.infrastate.ExternalEditException} until it is accepted. The URI parameter is {@code
     * external=record|refuse}. See {@code docs/external-edits.md}.
     *
     * @param policy the policy
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder externalEdits(io.infrastate.ExternalEditPolicy policy) {
      this.externalEdits = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Up to which size (of the encoded state.json) the readable copy is rewritten after every
     * write; above it, only at checkpoints, so that large states do not upload the whole state per
     * change. Default 256 KiB; 0 writes the copy only at checkpoints.
     *
     * @param bytes the limit
     * @return this builder
     */
    public Builder readableCopyMaxBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("readableCopyMaxBytes must not be negative: " + bytes);
      }
      this.readableCopyMaxBytes = bytes;
      return this;
    }

    /**
     * Prunes history: keep only the newest {@code count} checkpoints and the log from the oldest of
     * them on. Default 0: never delete anything.
     *
     * @param count checkpoints to keep, or 0 to keep all history
     * @return this builder
     */
    public Builder retainCheckpoints(int count) {
      if (count < 0) {
        throw new IllegalArgumentException("retainCheckpoints must not be negative: " + count);
      }
      this.retainCheckpoints = count;
      return this;
    }

    /**
     * The memory for decoded records and checkpoints, approximately. Default 64 MiB.
     *
     * @param bytes the cache size
     * @return this builder
     */
    public Builder cacheMaxBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("cacheMaxBytes must not be negative: " + bytes);
      }
      this.cacheMaxBytes = bytes;
      return this;
    }

    /**
     * Builds the backend. Contacts nothing: the first load or save does.
     *
     * @return a new backend; the caller closes it
     * @throws IllegalStateException if bucket or key is missing, or a client was passed together
     *     with client settings
     */
    public S3Backend build() {
      if (bucket == null) {
        throw new IllegalStateException("bucket was not set");
      }
      if (key == null) {
        throw new IllegalStateException("key was not set");
      }
      if (client != null) {
        if (region != null || endpoint != null || pathStyle || credentials != null || profile != null) {
          throw new IllegalStateException("client was set, so region, endpoint, pathStyle, credentials and"
              + " profile must be configured on that client instead");
        }
        return new S3Backend(this, client, false);
      }
      if (credentials != null && profile != null) {
        throw new IllegalStateException("credentials and profile were both set; choose one");
      }
      S3ClientBuilder b = S3Client.builder();
      if (region != null) {
        b.region(Region.of(region));
      }
      if (endpoint != null) {
        b.endpointOverride(endpoint);
        b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
        b.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
      }
      if (pathStyle) {
        b.forcePathStyle(true);
      }
      if (credentials != null) {
        b.credentialsProvider(credentials);
      } else if (profile != null) {
        b.credentialsProvider(ProfileCredentialsProvider.create(profile));
      } else {
        b.credentialsProvider(DefaultCredentialsProvider.builder().build());
      }
      try {
        return new S3Backend(this, b.build(), true);
      } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
        throw new BackendException("Could not set up the S3 client for s3://" + bucket + "/" + key + ": "
            + e.getMessage() + " Set a region (the region parameter, AWS_REGION or a profile).", e, false);
      }
    }
  }
}
