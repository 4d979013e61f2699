package io.infrastate.git;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PackParser;

/**
 * An inserter for the few objects of one commit of the tree layout: it keeps them in memory until
 * {@link #flush}, then writes them as loose objects together, fsynced at once instead of one
 * after the other.
 *
 * <h2>The objects it writes</h2>
 *
 * The files JGit's inserter writes, which the {@code git} CLI reads, each published as {@link
 * LooseObjects} says, from a temporary file in the object's directory {@code objects/xx/}. An
 * object already stored loose is not written again; one stored only in a pack gets a loose copy,
 * which is harmless and which {@code git gc} drops. Ids are computed by JGit ({@link #idFor}, SHA-1
 * with collision detection).
 *
 * <h2>Durability: one wait for all the objects</h2>
 *
 * With fsync on, every temporary file is forced to disk before any of them is renamed into place
 * (as JGit forces each before its rename), and {@link #flush} returns only then: the caller moves
 * the ref afterwards, so a ref never points at an object that a crash can lose. The forces run in
 * parallel, on shared daemon threads ({@link LooseObjects#BACKGROUND}), so that the file system commits them together (a journaling
 * file system groups concurrent fsyncs into one commit); JGit's inserter forces each object in turn,
 * which costs one disk flush per object, about six per commit of the tree layout.
 *
 * <h2>Reading what was just written</h2>
 *
 * {@link #newReader} reads this batch's objects from memory, and so do readers from {@link
 * Recent#reader}: a backend keeps the trees and commits of its last write there, so the next write
 * reads its base trees without opening files. Objects are immutable and named by their content, so
 * a copy in memory is never stale.
 *
 * <p>Not thread-safe, like any {@link ObjectInserter}.
 */
final class ObjectBatch extends ObjectInserter {
  /** Objects kept in memory before they are written, at most; a whole state's first write flushes in parts. */
  static final int MAX_PENDING = 64;

  /** An object's type and bytes (without the header). */
  record Obj(int type, byte[] data) {}

  /**
   * The trees and commits of a backend's last write, read from memory by the next one. Not
   * thread-safe: the backend's lock guards it.
   */
  static final class Recent {
    /** Objects kept, at most: the trees of a write of a few entries and its commit fit many times. */
    static final int MAX = 1024;
    private Map<ObjectId, Obj> objects = Map.of();

    /** Keeps {@code written} in place of what was kept. */
    void replace(Map<ObjectId, Obj> written) {
      Map<ObjectId, Obj> keep = new LinkedHashMap<>();
      for (Map.Entry<ObjectId, Obj> e : written.entrySet()) {
        if (keeps(e.getValue()) && keep.size() < MAX) {
          keep.put(e.getKey(), e.getValue());
        }
      }
      objects = keep;
    }

    static boolean keeps(Obj o) {
      return o.type() == Constants.OBJ_TREE || o.type() == Constants.OBJ_COMMIT;
    }

    Obj get(AnyObjectId id) {
      return objects.get(id);
    }

    /** A reader of {@code repo} that serves the kept objects from memory. */
    ObjectReader reader(Repository repo) {
      return new MemoryReader(repo.newObjectReader(), this::get);
    }
  }

  private final Repository repo;
  private final boolean fsync;
  private final Recent recent;
  private final int level;
  private final Map<ObjectId, Obj> pending = new LinkedHashMap<>();
  /** The trees and commits this batch wrote, for {@link Recent#replace} once the caller published them. */
  private final Map<ObjectId, Obj> written = new LinkedHashMap<>();

  ObjectBatch(Repository repo, boolean fsync, Recent recent) {
    this.repo = repo;
    this.fsync = fsync;
    this.recent = recent;
    this.level = LooseObjects.level(repo);
  }

  @Override
  public ObjectId insert(int type, byte[] data, int off, int len) throws IOException {
    ObjectId id = idFor(type, data, off, len);
    if (!pending.containsKey(id) && !written.containsKey(id)) {
      byte[] copy = off == 0 && len == data.length ? data.clone() : java.util.Arrays.copyOfRange(data, off, off + len);
      pending.put(id, new Obj(type, copy));
      if (pending.size() >= MAX_PENDING) {
        flush();
      }
    }
    return id;
  }

  @Override
  public ObjectId insert(int type, long length, InputStream in) throws IOException {
    if (length > TreeLayout.MAX_FILE) {
      throw new IOException("object of " + length + " bytes is larger than the " + TreeLayout.MAX_FILE + " a batch holds");
    }
    byte[] data = in.readNBytes((int) length);
    if (data.length != length) {
      throw new java.io.EOFException("expected " + length + " bytes, got " + data.length);
    }
    return insert(type, data, 0, data.length);
  }

  @Override
  public PackParser newPackParser(InputStream in) {
    throw new UnsupportedOperationException("an object batch does not parse packs");
  }

  @Override
  public ObjectReader newReader() {
    return new MemoryReader(repo.newObjectReader(), id -> {
      Obj o = pending.get(id);
      if (o == null) {
        o = written.get(id);
      }
      return o != null ? o : recent.get(id);
    });
  }

