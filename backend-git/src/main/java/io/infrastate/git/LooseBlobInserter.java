package io.infrastate.git;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectDatabase;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.util.sha1.SHA1;

/**
 * An inserter that writes a large blob as a loose object with its SHA-1 computed on another thread
 * while this one deflates it; every other object goes to JGit's inserter as before. A write of the
 * single-file layout stores the whole state file: on a machine with a free core, its blob costs the
 * longer of hashing and deflating instead of their sum.
 *
 * <h2>The object it writes</h2>
 *
 * The same file JGit's inserter writes, which the {@code git} CLI reads, published as {@link
 * LooseObjects} says once its id is known. An object the repository already has (loose or packed)
 * is not written again: the temporary file is deleted and the existing object kept.
 *
 * <h2>Integrity</h2>
 *
 * A blob's id comes from {@link SHA1#newInstance()}, the implementation JGit's inserter uses: with
 * collision detection (SHA-1DC) unless the user configured otherwise, so a blob that carries a
 * collision attack fails with {@code Sha1CollisionException} before it is published, as it would
 * through JGit. The one exception is the state file a write has just encoded ({@link
 * #insertEncodedState}), hashed with the JDK's SHA-1: every value in it follows the metadata that
 * names the write's own time (a sealed file is a header and ciphertext), so no one can have
 * computed collision blocks for the bytes before them, and a twin of it could only reach a
 * repository through a fetch or a push, where git and JGit detect it (the reasoning is in the Git
 * backend's documentation). The hashing thread only reads the caller's array, which the caller
 * does not change while it waits for the id.
 *
 * <h2>Durability</h2>
 *
 * With {@code core.fsyncObjectFiles} (set in memory when fsync is on, {@link
 * Repositories#fsyncWrites}) the temporary file is forced to disk before the rename that publishes
 * it, as JGit does.
 *
 * <p>Not thread-safe, like any {@link ObjectInserter}; the hashing threads are shared, daemon
 * threads that end after a few idle seconds.
 */
final class LooseBlobInserter extends ObjectInserter.Filter {
  /** Blobs from this size on are hashed beside their deflation; smaller ones go to JGit. */
  static final int PARALLEL_FROM = 256 * 1024;

  private final ObjectInserter delegate;
  private final Repository repo;
  private final ObjectDirectory objects;
  private Deflater deflater;

  private LooseBlobInserter(ObjectInserter delegate, Repository repo, ObjectDirectory objects) {
    this.delegate = delegate;
    this.repo = repo;
    this.objects = objects;
  }

  /** JGit's inserter for {@code repo}, writing large blobs this way when the objects are loose files. */
  static ObjectInserter of(Repository repo) {
    ObjectDatabase db = repo.getObjectDatabase();
    ObjectInserter jgit = repo.newObjectInserter();
    return db instanceof ObjectDirectory dir ? new LooseBlobInserter(jgit, repo, dir) : jgit;
  }

  @Override
  protected ObjectInserter delegate() {
    return delegate;
  }

  @Override
  public ObjectId insert(int type, byte[] data) throws IOException {
    return insert(type, data, 0, data.length);
  }

  @Override
  public ObjectId insert(int type, byte[] data, int off, int len) throws IOException {
    if (type != Constants.OBJ_BLOB || len < PARALLEL_FROM) {
      return delegate.insert(type, data, off, len);
    }
    return insertLarge(data, off, len, false);
  }

  /**
   * Inserts the state file a write encoded ({@code StateCodec}), as a blob whose id is computed
   * without collision detection (see the class comment). Only for the bytes of a new version,
   * encoded by this library: their metadata carries the write's own time.
   */
  static ObjectId insertEncodedState(ObjectInserter ins, byte[] content) throws IOException {
    if (ins instanceof LooseBlobInserter l && content.length >= PARALLEL_FROM) {
      return l.insertLarge(content, 0, content.length, true);
    }
    return ins.insert(Constants.OBJ_BLOB, content);
  }

  private ObjectId insertLarge(byte[] data, int off, int len, boolean encodedHere) throws IOException {
    byte[] header = LooseObjects.header(Constants.OBJ_BLOB, len);
    Future<ObjectId> hashed = LooseObjects.BACKGROUND.submit(() -> encodedHere ? plainSha1(header, data, off, len)
        : detectingSha1(header, data, off, len));
    Path tmp = LooseObjects.newTempFile(objects.getDirectory().toPath());
    boolean published = false;
    try {
      write(tmp, header, data, off, len);
      ObjectId id = await(hashed);
      if (!objects.has(id)) { // loose or packed
        LooseObjects.publish(tmp, objects.fileFor(id).toPath());
      }
      published = true;
      return id;
    } finally {
      if (!published) {
        hashed.cancel(false);
      }
      Files.deleteIfExists(tmp);
    }
  }

  /** The id JGit would compute: {@link SHA1#newInstance()}, with collision detection unless configured off. */
  static ObjectId detectingSha1(byte[] header, byte[] data, int off, int len) {
    SHA1 md = SHA1.newInstance();
    md.update(header);
    md.update(data, off, len);
    return md.toObjectId();
  }

  private static ObjectId plainSha1(byte[] header, byte[] data, int off, int len) throws NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-1");
    md.update(header);
    md.update(data, off, len);
    return ObjectId.fromRaw(md.digest());
  }

  private void write(Path tmp, byte[] header, byte[] data, int off, int len) throws IOException {
    boolean fsync = repo.getConfig().getBoolean(ConfigConstants.CONFIG_CORE_SECTION, "fsyncObjectFiles", false);
    if (deflater == null) {
      deflater = new Deflater(LooseObjects.level(repo));
    } else {
      deflater.reset();
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      OutputStream raw = Channels.newOutputStream(ch);
      DeflaterOutputStream out = new DeflaterOutputStream(raw, deflater, 64 * 1024);
      out.write(header);
      out.write(data, off, len);
      out.finish();
      if (fsync) {
        ch.force(true);
      }
    }
  }

  private static ObjectId await(Future<ObjectId> hashed) throws IOException {
    try {
      return hashed.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while hashing a blob");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IOException(cause);
    }
  }

  @Override
  public void close() {
    try {
      if (deflater != null) {
        deflater.end();
        deflater = null;
      }
    } finally {
      delegate.close();
    }
  }
}
