package io.infrastate.s3;

import io.infrastate.model.CorruptStateException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a state's objects live in its bucket, and how they are listed: the log records and
 * checkpoints under {@code KEY.infrastate/}, named by their serial zero-padded to 20 digits so that
 * a LIST returns them in order (see {@link S3Backend} for the layout).
 *
 * <p>Immutable; thread-safe.
 */
final class LogLayout {
  private static final Logger LOG = LoggerFactory.getLogger(LogLayout.class);

  /** A listed log record or checkpoint: its serial and size in bytes (-1 if unknown). */
  record Numbered(long serial, long size) {}

  private final S3Store store;
  private final String key;
  private final String dir;
  private final String location;

  LogLayout(S3Store store, String key) {
    this.store = store;
    this.key = key;
    this.dir = key + ".infrastate/";
    this.location = "s3://" + store.bucket() + "/" + key;
  }

  S3Store store() {
    return store;
  }

  /** The key of the readable copy. */
  String key() {
    return key;
  }

  /** The prefix of everything but the readable copy: {@code KEY.infrastate/}. */
  String dir() {
    return dir;
  }

  /** The state's URI, {@code s3://BUCKET/KEY}, for messages. */
  String location() {
    return location;
  }

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

  /** The serials of the objects under a prefix, in order, skipping keys of another shape. */
  List<Long> serials(String prefix, String startAfter, int limit) {
    List<Long> out = new ArrayList<>();
    for (Numbered n : numbered(prefix, startAfter, limit)) {
      out.add(n.serial());
    }
    return out;
  }

  /** The objects under a prefix with their serials and sizes, in order, skipping keys of another shape. */
  List<Numbered> numbered(String prefix, String startAfter, int limit) {
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

  /** The serials of all checkpoints, in order. */
  List<Long> checkpoints() {
    return serials(checkpointPrefix(), null, Integer.MAX_VALUE);
  }

  /** The newest checkpoint at or before a serial, or -1 if there is none. */
  long newestCheckpointAtOrBefore(long serial) {
    long newest = -1;
    for (long c : checkpoints()) {
      if (c <= serial) {
        newest = c;
      }
    }
    return newest;
  }

  /** Damage found at an object: nothing is written over it. */
  CorruptStateException corrupt(String objectKey, String what) {
    return new CorruptStateException(store.uri(objectKey), null,
        "State " + location + " is damaged: " + what + " (at " + store.uri(objectKey) + "). Nothing was"
            + " modified; restore the missing or damaged objects from a backup or bucket versioning.",
        null);
  }
}
