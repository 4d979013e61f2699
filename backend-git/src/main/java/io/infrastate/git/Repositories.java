package io.infrastate.git;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FileUtils;

/** Opening and creating repositories on disk. Stateless and thread-safe. */
final class Repositories {
  static final String CONFIG_SECTION = "infrastate";
  static final String CONFIG_REMOTE = "remote";

  private Repositories() {}

  /**
   * Opens a repository: a {@code .git} directory, a bare repository, or a work tree holding {@code
   * .git}. Reads no environment variables.
   */
  static Repository open(Path dir) throws IOException {
    FileRepositoryBuilder b = new FileRepositoryBuilder().setMustExist(true);
    if (Files.exists(dir.resolve(Constants.DOT_GIT))) {
      b.setWorkTree(dir.toFile());
    } else {
      b.setGitDir(dir.toFile());
    }
    return b.build();
  }

  /**
   * Makes JGit fsync the object and ref files it writes into {@code repo}, by setting {@code
   * core.fsyncObjectFiles} and {@code core.fsyncRefFiles} in memory only: never saved to the
   * repository's config file.
   */
  static void fsyncWrites(Repository repo) {
    StoredConfig cfg = repo.getConfig();
    if (!cfg.getBoolean(ConfigConstants.CONFIG_CORE_SECTION, "fsyncObjectFiles", false)
        || !cfg.getBoolean(ConfigConstants.CONFIG_CORE_SECTION, "fsyncRefFiles", false)) {
      cfg.setBoolean(ConfigConstants.CONFIG_CORE_SECTION, null, "fsyncObjectFiles", true);
      cfg.setBoolean(ConfigConstants.CONFIG_CORE_SECTION, null, "fsyncRefFiles", true);
    }
  }

  /** The zlib level of the loose objects that writes store, unless the repository sets one. */
  static final int LOOSE_COMPRESSION = 3;

  /**
   * Makes JGit deflate the loose objects it writes into {@code repo} at {@link #LOOSE_COMPRESSION}
   * instead of zlib's default (6), unless the repository's config sets {@code core.compression};
   * packs (a gc's, a push's) keep their level ({@code pack.compression}, else the default). Set in
   * memory only, never saved to the repository's config file: JGit has no per-inserter level.
   */
  static void compressLooseObjectsFast(Repository repo) {
    StoredConfig cfg = repo.getConfig();
    if (cfg.getString(ConfigConstants.CONFIG_CORE_SECTION, null, ConfigConstants.CONFIG_KEY_COMPRESSION) == null) {
      int pack = cfg.getInt(ConfigConstants.CONFIG_PACK_SECTION, null, ConfigConstants.CONFIG_KEY_COMPRESSION,
          java.util.zip.Deflater.DEFAULT_COMPRESSION);
      cfg.setInt(ConfigConstants.CONFIG_PACK_SECTION, null, ConfigConstants.CONFIG_KEY_COMPRESSION, pack);
      cfg.setInt(ConfigConstants.CONFIG_CORE_SECTION, null, ConfigConstants.CONFIG_KEY_COMPRESSION, LOOSE_COMPRESSION);
    }
  }

  /**
   * Creates a bare repository at {@code dir} atomically: it is initialised in a temporary sibling
   * directory and renamed into place, so that two processes creating it at once both end up with
   * one complete repository.
   *
   * @param remoteKey the remote this is a clone of (recorded in its config), or null
   * @param branch the branch HEAD points at, so that {@code git clone} checks it out
   */
  static void createBare(Path dir, String remoteKey, String branch) throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".init-");
    try {
      try (Repository r = new FileRepositoryBuilder().setGitDir(tmp.toFile()).setBare().build()) {
        r.create(true);
        RefUpdate head = r.updateRef(Constants.HEAD);
        head.disableRefLog();
        head.link(Constants.R_HEADS + branch);
        if (remoteKey != null) {
          StoredConfig c = r.getConfig();
          c.setString(CONFIG_SECTION, null, CONFIG_REMOTE, remoteKey);
          // The clone is the backend's own cache: its automatic gc runs in the foreground, and packs
          // it replaces are deleted at once (with the default one-hour grace, a clone that fetches
          // often would gc again on every fetch while the replaced packs wait to expire).
          c.setBoolean(ConfigConstants.CONFIG_GC_SECTION, null, ConfigConstants.CONFIG_KEY_AUTODETACH, false);
          c.setString(ConfigConstants.CONFIG_GC_SECTION, null, ConfigConstants.CONFIG_KEY_PRUNEPACKEXPIRE, "now");
          c.save();
        }
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileSystemException e) {
        // Another process created it first (the rename found a non-empty directory): use theirs.
        if (!Files.isDirectory(target.resolve("objects"))) {
          throw e;
        }
      }
    } finally {
      if (Files.exists(tmp)) {
        FileUtils.delete(tmp.toFile(), FileUtils.RECURSIVE);
      }
    }
  }
}
