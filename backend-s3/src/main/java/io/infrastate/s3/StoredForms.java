package io.infrastate.s3;

import io.infrastate.codec.EntryEncodings;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.StoredForm;

/**
 * The bytes a state's objects hold, in one place: a log record ({@link LogRecord}'s format), a
 * checkpoint and the readable copy (both a state.json document). Every encoding and decoding of a
 * stored object goes through here, so that a change of the stored form (such as sealing it) has one
 * place to go.
 *
 * <p>Checkpoints and the readable copy are both made from one state.json encoding of a version
 * ({@link #stateJson}), which a checkpoint job encodes once for both. Encodings go through one
 * {@link EntryEncodings}: an encoding copies the bytes of the hosts and resources that did not
 * change since the last one (versions share their unchanged entries), so that a checkpoint after
 * k changes encodes k entries and copies the rest, with the same bytes as a fresh encoding.
 *
 * <p>Whole-state encryption: each object of a version whose key record asks for it is sealed on its
 * own by the {@link StoredForm} a keyring set ({@link S3Backend#storedForm}), a log record as a
 * record, a checkpoint and the readable copy as whole states.
 *
 * <p>Thread-safe: the form is published through a volatile field.
 */
final class StoredForms {
  /** The form of every object of the state ({@link StoredForm#PLAIN} unless a keyring set another). */
  volatile StoredForm form = StoredForm.PLAIN;

  /** The entries of the last state.json encoded, for the next encoding to copy. */
  private final EntryEncodings encodings = new EntryEncodings();

  /** The chunks state.json encodings are written into, given back when their PUTs are done. */
  private final ObjectBody.Pool chunks = new ObjectBody.Pool();

  /** The log record of a save; see {@link LogRecord#forSave}. Sealed on its own when the version is. */
  LogRecord.Encoded record(SaveRequest request, String commit, boolean forceFull) {
    LogRecord.Encoded e = LogRecord.forSave(request, commit, forceFull);
    StoredForm f = form;
    return f.seals(request.snapshot()) ? new LogRecord.Encoded(f.seal(request.snapshot(), StoredForm.RECORD, e.bytes()), e.record()) : e;
  }

  /**
   * Decodes a log record.
   *
   * @throws CorruptStateException if it is damaged, naming {@code source}
   */
  LogRecord readRecord(byte[] content, String source, String hint) {
    return LogRecord.decode(form.open(content, StoredForm.RECORD, source), source, hint);
  }

  /**
   * The state.json encoding of a version, from which {@link #checkpoint} and {@link #copy} are
   * made; the caller {@linkplain ObjectBody#release() releases} it once they are written.
   */
  ObjectBody stateJson(Snapshot s) {
    return ObjectBody.stateJson(s, encodings, chunks);
  }

  /** What a checkpoint object holds, given its version and the version's state.json encoding. */
  ObjectBody checkpoint(Snapshot s, ObjectBody stateJson) {
    return whole(s, stateJson);
  }

  /**
   * Decodes a checkpoint and checks that it holds the serial it is named by: a checkpoint is never
   * trusted beyond what it says of itself.
   *
   * @throws CorruptStateException if it is damaged or holds another serial, naming {@code source}
   */
  Snapshot readCheckpoint(byte[] content, String source, long serial) {
    Snapshot s = StateCodec.decode(form.open(content, StoredForm.STATE, source), source,
        "checkpoints are derived from the log: if the log still holds the records up to " + serial
            + ", delete this checkpoint and it will be rebuilt");
    if (s.metadata().serial() != serial) {
      throw new CorruptStateException(source, "$.metadata.serial", "Checkpoint " + source + " holds serial "
          + s.metadata().serial() + " but is named " + serial + ". It was not modified; delete it and it will be"
          + " rebuilt from the log.", null);
    }
    return s;
  }

  /** What the readable copy holds, given its version and the version's state.json encoding. */
  ObjectBody copy(Snapshot s, ObjectBody stateJson) {
    return whole(s, stateJson);
  }

  /** A whole state as stored: its state.json, sealed when the version is. */
  private ObjectBody whole(Snapshot s, ObjectBody stateJson) {
    StoredForm f = form;
    return f.seals(s) ? ObjectBody.of(f.seal(s, StoredForm.STATE, stateJson.toByteArray())) : stateJson;
  }

  /**
   * Decodes the object at the readable copy's key (a copy, or a file another tool wrote there).
   *
   * @throws CorruptStateException if it is not a state.json document, naming {@code source}
   */
  Snapshot readCopy(byte[] content, String source, String hint) {
    return StateCodec.decode(form.open(content, StoredForm.STATE, source), source, hint);
  }
}
