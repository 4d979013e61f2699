package io.infrastate.s3;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.LineageMismatchException;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;

/**
 * Reads log records and checkpoints (cached: they never change once created) and rebuilds versions
 * from them, checking that the log is whole on the way.
 *
 * <p>Thread-safe.
 */
final class LogReplay {
  /*
   * Design notes.
   *
   * WHAT IS DAMAGE. Only a writer that holds version N-1 can create N, so the log is contiguous: a
   * gap, a delta record with no full record or checkpoint before it, or a record whose serial
   * differs from its key is damage (CorruptStateException naming the object), and nothing is
   * written over it. A record with a lineage other than the one a writer holds means the state was
   * replaced: that writer stops with LineageMismatchException. A checkpoint that cannot be decoded
   * or names another serial than its key stops the load with CorruptStateException naming it (it is
   * never trusted); deleting it lets the log rebuild it.
   *
   * CACHING. Records and checkpoints are immutable once created, so they are cached by key forever
   * (Caffeine, bounded by bytes). An object listed and then gone when read was pruned meanwhile:
   * Vanished makes the caller decide again from a new listing.
   */

  /** Thrown when a listed object vanished before it was read (pruned meanwhile): load again. */
  static final class Vanished extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Vanished(String key) {
      super(key, null, false, false);
    }
  }

  /**
   * A checkpoint that cannot be decoded or holds another serial than its name: never trusted. The
   * loader rebuilds its version from the log instead, where the log still reaches it.
   */
  static final class DamagedCheckpoint extends CorruptStateException {
    private static final long serialVersionUID = 1L;

    /** The serial it is named by. */
    final long serial;
    /** The ETag of the damaged object, so that only it is replaced. */
    final String etag;

    DamagedCheckpoint(long serial, String etag, CorruptStateException damage) {
      super(damage.location(), damage.jsonPath().orElse(null), damage.getMessage(), damage);
      this.serial = serial;
      this.etag = etag;
    }
  }

  /** A record fetched for a serial found in a listing. */
  record Entry(long serial, LogRecord record) {}

  private final LogLayout layout;
  private final S3Store store;
  private final StoredForms forms;
  private final CheckpointTally tally;
  private final Cache<String, LogRecord> records;
  private final Cache<String, Snapshot> checkpoints;

  LogReplay(LogLayout layout, StoredForms forms, CheckpointTally tally, long cacheMaxBytes) {
    this.layout = layout;
    this.store = layout.store();
    this.forms = forms;
    this.tally = tally;
    long half = Math.max(1, cacheMaxBytes / 2);
    this.records = Caffeine.newBuilder()
        .maximumWeight(half)
        .weigher((String k, LogRecord r) -> r.size())
        .build();
    this.checkpoints = Caffeine.newBuilder()
        .maximumWeight(half)
        .weigher((String k, Snapshot s) -> weight(s))
        .build();
  }

  private static int weight(Snapshot s) {
    return 256 + 300 * (s.hosts().size() + s.resources().size());
  }

  /**
   * The record of a serial, from the cache or one GET.
   *
   * @throws Vanished if it is not there
   */
  LogRecord record(long serial) {
    String k = layout.logKey(serial);
    return records.get(k, x -> {
      S3Store.Blob b = store.get(x).orElseThrow(() -> new Vanished(x));
      return forms.readRecord(b.content(), store.uri(x),
          "it is the commit of version " + serial + "; the versions before it are intact");
    });
  }

  /** Caches a record this process wrote. */
  void written(long serial, LogRecord record) {
    records.put(layout.logKey(serial), record);
  }

  /**
   * The checkpoint of a serial, from the cache or one GET.
   *
   * @throws Vanished if it is not there
   * @throws DamagedCheckpoint if it is damaged
   */
  Snapshot checkpoint(long serial) {
    String k = layout.checkpointKey(serial);
    return checkpoints.get(k, x -> {
      S3Store.Blob b = store.get(x).orElseThrow(() -> new Vanished(x));
      Snapshot s;
      try {
        s = forms.readCheckpoint(b.content(), store.uri(x), serial);
      } catch (CorruptStateException e) {
        throw new DamagedCheckpoint(serial, b.etag(), e);
      }
      tally.stateBytes(b.content().length);
      return s;
    });
  }

  /** {@code first} followed by {@code rest}. */
  static List<Long> prepend(long first, List<Long> rest) {
    List<Long> all = new ArrayList<>(rest.size() + 1);
    all.add(first);
    all.addAll(rest);
    return all;
  }

  /** Checks that {@code serials} count up by one from {@code before}. */
  void checkContiguous(long before, List<Long> serials) {
    long expect = before;
    for (long s : serials) {
      if (s != expect) {
        throw layout.corrupt(layout.logKey(expect), "the log is missing serial " + expect + " (the next record is " + s + ")");
      }
      expect++;
    }
  }

  /** A version rebuilt from a checkpoint or full record plus deltas, and how many deltas it took. */
  record Reconstruction(Snapshot snapshot, int replayed) {}

  /**
   * Rebuilds the version of the last serial in {@code tail}: walks back from it to the newest
   * full record, or to the checkpoint {@code cp} just before the tail, then replays forward.
   */
  Reconstruction reconstruct(Long cp, List<Long> tail, String what) {
    if (tail.isEmpty()) {
      return new Reconstruction(checkpoint(cp), 0);
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
        throw layout.corrupt(layout.logKey(first), "the log of " + what + " starts with a change record at serial "
            + first + " and there is no checkpoint or full record before it to apply it to");
      }
      base = checkpoint(cp);
    }
    Collections.reverse(walked);
    return new Reconstruction(replay(base, walked), walked.size());
  }

  /** Applies records in order to a base version. */
  Snapshot replay(Snapshot base, List<Entry> tail) {
    if (tail.isEmpty()) {
      return base;
    }
    TreeMap<String, HostState> hosts = new TreeMap<>(base.hosts());
    TreeMap<String, ResourceState> resources = new TreeMap<>(base.resources());
    Metadata meta = base.metadata();
    for (Entry e : tail) {
      LogRecord r = e.record();
      if (meta.hasLineage() && !r.lineage().equals(meta.lineage())) {
        throw new LineageMismatchException(layout.location(), meta.lineage(), r.lineage());
      }
      checkSerial(e.serial(), r);
      if (e.serial() != meta.serial() + 1) {
        throw layout.corrupt(layout.logKey(e.serial()), "record " + e.serial() + " follows version " + meta.serial());
      }
      r.applyTo(hosts, resources);
      meta = r.payload().metadata();
    }
    return Snapshot.of(meta, hosts, resources);
  }

  /** Whether one of these records holds the whole state. */
  boolean hasFullRecord(List<Long> serials) {
    for (int i = serials.size() - 1; i >= 0; i--) {
      if (record(serials.get(i)).kind() == LogRecord.Kind.FULL) {
        return true;
      }
    }
    return false;
  }

  private void checkLineage(String fullLineage, Entry later) {
    if (!fullLineage.isEmpty() && !later.record().lineage().equals(fullLineage)) {
      throw layout.corrupt(layout.logKey(later.serial()), "record " + later.serial() + " has lineage '"
          + later.record().lineage() + "' but the full record before it has '" + fullLineage + "'");
    }
  }

  private void checkSerial(long keySerial, LogRecord r) {
    if (r.serial() != keySerial) {
      throw layout.corrupt(layout.logKey(keySerial), "the record holds serial " + r.serial()
          + " but is stored as serial " + keySerial);
    }
  }
}
