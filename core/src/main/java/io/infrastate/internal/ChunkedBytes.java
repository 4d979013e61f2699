package io.infrastate.internal;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Bytes written into a list of chunks that are never grown nor copied: what the backends encode a
 * large state into before they write or send it.
 *
 * <p>Why chunks. A {@link java.io.ByteArrayOutputStream} starts from an estimate of the size,
 * doubles when the estimate falls short, and copies the result into an array of the exact size:
 * at 100,000 hosts several copies of a state of tens of megabytes, each an array too large for the
 * collector's young generation. Chunks of at most {@value #CHUNK} bytes are allocated once each
 * (or taken from a pool), never copied or grown, and stay below the size at which G1 treats an
 * array as humongous, whatever its region size.
 *
 * <p>Not thread-safe: written by one thread, then read (its chunks are not copied: a reader must
 * not change them).
 */
public final class ChunkedBytes extends OutputStream {
  /** Bytes per chunk, at most: under half of G1's smallest region (1 MB), the humongous threshold. */
  public static final int CHUNK = 128 * 1024;

  /** Bytes of the first chunk of {@link #growing()}. */
  public static final int FIRST_CHUNK = 4096;

  /**
   * Reads one chunk: its bytes and how many of them are used.
   *
   * @param <E> what the reader may throw
   */
  @FunctionalInterface
  public interface ChunkReader<E extends Exception> {
    /**
     * Reads a chunk.
     *
     * @param chunk the chunk (not to be changed)
     * @param length how many of its bytes, from the start, are content
     * @throws E if the reader fails
     */
    void read(byte[] chunk, int length) throws E;
  }

  private final IntFunction<byte[]> nextChunk;
  private final List<byte[]> full = new ArrayList<>();
  private byte[] current;
  private int used;
  private long size;

  /**
   * Creates an empty buffer.
   *
   * @param nextChunk gives each chunk, called with the length of the one before it (0 for the
   *     first); a chunk has at least one byte and at most {@value #CHUNK}
   */
  public ChunkedBytes(IntFunction<byte[]> nextChunk) {
    this(nextChunk, nextChunk.apply(0), 0);
  }

  private ChunkedBytes(IntFunction<byte[]> nextChunk, byte[] first, int used) {
    this.nextChunk = nextChunk;
    this.current = first;
    this.used = used;
    this.size = used;
  }

  /**
   * A buffer whose first chunk has {@value #FIRST_CHUNK} bytes and each next one twice the last,
   * up to {@value #CHUNK}: a small content holds little more than its size, without an estimate.
   *
   * @return an empty buffer
   */
  public static ChunkedBytes growing() {
    return new ChunkedBytes(last -> new byte[last == 0 ? FIRST_CHUNK : Math.min(CHUNK, 2 * last)]);
  }

  /**
   * A buffer holding {@code content} as its one chunk, not copied; nothing more can be written.
   *
   * @param content the bytes, which must not be changed afterwards
   * @return the buffer
   */
  public static ChunkedBytes wrap(byte[] content) {
    return new ChunkedBytes(last -> {
      throw new IllegalStateException("a wrapped array cannot grow");
    }, content, content.length);
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
    Objects.checkFromIndexSize(off, len, b.length);
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
    current = nextChunk.apply(current.length);
    used = 0;
  }

  /**
   * The number of bytes written.
   *
   * @return the size
   */
  public long size() {
    return size;
  }

  /**
   * How many bytes the chunks hold, used or not: what the content allocated.
   *
   * @return the capacity
   */
  public long capacity() {
    long sum = current.length;
    for (byte[] chunk : full) {
      sum += chunk.length;
    }
    return sum;
  }

  /**
   * The chunks in order, the last one used only up to {@link #lastUsed()}; the others are full.
   *
   * @return a new list of the chunks themselves (not copies)
   */
  public List<byte[]> chunks() {
    List<byte[]> all = new ArrayList<>(full.size() + 1);
    all.addAll(full);
    all.add(current);
    return all;
  }

  /**
   * How many bytes of the last chunk are content.
   *
   * @return the bytes used in the last chunk
   */
  public int lastUsed() {
    return used;
  }

  /**
   * Reads the content chunk by chunk, in order.
   *
   * @param reader called with each chunk and its used length
   * @param <E> what the reader may throw
   * @throws E if the reader fails
   */
  public <E extends Exception> void read(ChunkReader<E> reader) throws E {
    for (byte[] chunk : full) {
      reader.read(chunk, chunk.length);
    }
    reader.read(current, used);
  }

  /**
   * The content in one new array.
   *
   * @return a copy of the bytes written
   */
  public byte[] toByteArray() {
    byte[] all = new byte[Math.toIntExact(size)];
    int at = 0;
    for (byte[] chunk : full) {
      System.arraycopy(chunk, 0, all, at, chunk.length);
      at += chunk.length;
    }
    System.arraycopy(current, 0, all, at, used);
    return all;
  }
}
