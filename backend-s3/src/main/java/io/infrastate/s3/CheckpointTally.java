package io.infrastate.s3;

import java.util.List;

/**
 * How much log this process has seen since the newest checkpoint, and how large the state is:
 * decides when a checkpoint is due.
 *
 * <h2>The rule</h2>
 *
 * A checkpoint is due when the records since the newest checkpoint weigh at least
 * max(checkpointBytes, state size / 4), a record weighing its size plus {@link #RECORD_WEIGHT} for
 * the GET that reads it (or, with a {@code checkpointInterval}, when they are that many). The
 * records counted are those this process has seen: its own writes, the records it replayed in a
 * refresh, or the tail listed by a full load with their sizes. The count restarts when a checkpoint
 * is queued. So the cost of checkpoints follows the bytes of log written, and a cold load reads at
 * most about 1.25 times the state. Several processes count on their own; a checkpoint two of them
 * decide on only adds a redundant object (checkpoints are derived and create-only).
 *
 * <p>The state size is the length of the last full encoding this process made or read, grown by
 * the size of each delta since (an upper bound), or -1 while unknown.
 *
 * <p>Thread-safe.
 */
final class CheckpointTally {
  /** What a log record weighs beyond its bytes when deciding on a checkpoint: the request that reads it. */
  static final long RECORD_WEIGHT = 4096;

  private final long checkpointBytes;
  private final int checkpointInterval;
  private long weight;
  private int records;
  private long through = -1;
  private volatile long stateBytes = -1;

  CheckpointTally(long checkpointBytes, int checkpointInterval) {
    this.checkpointBytes = checkpointBytes;
    this.checkpointInterval = checkpointInterval;
  }

  /** The size of the encoded state, approximately; -1 if unknown. */
  long stateBytes() {
    return stateBytes;
  }

  /** Records the size of a full encoding of the state. */
  void stateBytes(long bytes) {
    stateBytes = bytes;
  }

  /** Grows the known state size by a delta record's size (an upper bound of the growth). */
  void grow(long bytes) {
    long b = stateBytes;
    if (b >= 0) {
      stateBytes = b + bytes;
    }
  }

  /**
   * Counts a log record this process has seen (written, or replayed in a refresh).
   *
   * @return whether a checkpoint is now due (the count then restarts)
   */
  synchronized boolean count(long serial, long size) {
    if (serial <= through) {
      return false;
    }
    through = serial;
    weight += Math.max(0, size) + RECORD_WEIGHT;
    records++;
    return due();
  }

  /**
   * Restarts the count from a full load: {@code listed} are the records after the newest checkpoint.
   *
   * @return whether a checkpoint is due for the loaded version
   */
  synchronized boolean restart(long head, List<LogLayout.Numbered> listed) {
    through = head;
    weight = 0;
    for (LogLayout.Numbered n : listed) {
      weight += Math.max(0, n.size()) + RECORD_WEIGHT;
    }
    records = listed.size();
    return due();
  }

  /** Whether the log since the newest checkpoint is long enough; if so, restarts the count. */
  private boolean due() {
    long size = stateBytes;
    long threshold = Math.max(checkpointBytes, size < 0 ? 0 : size / 4);
    boolean due = records > 0 && (weight >= threshold || (checkpointInterval > 0 && records >= checkpointInterval));
    if (due) {
      weight = 0;
      records = 0;
    }
    return due;
  }
}
