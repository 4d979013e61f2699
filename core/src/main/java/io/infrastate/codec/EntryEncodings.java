package io.infrastate.codec;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.SoftReference;
import java.util.Arrays;
import tools.jackson.core.JsonGenerator;

/*
 * How an entry's encoding is reused
 * ---------------------------------
 * Snapshots are immutable and a new version shares every host and resource it did not change with
 * the version before, so an entry that did not change between two writes is the same object. The
 * codec writes each entry's value through one generator whose output passes through a Pass; the
 * Pass records the bytes of each entry value it encodes (flushing the generator before and after),
 * and copies the recorded bytes of an entry it already knows instead of encoding it. To the
 * generator a copied entry is an empty raw value: it writes the name-value separator and counts the
 * entry, and the bytes are added after a flush, so the separators, indentation and the following
 * entries come out exactly as in a fresh encode. Every entry is at the same depth (two levels in),
 * so its bytes do not depend on where it is written.
 *
 * Finding an entry. A generation holds the entries of one write in the order written: hosts, then
 * resources, each in ascending key order (the order of the snapshot's maps). A write walks it
 * beside its own entries, as a merge does, and copies an entry whose key is the same and whose
 * value is the same object. No hashing and no look-up in a table: both walks are sequential (a
 * table keyed by the entries' identity cost more than the copying it saved, at 100,000 hosts).
 *
 * Memory. A Pass builds the next generation (the entries of the snapshot it writes) and publishes
 * it only when the write completes; the previous generation is then garbage. The held bytes are
 * about the size of the last document written, the held entries are those of the last snapshot
 * written. The generation is held through a soft reference: when memory runs short the collector
 * drops it rather than fail, and the next write encodes every entry.
 *
 * Concurrency. A generation is published through a volatile field and never modified after it.
 * Writes running at the same time each read the last published generation and publish their own;
 * whichever publishes last is kept. An output never depends on which generation a write reads, as
 * an entry's bytes only depend on the entry. An entry holding a secret in clear cannot be encoded
 * at all, so no generation holds its bytes.
 */

/**
 * The encodings of the hosts and resources of the last state written, for {@link
 * StateCodec#write(io.infrastate.model.Snapshot, OutputStream, EntryEncodings)} to copy into the
 * next write: a whole-file writer keeps one and passes it to every write, and each write then
 * encodes only the entries that changed since the one before. The bytes written are the same as
 * without it.
 *
 * <p>It holds the last written snapshot's entries and their encoded bytes (about the size of that
 * document), no more, and softly: the collector may drop them when memory runs short, and the next
 * write then encodes every entry. Instances are thread-safe: writes may share one and run at the
 * same time.
 */
public final class EntryEncodings {
  private static final Generation NONE = new Generation(0);

  /** The entries of the last completed write, held softly. */
  private volatile SoftReference<Generation> last = new SoftReference<>(NONE);

  /** An empty set: the first write through it encodes every entry. */
  public EntryEncodings() {}

  /**
   * How many entries' encodings are held: those of the last snapshot written through this.
   *
   * @return the number of hosts and resources held
   */
  public int size() {
    return last().size;
  }

  /** The last generation, or none if the collector dropped it. */
  private Generation last() {
    Generation g = last.get();
    return g == null ? NONE : g;
  }

  /** How many entries the last write through this copied rather than encoded. */
  int lastCopied() {
    return last().copied;
  }

  /** The length of the last document written through this, in bytes; 0 before the first. */
  long lastLength() {
    return last().length;
  }

  /** Starts a write to {@code out} of a state with {@code entries} hosts and resources. */
  Pass start(OutputStream out, int entries) {
    return new Pass(this, out, last(), entries);
  }

  /** One write's entries, in the order written, with each one's value as encoded. */
  private static final class Generation {
    final String[] keys;
    final Object[] entries;
    final byte[][] encoded;
    /** How many of the entries are hosts (they come first). */
    int hosts;
    int size;
    int copied;
    long length;

    Generation(int capacity) {
      keys = new String[capacity];
      entries = new Object[capacity];
      encoded = new byte[capacity][];
    }

    void add(String key, Object entry, byte[] bytes) {
      keys[size] = key;
      entries[size] = entry;
      encoded[size++] = bytes;
    }
  }

  /**
   * One write's view: the stream the generator writes to, recording or copying entries. Not
   * thread-safe: one per write.
   */
  static final class Pass extends OutputStream {
    /** What the pretty printer writes between an entry's name and its value. */
    private static final byte[] NAME_VALUE = {':', ' '};

    private final EntryEncodings owner;
    private final OutputStream out;
    private final Generation previous;
    private final Generation next;
    /** Where the walk through the previous generation stands, and where its section ends. */
    private int at;
    private int end;
    private long written;
    private byte[] recording = new byte[1024];
    /** Bytes recorded; -1 when not recording. */
    private int recorded = -1;

    private Pass(EntryEncodings owner, OutputStream out, Generation previous, int entries) {
      this.owner = owner;
      this.out = out;
      this.previous = previous;
      this.next = new Generation(entries);
    }

    /** The hosts are written next. */
    void hosts() {
      at = 0;
      end = previous.hosts;
    }

    /** The resources are written next (after the hosts). */
    void resources() {
      next.hosts = next.size;
      at = previous.hosts;
      end = previous.size;
    }

    /**
     * Writes the value of the entry whose name {@code g} just wrote, if the last write encoded the
     * same entry under the same key. Keys come in ascending order.
     *
     * @return whether it was written; if not, the caller encodes it between {@link #record} and
     *     {@link #recorded}
     */
    boolean copy(JsonGenerator g, String key, Object entry) throws IOException {
      while (at < end && previous.keys[at] != key && previous.keys[at].compareTo(key) < 0) {
        at++;
      }
      if (at == end || previous.entries[at] != entry || !previous.keys[at].equals(key)) {
        return false;
      }
      byte[] encoded = previous.encoded[at++];
      g.writeRawValue(""); // the separator, and the entry counted as written
      g.flush();
      write(encoded, 0, encoded.length);
      next.add(key, entry, encoded);
      next.copied++;
      return true;
    }

    /** Starts recording the value the caller encodes next, its name being written. */
    void record(JsonGenerator g) {
      g.flush();
      recorded = 0;
    }

    /** Stops recording: the value of the entry {@code key} is encoded. */
    void recorded(JsonGenerator g, String key, Object entry) {
      g.flush();
      if (recorded < NAME_VALUE.length || !Arrays.equals(recording, 0, NAME_VALUE.length, NAME_VALUE, 0, NAME_VALUE.length)) {
        throw new IllegalStateException("an entry's value did not start with the name-value separator");
      }
      next.add(key, entry, Arrays.copyOfRange(recording, NAME_VALUE.length, recorded));
      recorded = -1;
    }

    /** The write completed: its entries become those the next write may copy. */
    void publish() {
      next.length = written;
      owner.last = new SoftReference<>(next);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      written += len;
      if (recorded >= 0) {
        if (recorded + len > recording.length) {
          recording = Arrays.copyOf(recording, Math.max(recording.length * 2, recorded + len));
        }
        System.arraycopy(b, off, recording, recorded, len);
        recorded += len;
      }
    }

    /** Flushes nothing: the generator flushes around every entry; the codec flushes the stream at the end. */
    @Override
    public void flush() {}

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