  /** Records the objects this batch wrote as the backend's last write ({@link Recent}). */
  void remember() {
    recent.replace(written);
  }

  /**
   * Writes the pending objects: each to a temporary file, all forced to disk together (with fsync
   * on), then each renamed into place. Returns once all are in place.
   */
  @Override
  public void flush() throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    Path objects = LooseObjects.directory(repo);
    List<Path> temps = new ArrayList<>();
    List<Path> targets = new ArrayList<>();
    List<FileChannel> open = new ArrayList<>();
    try {
      for (Map.Entry<ObjectId, Obj> e : pending.entrySet()) {
        String name = e.getKey().name();
        Path dir = objects.resolve(name.substring(0, 2));
        Path target = dir.resolve(name.substring(2));
        if (Files.exists(target)) {
          continue;
        }
        Files.createDirectories(dir);
        Path tmp = LooseObjects.newTempFile(dir);
        temps.add(tmp);
        targets.add(target);
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
        open.add(ch);
        ByteBuffer buf = ByteBuffer.wrap(deflate(e.getValue()));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      if (fsync) {
        forceAll(open);
      }
      for (FileChannel ch : open) {
        ch.close();
      }
      open.clear();
      for (int i = 0; i < temps.size(); i++) {
        LooseObjects.publish(temps.get(i), targets.get(i));
      }
      temps.clear();
      for (Map.Entry<ObjectId, Obj> e : pending.entrySet()) {
        if (Recent.keeps(e.getValue()) && written.size() < Recent.MAX) {
          written.put(e.getKey(), e.getValue());
        }
      }
      pending.clear();
    } finally {
      for (FileChannel ch : open) {
        try {
          ch.close();
        } catch (IOException e) {
          // already failing: the first error is reported
        }
      }
      for (Path tmp : temps) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // already failing: a temporary file left behind is deleted by git gc
        }
      }
    }
  }

  private byte[] deflate(Obj o) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(o.data().length / 2 + 64);
    Deflater d = new Deflater(level);
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, d, 8192)) {
      z.write(LooseObjects.header(o.type(), o.data().length));
      z.write(o.data());
    } finally {
      d.end();
    }
    return out.toByteArray();
  }

  /** Forces every channel to disk: all but the first on shared threads, the first on this one. */
  private static void forceAll(List<FileChannel> channels) throws IOException {
    List<Future<?>> others = new ArrayList<>();
    for (int i = 1; i < channels.size(); i++) {
      FileChannel ch = channels.get(i);
      others.add(LooseObjects.BACKGROUND.submit(() -> {
        ch.force(true);
        return null;
      }));
    }
    IOException failure = null;
    try {
      if (!channels.isEmpty()) {
        channels.get(0).force(true);
      }
    } catch (IOException e) {
      failure = e;
    }
    boolean interrupted = false;
    for (Future<?> f : others) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // the objects must be on disk before the ref moves: wait for them
        } catch (ExecutionException e) {
          if (failure == null) {
            failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
          }
          break;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
      if (failure == null) {
        failure = new InterruptedIOException("interrupted while forcing objects to disk");
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() {
    pending.clear();
  }

  /** A reader that serves some objects from memory and every other one from the repository. */
  private static final class MemoryReader extends ObjectReader.Filter {
    private final ObjectReader delegate;
    private final java.util.function.Function<AnyObjectId, Obj> kept;

    MemoryReader(ObjectReader delegate, java.util.function.Function<AnyObjectId, Obj> kept) {
      this.delegate = delegate;
      this.kept = kept;
    }

    @Override
    protected ObjectReader delegate() {
      return delegate;
    }

    @Override
    public ObjectReader newReader() {
      return new MemoryReader(delegate.newReader(), kept);
    }

    private Obj kept(AnyObjectId id) {
      return kept.apply(id);
    }

    @Override
    public boolean has(AnyObjectId id) throws IOException {
      return kept(id) != null || delegate.has(id);
    }

    @Override
    public boolean has(AnyObjectId id, int type) throws IOException {
      Obj o = kept(id);
      return o != null ? (type == OBJ_ANY || o.type() == type) : delegate.has(id, type);
    }

    @Override
    public ObjectLoader open(AnyObjectId id) throws MissingObjectException, IOException {
      return open(id, OBJ_ANY);
    }

    @Override
    public ObjectLoader open(AnyObjectId id, int type)
        throws MissingObjectException, IncorrectObjectTypeException, IOException {
      Obj o = kept(id);
      if (o == null) {
        return delegate.open(id, type);
      }
      if (type != OBJ_ANY && o.type() != type) {
        throw new IncorrectObjectTypeException(id.copy(), type);
      }
      return new ObjectLoader.SmallObject(o.type(), o.data());
    }

    @Override
    public long getObjectSize(AnyObjectId id, int type)
        throws MissingObjectException, IncorrectObjectTypeException, IOException {
      Obj o = kept(id);
      return o != null ? o.data().length : delegate.getObjectSize(id, type);
    }
  }
}
