package io.infrastate.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.util.Paths;

/**
 * Writes a new tree that equals a base tree except for one file. Only the trees along the path are
 * read and rewritten (depth times entries per level), so the cost does not grow with the size of
 * the repository, and every other entry is kept bit for bit.
 *
 * <p>Stateless and thread-safe.
 */
final class TreeEdit {
  private TreeEdit() {}

  /** A path component is a file, or the target is a directory: the edit cannot be made. */
  static final class PathConflictException extends Exception {
    private static final long serialVersionUID = 1L;

    PathConflictException(String message) {
      super(message);
    }
  }

  private record Entry(byte[] name, int mode, ObjectId id) {}

  /**
   * Returns the id of a tree equal to {@code base} (or empty when null) with {@code segments}
   * pointing at {@code blob} as a regular file.
   */
  static ObjectId put(ObjectReader reader, ObjectInserter ins, AnyObjectId base, List<String> segments, AnyObjectId blob)
      throws IOException, PathConflictException {
    return put(reader, ins, base, segments, 0, blob);
  }

  private static ObjectId put(
      ObjectReader reader, ObjectInserter ins, AnyObjectId tree, List<String> segments, int level, AnyObjectId blob)
      throws IOException, PathConflictException {
    List<Entry> entries = tree == null ? new ArrayList<>() : read(reader, tree);
    byte[] name = segments.get(level).getBytes(StandardCharsets.UTF_8);
    boolean leaf = level == segments.size() - 1;
    int at = -1;
    for (int i = 0; i < entries.size(); i++) {
      if (Arrays.equals(entries.get(i).name(), name)) {
        at = i;
        break;
      }
    }
    Entry existing = at < 0 ? null : entries.get(at);
    Entry replacement;
    String shown = String.join("/", segments.subList(0, level + 1));
    if (leaf) {
      if (existing != null && FileMode.TREE.equals(existing.mode())) {
        throw new PathConflictException("'" + shown + "' is a directory, not a file");
      }
      replacement = new Entry(name, FileMode.REGULAR_FILE.getBits(), blob.toObjectId());
    } else {
      ObjectId sub = null;
      if (existing != null) {
        if (!FileMode.TREE.equals(existing.mode())) {
          throw new PathConflictException("'" + shown + "' is a file, not a directory");
        }
        sub = existing.id();
      }
      replacement = new Entry(name, FileMode.TREE.getBits(), put(reader, ins, sub, segments, level + 1, blob));
    }
    if (at >= 0) {
      entries.set(at, replacement);
    } else {
      int pos = 0;
      while (pos < entries.size() && compare(entries.get(pos), replacement) < 0) {
        pos++;
      }
      entries.add(pos, replacement);
    }
    TreeFormatter fmt = new TreeFormatter();
    for (Entry e : entries) {
      fmt.append(e.name(), FileMode.fromBits(e.mode()), e.id());
    }
    return ins.insert(fmt);
  }

  private static List<Entry> read(ObjectReader reader, AnyObjectId tree) throws IOException {
    List<Entry> entries = new ArrayList<>();
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, tree);
    while (!p.eof()) {
      byte[] name = new byte[p.getNameLength()];
      p.getName(name, 0);
      entries.add(new Entry(name, p.getEntryRawMode(), p.getEntryObjectId()));
      p.next(1);
    }
    return entries;
  }

  private static int compare(Entry a, Entry b) {
    return Paths.compare(a.name(), 0, a.name().length, a.mode(), b.name(), 0, b.name().length, b.mode());
  }
}
