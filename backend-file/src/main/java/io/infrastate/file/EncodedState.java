package io.infrastate.file;

import io.infrastate.model.Snapshot;
import io.infrastate.codec.EntryEncodings;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.StoredForm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot encoded as state.json, held in chunks rather than in one array, ready to be written
 * to a file.
 *
 * <p>Why chunks. {@link StateCodec#encode} returns one array: its stream starts from an estimate
 * of the size, doubles when the estimate falls short, and copies the result into an array of the
 * exact size. At 100,000 hosts (87 MB) that allocated (and zeroed) about 400 MB per save, most of
 * it as arrays too large for the collector's young generation, and copied the bytes twice more
 * than writing them needs. Chunks of {@value #CHUNK} bytes are allocated once each, never copied
 * or grown, and stay below the size at which G1 treats an array as humongous, whatever its region
 * size: about half the allocation, and about 10 % less time to encode at 100,000 hosts. The first
 * chunk is small and each next one twice the last, up to {@value #CHUNK} bytes, so that a small
 * state holds little more than its size, without an estimate of it.
 *
 * <p>Not thread-safe; made, written and dropped by one save.
 */
final class EncodedState extends OutputStream {
  /** Bytes per chunk: under half of G1's smallest region (1 MB), the humongous threshold. */
  static final int CHUNK = 128 * 1024;

  /** Bytes of the first chunk. */
  static final int FIRST_CHUNK = 4096;

  private final List<byte[]> full = new ArrayList<>();
  private byte[] current;
  private int used;
  private long size;

  private EncodedState() {
    current = new byte[FIRST_CHUNK];
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
    EncodedState e = new EncodedState();
    StateCodec.write(snapshot, e, reuse);
    if (!form.seals(snapshot)) {
      return e;
    }
    byte[] plain = new byte[Math.toIntExact(e.size)];
    int at = 0;
    for (byte[] chunk : e.full) {
      System.arraycopy(chunk, 0, plain, at, chunk.length);
      at += chunk.length;
    }
    System.arraycopy(e.current, 0, plain, at, e.used);
    EncodedState sealed = new EncodedState();
    sealed.current = form.seal(snapshot, StoredForm.STATE, plain);
    sealed.used = sealed.current.length;
    sealed.size = sealed.used;
    return sealed;
  }

  /** How many bytes the encoding has. */
  long size() {
    return size;
  }

  /** How many bytes its chunks hold, used or not: what the encoding allocated. */
  long capacity() {
    long sum = current.length;
    for (byte[] chunk : full) {
      sum += chunk.length;
    }
    return sum;
  }

  @Override
  public void write(int b) {
    if (used == current.length) {
      next();
    }
    current[used++] = (byte) b;
    size++;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    size += len;
    while (len > 0) {
      if (used == current.length) {
        next();
      }
      int n = Math.min(len, current.length - used);
      System.arraycopy(b, off, current, used, n);
      used += n;
      off += n;
      len -= n;
    }
  }

  private void next() {
    full.add(current);
    current = new byte[Math.min(CHUNK, 2 * current.length)];
    used = 0;
  }

  /**
   * Feeds the encoding to a digest, chunk by chunk.
   *
   * @param md the digest
   */
  void digest(java.security.MessageDigest md) {
    for (byte[] chunk : full) {
      md.update(chunk, 0, chunk.length);
    }
    md.update(current, 0, used);
  }

  /**
   * Writes the encoding at the start of a channel, a chunk per call; the channel's own position
   * does not move.
   *
   * @param channel an open, writable channel
   * @throws IOException if writing fails
   */
  void writeTo(FileChannel channel) throws IOException {
    long at = 0;
    for (byte[] chunk : full) {
      DurableFiles.writeAll(channel, chunk, 0, chunk.length, at);
      at += chunk.length;
    }
    DurableFiles.writeAll(channel, current, 0, used, at);
  }
}
