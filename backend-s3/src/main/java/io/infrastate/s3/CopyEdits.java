package io.infrastate.s3;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateDiff;
import io.infrastate.model.StateException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The readable copy as an edit channel: an object written to the state's key by another tool (the
 * {@code aws} CLI, a Go-FTL2 program through an S3 mount) is an external edit of the state whose
 * log is the truth, recorded as a version of its own or refused ({@link ExternalEditPolicy}),
 * never replaced silently by the next readable copy.
 *
 * <p>Instances are thread-safe.
 */
final class CopyEdits {
  /*
   * Design notes.
   *
   * TELLING AN UPLOAD. Every readable copy infrastate writes carries x-amz-meta-infrastate-serial;
   * an upload through the S3 API carries none. A copy without it, at a key whose log holds
   * versions, is an upload from outside.
   *
   * NOTICING IT WITHOUT A REQUEST ON THE WRITE PATH. A write stays one create-only PUT: the upload
   * is noticed off the caller's path, by the derived writer. It rewrites the copy with If-Match on
   * the ETag of the copy this backend last wrote or saw (the first time, If-None-Match); a 412
   * makes it HEAD the key, and an untagged copy is kept as pending, never overwritten. A
   * load's copy check (repairCopy) notices it the same way. The next save (before its commit)
   * checks a pending upload with one HEAD and records it first: a full log record of its content
   * as the next serial, operator "external", then the copy is rewritten with If-Match on the
   * upload's ETag (a newer upload is left for the next write), and the save reports a conflict so
   * that the State re-applies its change on the recorded version.
   *
   * WHAT IS LOST. A write that lands between an upload and its noticing is committed on the
   * version before the upload; the upload is then recorded after it, and what that write changed
   * and the upload lacks is named as a lost update, as for any writer without compare-and-swap.
   */
  private static final Logger LOG = LoggerFactory.getLogger(CopyEdits.class);

  private final S3Store store;
  private final StoredForms forms;
  private final String key;
  private final String location;
  private final ExternalEditPolicy policy;
  private final AtomicReference<Found> pending = new AtomicReference<>();
  /** The ETag of the tagged copy this backend last wrote or saw; null if none is known. */
  private volatile String lastEtag;

  CopyEdits(S3Store store, StoredForms forms, String key, String location, ExternalEditPolicy policy) {
    this.store = store;
    this.forms = forms;
    this.key = key;
    this.location = location;
    this.policy = policy;
  }

  ExternalEditPolicy policy() {
    return policy;
  }

  /**
   * An upload read from the key.
   *
   * @param file its content as decoded
   * @param etag its ETag
   */
  record Found(Snapshot file, String etag) {}

  /** Whether a copy's metadata says infrastate wrote it. */
  static boolean tagged(Map<String, String> metadata) {
    return metadata.containsKey(S3Backend.COPY_SERIAL);
  }

  /**
   * Writes a readable copy without overwriting an upload: with If-Match on the copy last written or
   * seen. Returns false (and keeps the upload as pending) if the key holds an upload.
   */
  boolean writeCopy(ObjectBody bytes, Map<String, String> metadata) {
    String etag = lastEtag;
    if (etag == null) {
      // First copy of this backend: create it if there is none (one request), else look at it.
      Optional<String> created = store.putIfAbsent(key, bytes, metadata);
      if (created.isPresent()) {
        lastEtag = created.get();
        return true;
      }
      Optional<S3Store.Head> head = store.head(key);
      if (head.isEmpty()) {
        return writeCopy(bytes, metadata); // deleted meanwhile
      }
      if (!tagged(head.get().metadata())) {
        notice(head.get());
        return false;
      }
      etag = head.get().etag();
    }
    Optional<String> written = store.putIfMatch(key, bytes, metadata, etag);
    if (written.isPresent()) {
      lastEtag = written.get();
      return true;
    }
    Optional<S3Store.Head> head = store.head(key);
    if (head.isPresent() && !tagged(head.get().metadata())) {
      notice(head.get());
      return false;
    }
    lastEtag = store.put(key, bytes, metadata); // another infrastate process's copy: replaced as before
    return true;
  }

