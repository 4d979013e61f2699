package io.infrastate.git;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevFlag;
import org.eclipse.jgit.revwalk.RevWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A walk through a branch's history in a shallow clone that fetches older history when it reaches
 * the clone's boundary, so that every walk sees the history the remote has, as in a full clone.
 *
 * <p>Callers use it as any {@link RevWalk} (filters, {@code markStart}, iteration). Not thread-safe.
 */
final class ShallowWalk extends RevWalk {
  /*
   * Design notes: how a walk stays exactly what it would be in a full clone.
   *
   * THE BOUNDARY. A clone fetches a branch's tip alone the first time (RefStore.readRemote), so its
   * oldest commits are "shallow": their parents were not fetched, the clone's shallow file lists
   * them, and JGit's walks treat them as root commits. A walk that took such a commit for a root
   * would conclude wrongly: that the commit added the state file (so a person's commit at the
   * boundary would count as the first version), that the history ends there, that no earlier
   * version holds a serial, that a file was never deleted.
   *
   * WHEN IT DEEPENS. Before handing out a commit, the walk checks whether it has reached a boundary
   * commit: the commit it hands out, or any commit it has queued (JGit queues a commit when it
   * processes its child, so a boundary queued is one the walk is about to treat as a root), or, at
   * its end, any it has queued at all. A boundary is a commit the walk sees without parents whose
   * raw text names parents: that test reads the commit itself, not the shallow file, so it holds
   * whatever another process does to that file meanwhile. Then it fetches more history of the
   * branch (RefStore.deepen) and starts over, skipping the commits it has handed out already (they
   * were read with their real parents, so they stand). A walk that a caller ends early has deepened
   * only as far as it went.
   *
   * HOW DEEP. Git counts depth from the remote's tip. The first deepening asks for twice the
   * distance from the branch's tip to the boundary, at least MIN_DEPTH commits: a caller that wants
   * the last N versions pays a fetch of about 2N commits, and one that walks the whole history pays
   * log2(length) round trips and at most twice the history. Asking for less than that distance
   * would mark commits the clone has complete as boundaries (harmless, only more round trips). A
   * deepening that did not move the boundary (the remote's tip moved far ahead meanwhile) is
   * followed by one for all history; if even that leaves the commit a boundary, the remote itself
   * has nothing older (it is shallow), and the walk takes the commit for the root it is there.
   *
   * WALKS THAT NEED NO DEEPENING. LostPush.reaches walks from the remote's new tip looking for a
   * commit this clone just built on its own fetched tip: that commit and every commit between it
   * and the new tip are in the clone (fetched without a depth), and the boundary is older than it,
   * so a plain walk finds it or rightly does not. The write lease gate reads one lease commit.
   */
  private static final Logger LOG = LoggerFactory.getLogger(ShallowWalk.class);

  /** The least depth a deepening asks for. */
  static final int MIN_DEPTH = 32;

  private final RefStore store;
  private final String ref;
  private final String trackingRef;
  private final String context;

  /** Every commit object of the current pass, in the order JGit created them. */
  private final List<RevCommit> created = new ArrayList<>();
  /** The commits the caller marked as starts, to mark them again after a deepening. */
  private final List<ObjectId> starts = new ArrayList<>();
  /** The commits handed out so far, across passes. */
  private final Set<ObjectId> handedOut = new HashSet<>();
  /** Boundary commits the remote cannot deepen: roots for this walk. */
  private final Set<ObjectId> roots = new HashSet<>();
  /** The commits of this pass that JGit may treat as roots; null until the pass's first step. */
  private List<RevCommit> candidates;
  /** The depth the last deepening asked for; 0 before the first. */
  private int lastDepth;

  /**
   * @param ref the branch ref on the remote
   * @param trackingRef the clone's record of its tip
   * @param context what is read, for messages
   */
  ShallowWalk(RefStore store, String ref, String trackingRef, String context) {
    super(store.repo);
    this.store = store;
    this.ref = ref;
    this.trackingRef = trackingRef;
    this.context = context;
  }

