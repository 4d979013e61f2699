package io.infrastate.git;

import java.io.IOException;
import java.text.ParseException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.pack.PackConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code git gc --auto} of one {@link RefStore}'s repository: every {@value
 * #MAINTENANCE_INTERVAL} writes and fetches, lets JGit decide whether the repository needs a gc, as
 * {@code git commit} runs {@code git gc --auto}: when loose objects exceed {@code gc.auto} (6700)
 * or packs exceed {@code gc.autoPackLimit} (50).
 *
 * <h2>Where it runs</h2>
 *
 * Local mode follows the repository's own settings ({@code gc.auto=0} turns it off; {@code
 * gc.autoDetach}, true by default, runs it on a daemon thread of this store, one at a time, which
 * {@link #close()} waits for); a clone runs it in the foreground. A gc never runs while a fetch into
 * the same directory is under way ({@link PackGuard}). A failed gc is logged and never fails the
 * write that triggered it.
 *
 * <p>Thread-safe.
 */
final class AutoGc {
  private static final Logger LOG = LoggerFactory.getLogger(AutoGc.class);

  /** How many writes and fetches between two checks whether the repository needs a gc. */
  static final int MAINTENANCE_INTERVAL = 64;

  private final Repository repo;
  /** Keeps a gc of a clone apart from fetches into it; null in local mode. */
  private final PackGuard packs;
  private final AtomicInteger sinceMaintenance = new AtomicInteger();

  /** The gc started in the background (local mode, {@code gc.autoDetach}); guarded by this. */
  private Thread backgroundGc;

  /** Set by {@link #close()}; guarded by this. No background gc starts once it is set. */
  private boolean closed;

  AutoGc(Repository repo, PackGuard packs) {
    this.repo = repo;
    this.packs = packs;
  }

  /** Counts a write or fetch and, every {@value #MAINTENANCE_INTERVAL}, checks whether a gc is due. */
  void afterOperation() {
    if (sinceMaintenance.incrementAndGet() < MAINTENANCE_INTERVAL) {
      return;
    }
    if (packs == null) {
      // Local mode fetches nothing, and the repository is the user's: no guard file in it.
      sinceMaintenance.set(0);
      if (repo.getConfig().getBoolean(ConfigConstants.CONFIG_GC_SECTION, ConfigConstants.CONFIG_KEY_AUTODETACH, true)) {
        startBackgroundGc();
      } else {
        autoGc();
      }
      return;
    }
    boolean ran = packs.tryExclusive(this::autoGc);
    // Busy with a fetch, here or in another process: check again on the next operation.
    sinceMaintenance.set(ran ? 0 : MAINTENANCE_INTERVAL - 1);
  }

  /**
   * Runs {@code gc --auto} in the calling thread, as {@link Repository#autoGC} sets it up (JGit's
   * {@code GC}, automatic, the repository's pack settings) but never detached: {@code autoGC}
   * hands the gc to JGit's own executor when {@code gc.autoDetach} is set, where it outlives
   * {@link #close()} and keeps writing ({@code gc.log.lock}, packs) into a repository its user
   * believes released, and, in a clone, escapes the {@link PackGuard} section it was started in.
   * ({@code GarbageCollectCommand} has no automatic mode.)
   */
  private void autoGc() {
    try {
      GC gc = new GC((FileRepository) repo);
      gc.setPackConfig(new PackConfig(repo));
      gc.setProgressMonitor(NullProgressMonitor.INSTANCE);
      gc.setAuto(true);
      gc.gc().get(); // not detached: already done
    } catch (IOException | ParseException | GitAPIException | ExecutionException | InterruptedException
        | RuntimeException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.warn("Automatic gc of {} failed; writes go on, run `git gc` there when convenient: {}",
          repo.getDirectory(), e.toString());
    }
  }

  /** Starts a gc on a daemon thread unless one still runs or this is closed. */
  private synchronized void startBackgroundGc() {
    if (closed || (backgroundGc != null && backgroundGc.isAlive())) {
      return;
    }
    Thread t = new Thread(this::autoGc, "infrastate-git-gc " + repo.getDirectory().getName());
    t.setDaemon(true);
    backgroundGc = t;
    t.start();
  }

  /**
   * Starts no more gc and waits for the one running in the background, if any: once this returns,
   * nothing is written into the repository on this store's behalf.
   */
  void close() {
    Thread gc;
    synchronized (this) {
      closed = true;
      gc = backgroundGc;
    }
    if (gc == null) {
      return;
    }
    boolean interrupted = false;
    while (gc.isAlive()) {
      try {
        gc.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