  /** A copy seen by a load: remembered if infrastate wrote it, kept as pending if not. */
  void seen(S3Store.Head head) {
    if (tagged(head.metadata())) {
      lastEtag = head.etag();
    } else {
      notice(head);
    }
  }

  private void notice(S3Store.Head head) {
    Found known = pending.get();
    if (known != null && known.etag().equals(head.etag())) {
      return;
    }
    try {
      read().ifPresent(f -> {
        pending.set(f);
        LOG.warn("{} was written by another tool (it has no infrastate metadata); the next write {}", location,
            policy == ExternalEditPolicy.REFUSE ? "is refused until it is accepted (state accept-external)"
                : "records it as a version of its own");
      });
    } catch (StateException e) {
      LOG.warn("{} was written by another tool and cannot be read ({}); it is not the state, which is kept in"
          + " the log, and is left as it is", location, e.getMessage());
    }
  }

  /** Whether an upload was noticed and not recorded yet. */
  boolean pending() {
    return pending.get() != null;
  }

  /**
   * The upload at the key now (one HEAD, and a GET if there is one), read synchronously.
   *
   * @throws io.infrastate.model.CorruptStateException if it cannot be read as a state
   */
  Optional<Found> check() {
    Optional<S3Store.Head> head = store.head(key);
    if (head.isEmpty() || tagged(head.get().metadata())) {
      pending.set(null);
      return Optional.empty();
    }
    return read();
  }

  private Optional<Found> read() {
    Optional<S3Store.Blob> blob = store.get(key);
    if (blob.isEmpty() || tagged(blob.get().metadata())) {
      return Optional.empty();
    }
    Snapshot s = forms.readCopy(blob.get().content(), store.uri(key),
        "it was uploaded by another tool; the state's versions are in its log");
    return Optional.of(new Found(s, blob.get().etag()));
  }

  /** Whether an upload is an edit of this state (the same lineage, or none), not another state's file. */
  static boolean edits(Found f, Snapshot replaced) {
    return !f.file().metadata().hasLineage() || f.file().metadata().lineage().equals(replaced.metadata().lineage());
  }

  /** The upload as the version after {@code replaced}. */
  static Snapshot asVersion(Found f, Snapshot replaced, Instant now) {
    Metadata fm = f.file().metadata();
    Metadata rm = replaced.metadata();
    Map<String, Long> fences = new TreeMap<>(fm.fences()); // a fencing token never goes back
    rm.fences().forEach((lock, token) -> fences.merge(lock, token, Math::max));
    return f.file().withMetadata(new Metadata(Metadata.FORMAT_VERSION, rm.serial() + 1, rm.lineage(),
        fm.hasLineage() ? fm.createdAt() : rm.createdAt(), now, fences));
  }

  ExternalEdit describe(Found f, Snapshot replaced) {
    List<String> notes = new ArrayList<>();
    notes.add("uploaded to " + store.uri(key) + " without infrastate's metadata");
    if (!f.file().metadata().hasLineage()) {
      notes.add("it has no serial and lineage (written by a tool that does not know them, such as Go-FTL2)");
    }
    return new ExternalEdit(location, replaced.metadata().serial(), replaced.metadata().lineage(),
        StateDiff.between(replaced, f.file()), notes, List.of());
  }

  ExternalEditException refused(Found f, Snapshot replaced) {
    return new ExternalEditException(describe(f, replaced), "");
  }

  AuditEntry audit(Found f, Snapshot replaced, AuditEntry accepted) {
    return describe(f, replaced).audit(accepted);
  }

  /** After the upload was recorded: the copy of the recorded version replaces it, unless it changed again. */
  void recorded(Found f, ObjectBody bytes, Map<String, String> metadata) {
    pending.set(null); // a newer upload is noticed again by the next copy write
    Optional<String> written = store.putIfMatch(key, bytes, metadata, f.etag());
    written.ifPresent(etag -> lastEtag = etag);
  }
}
