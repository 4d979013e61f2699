package io.infrastate.git;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.CoreConfig;
import org.eclipse.jgit.lib.Repository;

/**
 * The loose-object file format and its publication, as JGit's inserter and git write them, for the
 * two inserters of this backend that write loose objects themselves ({@link LooseBlobInserter},
 * {@link ObjectBatch}).
 *
 * <h2>How an object is published</h2>
 *
 * An object file is the zlib stream of {@code "TYPE LENGTH\0"} ({@link #header}) and the bytes, at
 * the repository's {@code core.compression} ({@link #level}). It is written to a temporary file
 * {@code tmp_obj_*} beside where it goes ({@link #newTempFile}), forced to disk by the caller when
 * durability is on, made read-only and renamed to {@code objects/xx/yyyy…} ({@link #publish}). A
 * crash leaves at most temporary files, which no reader looks at and {@code git gc} deletes once
 * they are two weeks old, as it does git's own. A rename onto an object already there replaces a
 * file with the same content: objects are named by it.
 */
final class LooseObjects {
  private LooseObjects() {}

  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * Shared daemon threads for work beside a write (hashing a blob, forcing files to disk), ending
   * after a few idle seconds.
   */
  static final ExecutorService BACKGROUND = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS,
      new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "infrastate-git-io-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
      });

  /** The repository's {@code objects} directory. */
  static Path directory(Repository repo) {
    return repo.getObjectDatabase() instanceof ObjectDirectory od
        ? od.getDirectory().toPath() : repo.getDirectory().toPath().resolve(Constants.OBJECTS);
  }

  /** The compression level of loose objects: the repository's {@code core.compression}. */
  static int level(Repository repo) {
    return repo.getConfig().get(CoreConfig.KEY).getCompression();
  }

  /** The header an object's bytes follow inside its zlib stream: {@code "TYPE LENGTH\0"}. */
  static byte[] header(int type, long length) {
    return (Constants.typeString(type) + " " + length + "\0").getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * A new empty temporary file in {@code dir}, with the permissions the umask gives (as JGit's and
   * git's objects have, so that a shared repository's other users read them; {@link
   * Files#createTempFile} would make it owner-only).
   */
  static Path newTempFile(Path dir) throws IOException {
    return File.createTempFile("tmp_obj_", null, dir.toFile()).toPath();
  }

  /** Makes a finished temporary file read-only and renames it to the object's path {@code dst}. */
  static void publish(Path tmp, Path dst) throws IOException {
    tmp.toFile().setReadOnly();
    try {
      Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      // objects/xx/ is created with the first object that goes there
      Files.createDirectories(dst.getParent());
      Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
