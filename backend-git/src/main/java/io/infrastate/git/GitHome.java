package io.infrastate.git;

import io.infrastate.StateStore;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StateHome;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * The workspaces of a Git state, one branch each, and the locks beside each. The default workspace
 * is the branch and path the URI names ({@code #main:state.json}); workspace NAME is the same path
 * on the branch {@code BRANCH.workspaces/NAME} ({@code main.workspaces/staging}) of the same
 * repository, and its locks are the refs under {@code refs/infrastate/workspaces/NAME/locks/}
 * (the default workspace's stay under {@code refs/infrastate/locks/}).
 *
 * <p>Why branches, not paths: a workspace's writes are commits on its own branch, so writers of two
 * workspaces never conflict with or wait for each other; each workspace's history is {@code git log
 * BRANCH}; a hosting service's branch protection can guard one workspace (prod) and not another.
 * The cost is that one checkout shows one workspace, and deleting a workspace deletes its branch:
 * its commits are no longer reachable from a branch, which is why the deletion is recorded in the
 * default workspace's history.
 *
 * <p>Instances are thread-safe. The home opens the repository (or its clone) once, for listing
 * and deleting; closing the home closes it.
 */
final class GitHome implements StateHome {
  /** The namespace of the workspaces' lock refs. */
  static final String LOCKS_PREFIX = "refs/infrastate/workspaces/";

  private final URI uri;
  private final GitUris.Parsed parsed;
  private GitLockProvider refs;

  GitHome(URI uri, GitUris.Parsed parsed) {
    this.uri = uri;
    this.parsed = parsed;
  }

  /** The branch of a workspace: {@code BRANCH.workspaces/NAME}. */
  private String branch(String workspace) {
    return DEFAULT.equals(workspace) ? parsed.branch() : parsed.branch() + ".workspaces/" + workspace;
  }

  private String branchesPrefix() {
    return "refs/heads/" + parsed.branch() + ".workspaces/";
  }

  private static String lockPrefix(String workspace) {
    return LOCKS_PREFIX + workspace + "/locks/";
  }

  @Override
  public URI uri(String workspace) {
    if (DEFAULT.equals(workspace)) {
      return uri;
    }
    String raw = uri.toString();
    int hash = raw.indexOf('#');
    return URI.create((hash < 0 ? raw : raw.substring(0, hash)) + "#" + branch(workspace) + ":" + parsed.path());
  }

  @Override
  public Backend open(String workspace) {
    return parsed.onBranch(branch(workspace)).backend().build();
  }

  @Override
  public LockProvider locks(String workspace, LockOptions options) {
    GitLockProvider.Builder b = parsed.locks().options(options);
    if (!DEFAULT.equals(workspace)) {
      b.refPrefix(lockPrefix(workspace));
    }
    return b.build();
  }

  private synchronized RefStore store() {
    if (refs == null) {
      refs = parsed.locks().build();
    }
    return refs.store;
  }

  @Override
  public List<String> workspaces() {
    RefStore store = store();
    String prefix = branchesPrefix();
    List<String> names = new ArrayList<>();
    try {
      for (String ref : store.refNames(prefix)) {
        String name = ref.substring(prefix.length());
        if (StateStore.isValidName(name) && !name.equals(DEFAULT)
            && store.read(ref, true, null, "workspace '" + name + "'", id -> id != null && holdsState(store, id))) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw store.failure("list the workspaces under " + prefix, e);
    }
    return List.copyOf(names);
  }

  private boolean holdsState(RefStore store, ObjectId id) throws IOException {
    try (RevWalk rw = new RevWalk(store.repo)) {
      RevCommit c = rw.parseCommit(id);
      try (TreeWalk tw = TreeWalk.forPath(store.repo, parsed.path(), c.getTree())) {
        return tw != null;
      }
    }
  }

  @Override
  public void remove(String workspace) {
    RefStore store = store();
    String ref = "refs/heads/" + branch(workspace);
    try {
      deleteRef(store, ref, "workspace '" + workspace + "'");
      if (store.isRemote()) {
        RefUpdate ru = store.repo.updateRef("refs/remotes/origin/" + branch(workspace));
        ru.setForceUpdate(true);
        ru.delete();
      }
      for (String lock : store.refNames(lockPrefix(workspace))) {
        deleteRef(store, lock, "lock ref " + lock + " of workspace '" + workspace + "'");
      }
    } catch (IOException e) {
      throw store.failure("delete workspace '" + workspace + "' (" + ref + ")", e);
    }
  }

  private static void deleteRef(RefStore store, String ref, String what) throws IOException {
    for (int attempt = 0; attempt < 10; attempt++) {
      ObjectId current = store.read(ref, false, null, what, id -> id);
      if (current == null || store.compareAndSet(ref, current, null, null, "infrastate: delete " + what, null, what)) {
        return;
      }
    }
    throw new IOException(ref + " kept moving while it was being deleted; retry");
  }

  @Override
  public synchronized void close() {
    if (refs != null) {
      refs.close();
      refs = null;
    }
  }
}