  @Override
  protected RevCommit createCommit(AnyObjectId id) {
    RevCommit c = super.createCommit(id);
    created.add(c);
    return c;
  }

  @Override
  protected RevCommit createCommit(AnyObjectId id, int graphPosition) {
    RevCommit c = super.createCommit(id, graphPosition);
    created.add(c);
    return c;
  }

  @Override
  public void markStart(RevCommit c) throws IOException {
    super.markStart(c);
    starts.add(c.copy());
  }

  @Override
  public RevCommit next() throws IOException {
    for (;;) {
      if (candidates == null) {
        candidates = rootLike();
      }
      RevCommit c = super.next();
      RevCommit boundary = c != null && isBoundary(c) ? c : queuedBoundary();
      if (boundary == null) {
        if (c == null || handedOut.add(c.copy())) {
          return c;
        }
        continue; // handed out before the last deepening
      }
      deepen(boundary);
    }
  }

  /**
   * The commits of this pass without parents so far: the start commits that are roots, and the
   * clone's shallow commits, which JGit marks before it parses them. Commits parsed later without
   * parents are roots in the branch itself, not boundaries.
   */
  private List<RevCommit> rootLike() {
    List<RevCommit> out = new ArrayList<>();
    for (RevCommit c : created) {
      RevCommit[] parents = c.getParents();
      if (parents != null && parents.length == 0) {
        out.add(c);
      }
    }
    return out;
  }

  private RevCommit queuedBoundary() throws IOException {
    for (RevCommit c : candidates) {
      if (c.has(RevFlag.SEEN) && isBoundary(c)) {
        return c;
      }
    }
    return null;
  }

  /** Whether the walk sees {@code c} without parents although it has some. */
  private boolean isBoundary(RevCommit c) throws IOException {
    if (c.getParentCount() != 0 || roots.contains(c)) {
      return false;
    }
    byte[] raw = c.getRawBuffer();
    if (raw == null) {
      return store.shallowCommits().contains(c);
    }
    // "tree <40 hex>\n" then "parent <40 hex>\n" for each parent
    int at = 46;
    return raw.length > at + 7 && new String(raw, at, 7, java.nio.charset.StandardCharsets.US_ASCII).equals("parent ");
  }

  /** Fetches history beyond {@code boundary} and starts this walk over. */
  private void deepen(RevCommit boundary) throws IOException {
    ObjectId stuck = boundary.copy();
    int depth;
    if (lastDepth == RefStore.FULL_DEPTH) {
      depth = RefStore.FULL_DEPTH;
    } else {
      long wanted = Math.max(MIN_DEPTH, 2L * Math.max(distanceFromTip(stuck), lastDepth));
      depth = wanted >= (1 << 24) ? RefStore.FULL_DEPTH : (int) wanted;
    }
    boolean exists = store.deepen(ref, trackingRef, depth, context);
    if (!exists || store.shallowCommits().contains(stuck)) {
      if (depth == RefStore.FULL_DEPTH) {
        LOG.debug("{}: the remote has no history before {}; taking it as a root", context, stuck.name());
        roots.add(stuck);
      }
      lastDepth = RefStore.FULL_DEPTH;
    } else {
      lastDepth = depth;
    }
    restart();
  }

  /** How many commits the clone has from the branch's tip down to {@code boundary}. */
  private int distanceFromTip(ObjectId boundary) throws IOException {
    Ref tip = store.repo.exactRef(trackingRef);
    if (tip == null || tip.getObjectId() == null) {
      return 0;
    }
    try (RevWalk w = new RevWalk(store.repo)) {
      w.setRetainBody(false);
      w.markStart(w.parseCommit(tip.getObjectId()));
      int n = 0;
      for (RevCommit c : w) {
        n++;
        if (c.equals(boundary)) {
          return n;
        }
      }
      return n;
    }
  }

  /** A new pass from the same starts, with what the deepening fetched. */
  private void restart() throws IOException {
    dispose(); // forgets every parsed commit, and re-reads the shallow file on the next parse
    created.clear();
    candidates = null;
    for (ObjectId id : starts) {
      super.markStart(parseCommit(id));
    }
  }
}
