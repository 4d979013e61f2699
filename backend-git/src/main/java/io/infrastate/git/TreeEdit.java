package io.infrastate.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.util.Paths;

/**
 * Writes a new tree that equals a base tree except for one file ({@link #put}) or a set of paths
 * ({@link #apply}). Only the trees along the path are
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

  /**
   * Returns the id of a tree equal to {@code base} (or empty when null) with every path of {@code
   * edits} set: to a regular file with that blob, or removed where the blob is null (a directory
   * too, with all it holds). Directories left empty are removed. Only the trees along the edited
   * paths are read and rewritten.
   */
  static ObjectId apply(ObjectReader reader, ObjectInserter ins, AnyObjectId base, Map<String, ObjectId> edits)
      throws IOException, PathConflictException {
    ObjectId tree = apply(reader, ins, base, edits, "");
    return tree != null ? tree : ins.insert(new TreeFormatter());
  }

  private static ObjectId apply(
      ObjectReader reader, ObjectInserter ins, AnyObjectId tree, Map<String, ObjectId> edits, String prefix)
      throws IOException, PathConflictException {
    List<Entry> entries = tree == null ? new ArrayList<>() : read(reader, tree);
    Map<String, Integer> at = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      at.put(new String(entries.get(i).name(), StandardCharsets.UTF_8), i);
    }
    Map<String, ObjectId> leaves = new TreeMap<>();
    Map<String, Map<String, ObjectId>> dirs = new TreeMap<>();
    for (Map.Entry<String, ObjectId> e : edits.entrySet()) {
      String path = e.getKey();
      int slash = path.indexOf('/');
      if (slash < 0) {
        leaves.put(path, e.getValue());
      } else {
        dirs.computeIfAbsent(path.substring(0, slash), k -> new HashMap<>()).put(path.substring(slash + 1), e.getValue());
      }
    }
    Entry[] slots = entries.toArray(new Entry[0]);
    List<Entry> added = new ArrayList<>();
    for (Map.Entry<String, ObjectId> e : leaves.entrySet()) {
      Integer i = at.get(e.getKey());
      if (e.getValue() == null) {
        if (i != null) {
          slots[i] = null;
        }
        continue;
      }
      if (i != null && FileMode.TREE.equals(slots[i].mode())) {
        throw new PathConflictException("'" + prefix + e.getKey() + "' is a directory, not a file");
      }
      Entry file = new Entry(e.getKey().getBytes(StandardCharsets.UTF_8), FileMode.REGULAR_FILE.getBits(), e.getValue());
      if (i != null) {
        slots[i] = file;
      } else {
        added.add(file);
      }
    }
    for (Map.Entry<String, Map<String, ObjectId>> e : dirs.entrySet()) {
      if (leaves.containsKey(e.getKey())) {
        continue;
      }
      Integer i = at.get(e.getKey());
      ObjectId sub = null;
      if (i != null) {
        if (!FileMode.TREE.equals(slots[i].mode())) {
          throw new PathConflictException("'" + prefix + e.getKey() + "' is a file, not a directory");
        }
        sub = slots[i].id();
      }
      ObjectId edited = apply(reader, ins, sub, e.getValue(), prefix + e.getKey() + "/");
      Entry dir = edited == null ? null : new Entry(e.getKey().getBytes(StandardCharsets.UTF_8), FileMode.TREE.getBits(), edited);
      if (i != null) {
        slots[i] = dir;
      } else if (dir != null) {
        added.add(dir);
      }
    }
    List<Entry> out = new ArrayList<>(slots.length + added.size());
    for (Entry e : slots) {
      if (e != null) {
        out.add(e);
      }
    }
    if (!added.isEmpty()) {
      out.addAll(added);
      out.sort(TreeEdit::compare);
    }
    if (out.isEmpty()) {
      return null;
    }
    TreeFormatter fmt = new TreeFormatter(out.size() * 60);
    for (Entry e : out) {
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
