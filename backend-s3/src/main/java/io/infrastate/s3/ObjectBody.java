package io.infrastate.s3;

import io.infrastate.codec.EntryEncodings;
import io.infrastate.codec.StateCodec;
import io.infrastate.internal.ChunkedBytes;
import io.infrastate.model.Snapshot;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The content of an object to PUT, held in chunks and sent from them as they are: a state.json
 * encoding (a checkpoint, the readable copy) or a small object in one array.
 *
 * <p>Why chunks. Encoding a whole state into one array ({@link StateCodec#encode}) grows a buffer
 * by doubling and copies it into an array of the exact size, and {@link RequestBody#fromBytes}
 * copies that once more: four or five copies of the state per object, each an array too large for
 * the collector's young generation, allocated by the background thread that writes checkpoints
 * while the caller's writes run. Here the encoding is written once into chunks ({@link
 * ChunkedBytes}) of {@value #CHUNK} bytes, never grown nor copied, and each PUT reads them through
 * a stream of its own ({@link #requestBody()}), so the checkpoint and the readable copy of a
 * version share one encoding.
 *
 * <p>Why a pool. A checkpoint's chunks stay alive while its PUTs are sent, long enough for young
 * collections to copy them to the survivor and old spaces, in pauses that grow with the state and
 * stop the caller's writes too. Chunks taken from a {@link Pool} and given back once the PUTs are
 * done are copied once, when first tenured, and then reused by every later checkpoint: a
 * checkpoint allocates nothing in proportion to the state. The pool holds about one encoded state,
 * softly (the collector drops it when memory runs short).
 *
 * <p>Immutable once made; a request body may be read by several requests (and retries) at once.
 * {@link #release()} hands pooled chunks back: the body must not be used after it.
 */
final class ObjectBody {
  /** Bytes per chunk ({@link ChunkedBytes#CHUNK}). */
  static final int CHUNK = ChunkedBytes.CHUNK;

  private final ChunkedBytes bytes;
  /** Its chunks, the last one used up to {@link #lastUsed} (the others are full). */
  private final List<byte[]> chunks;
  private final int lastUsed;
  /** Where the chunks go back to; null if they are not pooled. */
  private Pool pool;

  private ObjectBody(ChunkedBytes bytes, Pool pool) {
    this.bytes = bytes;
    this.chunks = List.copyOf(bytes.chunks());
    this.lastUsed = bytes.lastUsed();
    this.pool = pool;
  }

  /** Content held in one array, which must not be modified afterwards (it is not copied). */
  static ObjectBody of(byte[] bytes) {
    return new ObjectBody(ChunkedBytes.wrap(bytes), null);
  }

  /**
   * The state.json encoding of a version, as {@link StateCodec#write(Snapshot, OutputStream,
   * EntryEncodings)} makes it: the same bytes as {@link StateCodec#encode(Snapshot)}, copying the
   * entries {@code reuse} holds from the last encoding through it, into chunks from {@code pool}.
   *
   * @throws io.infrastate.model.BackendException if the state cannot be encoded
   */
  static ObjectBody stateJson(Snapshot s, EntryEncodings reuse, Pool pool) {
    ChunkedBytes out = new ChunkedBytes(last -> pool.take());
    try {
      StateCodec.write(s, out, reuse);
    } catch (RuntimeException e) {
      pool.give(out.chunks());
      throw e;
    }
    return new ObjectBody(out, pool);
  }

  /**
   * Hands the chunks back to the pool they came from, if any; the body must not be used after.
   * Idempotent.
   */
  void release() {
    Pool p = pool;
    if (p != null) {
      pool = null;
      p.give(chunks);
    }
  }

  /** The number of bytes. */
  long size() {
    return bytes.size();
  }

  /** The content in one new array, for a whole-state form (sealing) that needs it so. */
  byte[] toByteArray() {
    return bytes.toByteArray();
  }

  /**
   * A request body: content in one array of at most {@value #CHUNK} bytes (a log record, a lock)
   * as the SDK's copy of it, larger content read from the chunks, each request (and each retry)
   * through a stream of its own.
   */
  RequestBody requestBody() {
    if (chunks.size() == 1 && lastUsed == chunks.get(0).length && bytes.size() <= CHUNK) {
      return RequestBody.fromBytes(chunks.get(0));
    }
    return RequestBody.fromContentProvider(Reader::new, bytes.size(), "application/json");
  }

  /** Reads the chunks in order. Not thread-safe; one per request. */
  private final class Reader extends InputStream {
    private int chunk;
    private int at;

    private int end() {
      return chunk == chunks.size() - 1 ? lastUsed : chunks.get(chunk).length;
    }

    /** Moves past exhausted chunks; false at the end of the content. */
    private boolean ready() {
      while (chunk < chunks.size() && at == end()) {
        chunk++;
        at = 0;
      }
      return chunk < chunks.size();
    }

    @Override
    public int read() {
      if (!ready()) {
        return -1;
      }
      return chunks.get(chunk)[at++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (!ready()) {
        return -1;
      }
      int n = Math.min(len, end() - at);
      System.arraycopy(chunks.get(chunk), at, b, off, n);
      at += n;
      return n;
    }

    @Override
    public int available() {
      return ready() ? end() - at : 0;
    }
  }

  /**
   * Chunks of {@value #CHUNK} bytes to encode into, given back by {@link #release()}. Holds, softly,
   * at most as many as the last body given back had. Thread-safe.
   */
  static final class Pool {
    private SoftReference<ArrayDeque<byte[]>> free = new SoftReference<>(new ArrayDeque<>());

    synchronized byte[] take() {
      ArrayDeque<byte[]> f = free.get();
      byte[] chunk = f == null ? null : f.pollLast();
      return chunk != null ? chunk : new byte[CHUNK];
    }

    synchronized void give(List<byte[]> chunks) {
      ArrayDeque<byte[]> f = free.get();
      if (f == null) {
        f = new ArrayDeque<>();
        free = new SoftReference<>(f);
      }
      for (byte[] c : chunks) {
        if (f.size() >= chunks.size()) {
          break;
        }
        f.addLast(c);
      }
    }
  }
}
