package io.infrastate.file;

import io.infrastate.model.Snapshot;
import io.infrastate.codec.EntryEncodings;
import io.infrastate.codec.StateCodec;
import io.infrastate.internal.ChunkedBytes;
import io.infrastate.spi.StoredForm;
import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A snapshot encoded as state.json, held in chunks rather than in one array ({@link
 * ChunkedBytes#growing()}), ready to be written to a file.
 *
 * <p>Why chunks. {@link StateCodec#encode} returns one array: its stream starts from an estimate
 * of the size, doubles when the estimate falls short, and copies the result into an array of the
 * exact size. At 100,000 hosts (87 MB) that allocated (and zeroed) about 400 MB per save, most of
 * it as arrays too large for the collector's young generation, and copied the bytes twice more
 * than writing them needs. Chunks are allocated once each, never copied or grown.
 *
 * <p>Not thread-safe; made, written and dropped by one save.
 */
final class EncodedState {
  private final ChunkedBytes bytes;

  private EncodedState(ChunkedBytes bytes) {
    this.bytes = bytes;
  }

  /**
   * Encodes a snapshot as {@link StateCodec#write} does, in the stored form given (sealed, for an
   * encrypted state, in one chunk).
   *
   * @param snapshot the snapshot
   * @param form the stored form
   * @return its encoding
   */
  static EncodedState of(Snapshot snapshot, StoredForm form) {
    return of(snapshot, form, null);
  }

  /**
   * Encodes a snapshot as {@link #of(Snapshot, StoredForm)} does, copying the encodings of the
   * entries that {@code reuse} holds from the last write through it.
   *
   * @param snapshot the snapshot
   * @param form the stored form
   * @param reuse the last write's encodings, or null
   * @return its encoding
   */
  static EncodedState of(Snapshot snapshot, StoredForm form, EntryEncodings reuse) {
    ChunkedBytes plain = ChunkedBytes.growing();
    StateCodec.write(snapshot, plain, reuse);
    if (!form.seals(snapshot)) {
      return new EncodedState(plain);
    }
    return new EncodedState(ChunkedBytes.wrap(form.seal(snapshot, StoredForm.STATE, plain.toByteArray())));
  }

  /** How many bytes the encoding has. */
  long size() {
    return bytes.size();
  }

  /** How many bytes its chunks hold, used or not: what the encoding allocated. */
  long capacity() {
    return bytes.capacity();
  }

  /**
   * Feeds the encoding to a digest, chunk by chunk.
   *
   * @param md the digest
   */
  void digest(java.security.MessageDigest md) {
    bytes.read((chunk, length) -> md.update(chunk, 0, length));
  }

  /**
   * Writes the encoding at the start of a channel, a chunk per call; the channel's own position
   * does not move.
   *
   * @param channel an open, writable channel
   * @throws IOException if writing fails
   */
  void writeTo(FileChannel channel) throws IOException {
    long[] at = {0};
    bytes.read((chunk, length) -> {
      DurableFiles.writeAll(channel, chunk, 0, length, at[0]);
      at[0] += length;
    });
  }
}
