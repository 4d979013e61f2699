package io.infrastate.git;

import java.io.IOException;
import java.util.Objects;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;
import org.eclipse.jgit.treewalk.filter.AndTreeFilter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilterGroup;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * The commits of a branch that made a version of the state, for a walk through its history ({@link
 * BranchFile#fileHistory}): those that changed the state file or, where the state is in the tree
 * layout, any of its files ({@code metadata.json}, an entry under {@code hosts/} or {@code
 * resources/}), as {@code git log -- PATH metadata.json hosts resources} lists them, less those that
 * changed only files beside the state.
 *
 * <h2>Why a second filter</h2>
 *
 * The path filter alone would take a commit to a {@code hosts} directory beside a single-file state
 * (an Ansible inventory) for a version. So each commit the path filter lets through is kept only if
 * what makes up its version differs from that of every parent: the state file's entry (its id and
 * type, whatever it holds, so that a commit that damaged or deleted it counts), and, when that
 * entry is the tree layout's marker, the entries of {@code metadata.json}, {@code hosts} and {@code
 * resources}. A person's commit that edited only an entry file is then a version, and a commit to
 * other files is not, in either layout. The comparison reads the trees of the commit and its
 * parents only, so a walk costs a few tree reads per commit it looks at.
 *
 * <p>Stateless: one instance serves any walk of its {@link BranchFile}.
 */
final class VersionCommits extends RevFilter {
  private final TreeLayout tree;
  private final String fileName;

  VersionCommits(BranchFile file) {
    this.tree = file.tree;
    this.fileName = file.segments.get(file.segments.size() - 1);
  }

  /** The tree filter of the walk: the state file and the tree layout's files beside it, changed. */
  TreeFilter paths(String path) {
    return AndTreeFilter.create(PathFilterGroup.createFromStrings(path, tree.dir + TreeLayout.METADATA,
        tree.dir + TreeLayout.HOSTS, tree.dir + TreeLayout.RESOURCES), TreeFilter.ANY_DIFF);
  }

  @Override
  public boolean include(RevWalk walker, RevCommit c) throws IOException {
    ObjectReader reader = walker.getObjectReader();
    String mine = version(reader, c.getTree());
    if (c.getParentCount() == 0) {
      return mine != null;
    }
    for (RevCommit p : c.getParents()) {
      walker.parseHeaders(p);
      if (Objects.equals(mine, version(reader, p.getTree()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * What makes up the version in a root tree, as raw entries (mode and id), or null where the state
   * file is absent.
   */
  private String version(ObjectReader reader, AnyObjectId root) throws IOException {
    AnyObjectId dir = root;
    if (!tree.dir.isEmpty()) {
      try (TreeWalk tw = TreeWalk.forPath(reader, tree.dir.substring(0, tree.dir.length() - 1), root)) {
        if (tw == null) {
          return null;
        }
        if (!FileMode.TREE.equals(tw.getRawMode(0))) {
          return "not a directory " + tw.getObjectId(0).name();
        }
        dir = tw.getObjectId(0);
      }
    }
    String file = null;
    boolean marker = false;
    StringBuilder layout = new StringBuilder();
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, dir);
    for (; !p.eof(); p.next(1)) {
      String name = p.getEntryPathString();
      String entry = Integer.toOctalString(p.getEntryRawMode()) + " " + p.getEntryObjectId().name();
      if (name.equals(fileName)) {
        file = entry;
        marker = TreeLayout.MARKER_ID.equals(p.getEntryObjectId());
      } else if (name.equals(TreeLayout.METADATA) || name.equals(TreeLayout.HOSTS) || name.equals(TreeLayout.RESOURCES)) {
        layout.append(' ').append(name).append(' ').append(entry);
      }
    }
    if (file == null || !marker) {
      return file;
    }
    return file + layout;
  }

  @Override
  public RevFilter clone() {
    return this;
  }

  @Override
  public boolean requiresCommitBody() {
    return false;
  }

  @Override
  public String toString() {
    return "VERSION_CHANGED";
  }
}
