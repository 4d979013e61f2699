package io.infrastate.s3;

import io.infrastate.CorruptStateException;
import io.infrastate.Snapshot;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.SaveRequest;

/**
 * The bytes a state's objects hold, in one place: a log record ({@link LogRecord}'s format), a
 * checkpoint and the readable copy (both a state.json document). Every encoding and decoding of a
 * stored object goes through here, so that a change of the stored form (such as sealing it) has one
 * place to go.
 *
 * <p>Checkpoints and the readable copy are both made from one state.json encoding of a version
 * ({@link #stateJson}), which a checkpoint job encodes once for both.
 *
 * <p>Immutable; thread-safe.
 */
final class StoredForms {
  /** The log record of a save; see {@link LogRecord#forSave}. */
  LogRecord.Encoded record(SaveRequest request, String commit, boolean forceFull) {
    return LogRecord.forSave(request, commit, forceFull);
  }

  /**
   * Decodes a log record.
   *
   * @throws CorruptStateException if it is damaged, naming {@code source}
   */
  LogRecord readRecord(byte[] content, String source, String hint) {
    return LogRecord.decode(content, source, hint);
  }

  /** The state.json encoding of a version, from which {@link #checkpoint} and {@link #copy} are made. */
  byte[] stateJson(Snapshot s) {
    return StateCodec.encode(s);
  }

  /** What a checkpoint object holds, given the state.json encoding of its version. */
  byte[] checkpoint(byte[] stateJson) {
    return stateJson;
  }

  /**
   * Decodes a checkpoint and checks that it holds the serial it is named by: a checkpoint is never
   * trusted beyond what it says of itself.
   *
   * @throws CorruptStateException if it is damaged or holds another serial, naming {@code source}
   */
  Snapshot readCheckpoint(byte[] content, String source, long serial) {
    Snapshot s = StateCodec.decode(content, source,
        "checkpoints are derived from the log: if the log still holds the records up to " + serial
            + ", delete this checkpoint and it will be rebuilt");
    if (s.metadata().serial() != serial) {
      throw new CorruptStateException(source, "$.metadata.serial", "Checkpoint " + source + " holds serial "
          + s.metadata().serial() + " but is named " + serial + ". It was not modified; delete it and it will be"
          + " rebuilt from the log.", null);
    }
    return s;
  }

  /** What the readable copy holds, given the state.json encoding of its version. */
  byte[] copy(byte[] stateJson) {
    return stateJson;
  }

  /**
   * Decodes the object at the readable copy's key (a copy, or a file another tool wrote there).
   *
   * @throws CorruptStateException if it is not a state.json document, naming {@code source}
   */
  Snapshot readCopy(byte[] content, String source, String hint) {
    return StateCodec.decode(content, source, hint);
  }
}
