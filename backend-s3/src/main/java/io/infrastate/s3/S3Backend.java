package io.infrastate.s3;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CommitOutcomeUnknownException;
import io.infrastate.model.ConflictException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.ExternalEditBackend;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredForm;
import io.infrastate.spi.StoredFormBackend;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteHistory;
import io.infrastate.spi.WriteLeases;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
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
 * whole state, and the checkpoints' cost follows the bytes of log written; a checkpoint encodes
 * only the hosts and resources changed since the one before, and copies the rest. {@link #loadIfChanged}
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
 * write fail with {@link io.infrastate.model.CommitOutcomeUnknownException}; a retry that passes it back
 * ({@link io.infrastate.model.AuditEntry#retrying}) is a no-op if the write was stored ({@link
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
public final class S3Backend implements ExternalEditBackend, HistoryBackend, WriteLeases, WriteHistory, StoredFormBackend {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * THE PARTS. S3Backend is the API; each part says in its own notes how it stays correct:
   * Committer (the create-only commit, lost replies, the first commit, recording an upload),
   * LogReader (loads, refreshes, history, earlier versions) on LogReplay (reading and checking
   * records and checkpoints, rebuilding versions), DerivedObjects (checkpoints, the readable copy
   * and pruning, off the caller's path, on a DerivedWriter) with CheckpointTally (when a checkpoint
   * is due), CopyEdits (uploads at the readable copy's key), S3Store (the requests, and the probe
   * for servers that ignore If-None-Match), LogLayout (keys and listings) and StoredForms (the
   * bytes of every stored object, in one place; a whole state's in an ObjectBody).
   *
   * THE INVARIANT. Version N exists exactly when the object log/N exists, and only a create-only
   * PUT makes it, so at most one version N ever exists whatever the number of writers. Everything
   * else (checkpoints, the readable copy) is derived from the log, written after the commit, and
   * never trusted beyond what the log says: a load uses the newest checkpoint that exists and checks
   * it, a missing one costs a longer replay, a damaged one stops the load naming it.
   */

  /** User metadata key (x-amz-meta-…) of the readable copy: the serial it holds. */
  static final String COPY_SERIAL = "infrastate-serial";

  /** User metadata key of the readable copy: the lineage it belongs to. */
  static final String COPY_LINEAGE = "infrastate-lineage";

  private final S3Store store;
  private final LogLayout layout;
  private final boolean ownsClient;
  private final CopyEdits copyEdits;
  private final DerivedObjects derived;
  private final LogReader reader;
  private final Committer committer;
  private final Duration closeTimeout;
  private final StoredForms forms;
  private volatile boolean closed;

  private S3Backend(Builder b, S3Client client, boolean ownsClient) {
    this.store = new S3Store(client, b.bucket, new S3Store.Sse(b.sse, b.kmsKeyId), b.key + ".infrastate/");
    this.layout = new LogLayout(store, b.key);
    this.ownsClient = ownsClient;
    this.closeTimeout = b.closeTimeout;
    StoredForms forms = new StoredForms();
    this.forms = forms;
    CheckpointTally tally = new CheckpointTally(b.checkpointBytes, b.checkpointInterval);
    this.copyEdits = new CopyEdits(store, forms, b.key, layout.location(), b.externalEdits);
    this.derived = new DerivedObjects(layout, forms, tally, copyEdits, b.readableCopyMaxBytes, b.retainCheckpoints);
    LogReplay replay = new LogReplay(layout, forms, tally, b.cacheMaxBytes);
    this.reader = new LogReader(layout, forms, tally, replay, derived, k -> HistoryBackend.super.loadIfChanged(k));
    this.committer = new Committer(layout, forms, tally, replay, reader, derived, copyEdits);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Every log record, checkpoint and readable copy goes through it.
   */
  @Override
  public void storedForm(StoredForm form) {
    forms.form = java.util.Objects.requireNonNull(form, "form");
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
    return layout.location();
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
    return layout.key();
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
    return new S3LockProvider(store, layout.dir() + "locks/", options);
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

  // ------------------------------------------------------------------ load

  @Override
  public Optional<StoredState> load() {
    checkOpen();
    return reader.load();
  }

  /**
   * {@inheritDoc}
   *
   * <p>One LIST starting at the known version's record when this backend holds that version.
   */
  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    checkOpen();
    return reader.loadIfChanged(known);
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
    checkOpen();
    return committer.save(request, false);
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
    return reader.committedBy(serial, writeId);
  }

  // ------------------------------------------------------------------ external edits

  @Override
  public ExternalEditPolicy externalEditPolicy() {
    return copyEdits.policy();
  }

  /**
   * {@inheritDoc}
   *
   * <p>An object written to the state's key by another tool (without infrastate's metadata) while
   * the log holds versions. One HEAD (and a GET if there is one) besides the load.
   */
  @Override
  public Optional<ExternalEdit> externalEdit() {
    Optional<StoredState> latest = load();
    if (latest.isEmpty() || (latest.get().token() instanceof S3Token t && t.imported())) {
      return Optional.empty();
    }
    Snapshot replaced = latest.get().snapshot();
    return copyEdits.check().filter(f -> CopyEdits.edits(f, replaced)).map(f -> copyEdits.describe(f, replaced));
  }

  @Override
  public Optional<VersionInfo> acceptExternalEdit(AuditEntry audit) {
    Optional<StoredState> latest = load();
    if (latest.isEmpty() || (latest.get().token() instanceof S3Token t && t.imported())) {
      return Optional.empty();
    }
    Optional<SaveResult> r = committer.recordCopyEdit(latest.get().token(), audit);
    if (r.isEmpty()) {
      return Optional.empty();
    }
    if (!(r.get() instanceof SaveResult.Saved saved)) {
      throw new ConflictException("Could not accept the upload at " + location() + ": another writer"
          + " wrote version " + (latest.get().token().serial() + 1) + " meanwhile. Retry.", 1);
    }
    return history(1).stream().filter(v -> v.serial() == saved.token().serial()).findFirst();
  }

  // ------------------------------------------------------------------ history

  /**
   * The log, newest first: one entry per version, with the audit entry of its record. Versions
   * pruned away are not listed. Records already read are served from the cache.
   *
   * @param limit the most entries to return
   * @return the versions, newest first
   */
  @Override
  public List<VersionInfo> history(int limit) {
    checkOpen();
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    return reader.history(limit);
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
    return reader.at(serial);
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Waits until the checkpoints and readable copies owed for the versions this backend has written
   * or loaded so far are written (or have failed, which is logged at WARN). {@link #close()} does
   * this too; call it to hand the bucket to another tool while the backend stays open.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void flushDerived() throws InterruptedException {
    derived.flush();
  }

  /**
   * Waits for the checkpoints and readable copies still owed (at most {@link
   * Builder#closeTimeout(Duration)}; what is left then is logged at WARN and written by a later
   * load), then closes the S3 client if this backend created it; a client passed to the builder
   * stays open.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    derived.close(closeTimeout);
    if (ownsClient) {
      store.client().close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("S3 backend for " + location() + " is closed");
    }
  }

  @Override
  public String toString() {
    return "S3Backend[" + location() + "]";
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
    private ExternalEditPolicy externalEdits = ExternalEditPolicy.RECORD;
    private int retainCheckpoints;
    private long cacheMaxBytes = 64L * 1024 * 1024;
    private Duration closeTimeout = Duration.ofSeconds(60);

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
     * servers that do not support the SDK's newer default checksums, and a signed payload (plain
     * HTTP) is signed as a whole rather than in aws-chunked encoding.
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
     * ExternalEditPolicy#RECORD} (the default) records it as a version of its own at
     * the next write, {@link ExternalEditPolicy#REFUSE} fails writes with {@link
     * io.infrastate.model.ExternalEditException} until it is accepted. The URI parameter is {@code
     * external=record|refuse}. See {@code docs/external-edits.md}.
     *
     * @param policy the policy
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder externalEdits(ExternalEditPolicy policy) {
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
     * How long {@link S3Backend#close()} waits at most for the checkpoints and readable copies still
     * being written in the background. Versions are durable when a write returns, so what is left
     * after this time costs nothing but a longer replay: the next load writes it. Default 60
     * seconds.
     *
     * @param timeout not negative
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Builder closeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must not be negative: " + timeout);
      }
      this.closeTimeout = timeout;
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
        // Over plain HTTP the SDK signs the payload. One signature over the whole body reads the
        // body twice from memory; the default (aws-chunked, a signature per 128 KiB) copies every
        // chunk of a checkpoint into a new array.
        b.serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
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
