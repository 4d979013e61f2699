package io.infrastate.git;

import io.infrastate.codec.StateCodec;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.PersistentMap;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.Change;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * The tree layout ({@link GitLayout#TREE}) of a state in a commit, behind {@link BranchFile}: one
 * file per entry, read and written so that the work follows what changed.
 *
 * <h2>The files</h2>
 *
 * Beside the configured path (in the same directory DIR):
 *
 * <pre>
 * DIR/state.json                   a constant marker: {"metadata": {"version": "2.0"}, ...}
 * DIR/metadata.json                the codec's document with the metadata and no entries
 * DIR/hosts/FANOUT/NAME.json       one host:     {"NAME": {...}} as the codec writes it in state.json
 * DIR/resources/FANOUT/KEY.json    one resource: {"KEY": {...}}
 * </pre>
 *
 * File names are {@link EntryNames}. The marker tells a reader the layout; it makes a reader
 * that knows only the single-file layout fail with an unsupported format version instead of
 * seeing an empty state. Each entry file holds the entry's member of {@code hosts} or {@code
 * resources} exactly as the codec writes it in the single file (one level less indented), so the
 * codec reads and writes both layouts and there is one JSON format. An entry file must sit at the
 * path its name gives, so that every state has one tree.
 *
 * <h2>Identity</h2>
 *
 * A version's identity (what {@link GitVersion#blobId} holds) is the id of a tree made of the
 * three entries {@code metadata.json}, {@code hosts} and {@code resources}: computed, never
 * written. It changes exactly when one of the files changes, and never when files beside them do.
 *
 * <h2>Loading reuses what did not change</h2>
 *
 * The last decoded version is kept with the ids of its fan-out trees and entry blobs. Decoding
 * another version compares fan-out tree ids and, in the fan-outs that differ, blob ids: only entries
 * whose blob changed are read and decoded, and the snapshot is derived from the kept one. A save
 * that built on the kept version advances it by the entries it wrote. Any decoded version is a
 * valid base, as the comparison is by content id, so a stale base costs work, never correctness.
 *
 * <p>Not thread-safe: {@link GitBackend} calls it under its own lock.
 */
final class TreeLayout {
  /** The content of the configured path in the tree layout. */
  static final byte[] MARKER = ("{\n  \"metadata\": {\n    \"version\": \"2.0\"\n  },\n  \"layout\": \"tree: the state"
      + " is in metadata.json, hosts/ and resources/ beside this file; read it with infrastate 2 or later\"\n}\n")
      .getBytes(StandardCharsets.UTF_8);
  /** The marker's blob id. */
  static final ObjectId MARKER_ID = new ObjectInserter.Formatter().idFor(Constants.OBJ_BLOB, MARKER);
  static final String METADATA = "metadata.json";
  static final String HOSTS = "hosts";
  static final String RESOURCES = "resources";
  /** The largest entry or metadata file read. */
  static final long MAX_FILE = 64L * 1024 * 1024;

  private static final Metadata WRAPPER_META = new Metadata(Metadata.FORMAT_VERSION, 0, "",
      java.time.Instant.EPOCH, java.time.Instant.EPOCH);
  private static final byte[] WRAP_START = "{\"metadata\":{\"version\":\"1.0\",\"created_at\":\"1970-01-01T00:00:00Z\","
      .concat("\"updated_at\":\"1970-01-01T00:00:00Z\",\"serial\":0},").getBytes(StandardCharsets.UTF_8);

  /** The directory of the layout, empty or ending in {@code /}. */
  final String dir;
  /** The marker's path, the configured path. */
  final String markerPath;
  private Loaded loaded;
  /** How many entry files this layout decoded so far (what the reuse of unchanged entries saves). */
  long entriesDecoded;

  /** The three parts of a version in a commit; null where absent. */
  record Roots(ObjectId metadata, ObjectId hosts, ObjectId resources) {
    /** The version's identity: the id of the tree of these three, computed, not written. */
    ObjectId contentId() {
      TreeFormatter f = new TreeFormatter();
      if (hosts != null) {
        f.append(HOSTS, FileMode.TREE, hosts);
      }
      if (metadata != null) {
        f.append(METADATA, FileMode.REGULAR_FILE, metadata);
      }
      if (resources != null) {
        f.append(RESOURCES, FileMode.TREE, resources);
      }
      return f.computeId(new ObjectInserter.Formatter());
    }
  }

  private record Ref(ObjectId blob, String key) {}

  /** A section's fan-out tree ids and, per fan-out, its files. */
  private record Index(Map<String, ObjectId> fanTrees, Map<String, Map<String, Ref>> files) {
    static final Index EMPTY = new Index(Map.of(), Map.of());
  }

  private record Loaded(ObjectId contentId, Snapshot snapshot, Index hosts, Index resources) {}

  /** An entry file's decoding: the file's path and bytes to the entry and its key. */
  @FunctionalInterface
  private interface EntryDecoder<V> {
    Map<String, V> decode(byte[] content, String source);
  }

  TreeLayout(String path) {
    int slash = path.lastIndexOf('/');
    this.dir = slash < 0 ? "" : path.substring(0, slash + 1);
    this.markerPath = path;
  }

  // ---------------------------------------------------------------- reading

  /** The three parts in a root tree; damage if the layout's directory or a part has the wrong type. */
  Roots rootsIn(ObjectReader reader, AnyObjectId rootTree, String source) throws IOException {
    AnyObjectId tree = rootTree;
    if (!dir.isEmpty()) {
      try (TreeWalk tw = TreeWalk.forPath(reader, dir.substring(0, dir.length() - 1), rootTree)) {
        if (tw == null || !FileMode.TREE.equals(tw.getRawMode(0))) {
          throw damage(source, "the directory " + dir + " of the tree layout is missing");
        }
        tree = tw.getObjectId(0);
      }
    }
    ObjectId meta = null;
    ObjectId hosts = null;
    ObjectId resources = null;
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, tree);
    for (; !p.eof(); p.next(1)) {
      String name = p.getEntryPathString();
      int mode = p.getEntryRawMode();
      switch (name) {
        case METADATA -> {
          requireMode(mode, FileMode.TYPE_FILE, dir + name, "a regular file", source);
          meta = p.getEntryObjectId();
        }
        case HOSTS -> {
          requireMode(mode, FileMode.TYPE_TREE, dir + name, "a directory", source);
          hosts = p.getEntryObjectId();
        }
        case RESOURCES -> {
          requireMode(mode, FileMode.TYPE_TREE, dir + name, "a directory", source);
          resources = p.getEntryObjectId();
        }
        default -> {
          // files beside the layout are not part of the state
        }
      }
    }
    if (meta == null) {
      throw damage(source, dir + METADATA + " is missing beside the tree layout's marker " + markerPath);
    }
    return new Roots(meta, hosts, resources);
  }

  /**
   * The first of {@code metadata.json}, {@code hosts} and {@code resources} that a root tree already
   * has in this layout's directory, or null: a new state in the tree layout must not take over
   * files that are not its own (an Ansible {@code hosts} directory).
   */
  String occupied(ObjectReader reader, AnyObjectId rootTree) throws IOException {
    for (String name : List.of(METADATA, HOSTS, RESOURCES)) {
      try (TreeWalk tw = TreeWalk.forPath(reader, dir + name, rootTree)) {
        if (tw != null) {
          return dir + name;
        }
      }
    }
    return null;
  }

  private void requireMode(int mode, int type, String path, String what, String source) {
    if ((mode & FileMode.TYPE_MASK) != type) {
      throw damage(source, path + " is not " + what);
    }
  }

  /** Decodes the version with these parts, reusing the entries of the last decoded version. */
  Snapshot decode(ObjectReader reader, Roots roots, String source, String hint) throws IOException {
    ObjectId id = roots.contentId();
    Loaded base = loaded;
    if (base != null && base.contentId().equals(id)) {
      return base.snapshot();
    }
    Snapshot metaDoc = StateCodec.decode(readBlob(reader, roots.metadata(), source, dir + METADATA), source + ", file "
        + dir + METADATA, hint);
    if (!metaDoc.hosts().isEmpty() || !metaDoc.resources().isEmpty()) {
      throw damage(source, dir + METADATA + " holds entries; they belong in " + dir + "hosts/ and " + dir + "resources/");
    }
    Metadata meta = metaDoc.metadata();
    Map<String, HostState> hostPuts = new LinkedHashMap<>();
    Set<String> hostRemoves = new HashSet<>();
    Index hosts = section(reader, roots.hosts(), base == null ? Index.EMPTY : base.hosts(), HOSTS, source, hint,
        (b, s) -> decodeEntry(b, s, hint, true).hosts(), hostPuts, hostRemoves);
    Map<String, ResourceState> resPuts = new LinkedHashMap<>();
    Set<String> resRemoves = new HashSet<>();
    Index resources = section(reader, roots.resources(), base == null ? Index.EMPTY : base.resources(), RESOURCES,
        source, hint, (b, s) -> decodeEntry(b, s, hint, false).resources(), resPuts, resRemoves);
    Snapshot s = base == null
        ? Snapshot.of(meta, hostPuts, resPuts)
        : derive(base.snapshot(), meta, hostPuts, hostRemoves, resPuts, resRemoves);
    loaded = new Loaded(id, s, hosts, resources);
    return s;
  }

  private <V> Index section(ObjectReader reader, ObjectId tree, Index old, String section, String source, String hint,
      EntryDecoder<V> decoder, Map<String, V> puts, Set<String> removes) throws IOException {
    Map<String, ObjectId> fans = tree == null ? Map.of() : entries(reader, tree, FileMode.TYPE_TREE, dir + section,
        "a fan-out directory", source);
    Map<String, Map<String, Ref>> files = new HashMap<>(old.files());
    for (Map.Entry<String, ObjectId> gone : old.fanTrees().entrySet()) {
      if (!fans.containsKey(gone.getKey())) {
        for (Ref r : old.files().get(gone.getKey()).values()) {
          removes.add(r.key());
        }
        files.remove(gone.getKey());
      }
    }
    for (Map.Entry<String, ObjectId> fan : fans.entrySet()) {
      if (fan.getValue().equals(old.fanTrees().get(fan.getKey()))) {
        continue;
      }
      String fanPath = dir + section + "/" + fan.getKey();
      Map<String, ObjectId> now = entries(reader, fan.getValue(), FileMode.TYPE_FILE, fanPath, "an entry file", source);
      Map<String, Ref> before = old.files().getOrDefault(fan.getKey(), Map.of());
      Map<String, Ref> next = new HashMap<>();
      for (Map.Entry<String, Ref> b : before.entrySet()) {
        if (!now.containsKey(b.getKey())) {
          removes.add(b.getValue().key());
        }
      }
      for (Map.Entry<String, ObjectId> f : now.entrySet()) {
        Ref was = before.get(f.getKey());
        if (was != null && was.blob().equals(f.getValue())) {
          next.put(f.getKey(), was);
          continue;
        }
        String path = fanPath + "/" + f.getKey();
        String where = source + ", file " + path;
        Map<String, V> one = decoder.decode(readBlob(reader, f.getValue(), source, path), where);
        entriesDecoded++;
        if (one.size() != 1) {
          throw damage(source, path + " holds " + one.size() + " entries; an entry file holds exactly one");
        }
        Map.Entry<String, V> e = one.entrySet().iterator().next();
        String expected = EntryNames.path(e.getKey());
        if (!expected.equals(fan.getKey() + "/" + f.getKey())) {
          throw damage(source, path + " holds the entry '" + e.getKey() + "', whose file is " + dir + section + "/"
              + expected + "; move it there (or rename the entry inside) in a commit");
        }
        if (was != null) {
          removes.add(was.key());
        }
        removes.remove(e.getKey());
        puts.put(e.getKey(), e.getValue());
        next.put(f.getKey(), new Ref(f.getValue(), e.getKey()));
      }
      files.put(fan.getKey(), next);
    }
    for (String k : puts.keySet()) {
      removes.remove(k);
    }
    return new Index(fans, files);
  }

  private static Snapshot derive(Snapshot base, Metadata meta, Map<String, HostState> hostPuts, Set<String> hostRemoves,
      Map<String, ResourceState> resPuts, Set<String> resRemoves) {
    PersistentMap<HostState> hosts = base.hostMap();
    for (String k : hostRemoves) {
      hosts = hosts.minus(k);
    }
    for (Map.Entry<String, HostState> e : hostPuts.entrySet()) {
      hosts = hosts.plus(e.getKey(), e.getValue());
    }
    PersistentMap<ResourceState> res = base.resourceMap();
    PersistentMap<PersistentMap<ResourceState>> byType = base.typeIndex();
    for (String k : resRemoves) {
      ResourceState was = res.get(k);
      if (was != null) {
        byType = unindex(byType, k, was);
        res = res.minus(k);
      }
    }
    for (Map.Entry<String, ResourceState> e : resPuts.entrySet()) {
      ResourceState was = res.get(e.getKey());
      if (was != null) {
        byType = unindex(byType, e.getKey(), was);
      }
      res = res.plus(e.getKey(), e.getValue());
      PersistentMap<ResourceState> ofType = byType.get(e.getValue().type());
      byType = byType.plus(e.getValue().type(),
          (ofType == null ? PersistentMap.<ResourceState>empty() : ofType).plus(e.getKey(), e.getValue()));
    }
    return base.derive(meta, hosts, res, byType);
  }

  private static PersistentMap<PersistentMap<ResourceState>> unindex(
      PersistentMap<PersistentMap<ResourceState>> byType, String key, ResourceState was) {
    PersistentMap<ResourceState> ofType = byType.get(was.type()).minus(key);
    return ofType.isEmpty() ? byType.minus(was.type()) : byType.plus(was.type(), ofType);
  }

  /** A tree's entries by name, all of one type; damage otherwise. */
  private Map<String, ObjectId> entries(ObjectReader reader, ObjectId tree, int type, String path, String what,
      String source) throws IOException {
    Map<String, ObjectId> out = new HashMap<>();
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, tree);
    for (; !p.eof(); p.next(1)) {
      String name = p.getEntryPathString();
      if ((p.getEntryRawMode() & FileMode.TYPE_MASK) != type) {
        throw damage(source, path + "/" + name + " is not " + what);
      }
      out.put(name, p.getEntryObjectId());
    }
    return out;
  }

  private byte[] readBlob(ObjectReader reader, ObjectId blob, String source, String path) throws IOException {
    ObjectLoader loader = reader.open(blob, Constants.OBJ_BLOB);
    if (loader.getSize() > MAX_FILE) {
      throw damage(source, path + " is " + loader.getSize() + " bytes, more than the " + MAX_FILE + " an entry may have");
    }
    try (InputStream in = loader.openStream()) {
      return in.readAllBytes();
    }
  }

  /** Decodes an entry file by the codec, as the member of {@code hosts} (or {@code resources}) it is. */
  private static Snapshot decodeEntry(byte[] content, String source, String hint, boolean host) {
    ByteArrayOutputStream doc = new ByteArrayOutputStream(content.length + 200);
    doc.writeBytes(WRAP_START);
    doc.writeBytes((host ? "\"hosts\":" : "\"resources\":").getBytes(StandardCharsets.UTF_8));
    doc.writeBytes(content);
    doc.writeBytes((host ? ",\"resources\":{}}" : ",\"hosts\":{}}").getBytes(StandardCharsets.UTF_8));
    return StateCodec.decode(doc.toByteArray(), source, hint);
  }

  private CorruptStateException damage(String source, String what) {
    return new CorruptStateException(source, null, "State " + source + " is damaged: " + what + ". It was not modified.",
        null);
  }

  // ---------------------------------------------------------------- writing

  /** The edits that write a whole state in this layout (a new state, a migration). */
  Map<String, ObjectId> writeAll(ObjectInserter ins, Snapshot s) throws IOException {
    Map<String, ObjectId> edits = new HashMap<>();
    edits.put(markerPath, ins.insert(Constants.OBJ_BLOB, MARKER));
    edits.put(dir + METADATA, ins.insert(Constants.OBJ_BLOB, encodeMetadata(s.metadata())));
    for (Map.Entry<String, HostState> e : s.hosts().entrySet()) {
      edits.put(hostPath(e.getKey()), ins.insert(Constants.OBJ_BLOB, encodeHost(e.getKey(), e.getValue())));
    }
    for (Map.Entry<String, ResourceState> e : s.resources().entrySet()) {
      edits.put(resourcePath(e.getKey()), ins.insert(Constants.OBJ_BLOB, encodeResource(e.getKey(), e.getValue())));
    }
    return edits;
  }

  /** The edits that remove this layout's files, but for the configured path (a migration away). */
  Map<String, ObjectId> removeAll() {
    Map<String, ObjectId> edits = new HashMap<>();
    edits.put(dir + METADATA, null);
    edits.put(dir + HOSTS, null);
    edits.put(dir + RESOURCES, null);
    return edits;
  }

  /**
   * The edits that turn {@code base} into {@code next}: the metadata and the entries the changes
   * touched (all that differ, after a replacement of the whole state).
   */
  Map<String, ObjectId> writeChanges(ObjectInserter ins, Snapshot base, Snapshot next, List<Change> changes)
      throws IOException {
    Set<String> hosts = new HashSet<>();
    Set<String> resources = new HashSet<>();
    boolean all = false;
    for (Change c : changes) {
      if (c instanceof Change.PutHost p) {
        hosts.add(p.host().name());
      } else if (c instanceof Change.RemoveHost r) {
        hosts.add(r.name());
      } else if (c instanceof Change.PutResource p) {
        resources.add(p.key());
      } else if (c instanceof Change.RemoveResource r) {
        resources.add(r.key());
      } else {
        all = true;
      }
    }
    if (all) {
      differing(base.hosts(), next.hosts(), hosts);
      differing(base.resources(), next.resources(), resources);
    }
    Map<String, ObjectId> edits = new HashMap<>();
    edits.put(dir + METADATA, ins.insert(Constants.OBJ_BLOB, encodeMetadata(next.metadata())));
    for (String k : hosts) {
      HostState h = next.hosts().get(k);
      HostState was = base.hosts().get(k);
      if (h == null) {
        if (was != null) {
          edits.put(hostPath(k), null);
        }
      } else if (!h.equals(was)) {
        edits.put(hostPath(k), ins.insert(Constants.OBJ_BLOB, encodeHost(k, h)));
      }
    }
    for (String k : resources) {
      ResourceState r = next.resources().get(k);
      ResourceState was = base.resources().get(k);
      if (r == null) {
        if (was != null) {
          edits.put(resourcePath(k), null);
        }
      } else if (!r.equals(was)) {
        edits.put(resourcePath(k), ins.insert(Constants.OBJ_BLOB, encodeResource(k, r)));
      }
    }
    return edits;
  }

  private static <V> void differing(Map<String, V> a, Map<String, V> b, Set<String> out) {
    for (Map.Entry<String, V> e : a.entrySet()) {
      V other = b.get(e.getKey());
      if (other != e.getValue() && !Objects.equals(other, e.getValue())) {
        out.add(e.getKey());
      }
    }
    for (String k : b.keySet()) {
      if (!a.containsKey(k)) {
        out.add(k);
      }
    }
  }

  /**
   * Records a version this backend just wrote with {@code edits} on top of {@code baseId}: when
   * the kept version is that base, it advances to the new one, so reading it back decodes nothing.
   */
  void remember(ObjectReader reader, ObjectId baseId, AnyObjectId newRootTree, Snapshot next,
      Map<String, ObjectId> edits, boolean whole) throws IOException {
    Loaded base = loaded;
    if (!whole && (base == null || !base.contentId().equals(baseId))) {
      return;
    }
    String source = "the version just written";
    Roots roots = rootsIn(reader, newRootTree, source);
    Index hosts = advance(reader, roots.hosts(), whole ? Index.EMPTY : base.hosts(), HOSTS, edits, source);
    Index resources = advance(reader, roots.resources(), whole ? Index.EMPTY : base.resources(), RESOURCES, edits,
        source);
    loaded = new Loaded(roots.contentId(), next, hosts, resources);
  }

  private Index advance(ObjectReader reader, ObjectId tree, Index old, String section, Map<String, ObjectId> edits,
      String source) throws IOException {
    Map<String, ObjectId> fans = tree == null ? Map.of() : entries(reader, tree, FileMode.TYPE_TREE, dir + section,
        "a fan-out directory", source);
    Map<String, Map<String, Ref>> files = new HashMap<>(old.files());
    files.keySet().retainAll(fans.keySet());
    String prefix = dir + section + "/";
    Map<String, Map<String, Ref>> copied = new HashMap<>();
    for (Map.Entry<String, ObjectId> e : edits.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        continue;
      }
      String rel = e.getKey().substring(prefix.length());
      int slash = rel.indexOf('/');
      String fan = rel.substring(0, slash);
      String file = rel.substring(slash + 1);
      Map<String, Ref> m = copied.computeIfAbsent(fan, f -> new HashMap<>(old.files().getOrDefault(f, Map.of())));
      if (e.getValue() == null) {
        m.remove(file);
      } else {
        m.put(file, new Ref(e.getValue(), keyOf(file, e.getKey())));
      }
    }
    for (Map.Entry<String, Map<String, Ref>> e : copied.entrySet()) {
      if (fans.containsKey(e.getKey())) {
        files.put(e.getKey(), e.getValue());
      }
    }
    return new Index(fans, files);
  }

  private final Map<String, String> pendingKeys = new HashMap<>();

  private String keyOf(String file, String path) {
    String k = pendingKeys.get(path);
    return k != null ? k : EntryNames.nameOf(file);
  }

  String hostPath(String name) {
    String p = dir + HOSTS + "/" + EntryNames.path(name);
    pendingKeys.put(p, name);
    return p;
  }

  String resourcePath(String key) {
    String p = dir + RESOURCES + "/" + EntryNames.path(key);
    pendingKeys.put(p, key);
    return p;
  }

  /** Forgets the keys of the paths of the last write, once it is remembered or abandoned. */
  void clearPending() {
    pendingKeys.clear();
  }

  static byte[] encodeMetadata(Metadata m) {
    return StateCodec.encode(Snapshot.empty(m));
  }

  static byte[] encodeHost(String name, HostState h) {
    byte[] doc = StateCodec.encode(Snapshot.of(WRAPPER_META, Map.of(name, h), Map.of()));
    return member(doc, "\n  \"hosts\": {\n", "\n  },\n  \"resources\": {}\n}\n");
  }

  static byte[] encodeResource(String key, ResourceState r) {
    byte[] doc = StateCodec.encode(Snapshot.of(WRAPPER_META, Map.of(), new TreeMap<>(Map.of(key, r))));
    return member(doc, "\n  \"resources\": {\n", "\n  }\n}\n");
  }

  /** The single member between {@code start} and {@code end} of a document, one level less indented. */
  private static byte[] member(byte[] doc, String start, String end) {
    // ISO-8859-1 maps bytes to chars one to one: slicing it slices the UTF-8 bytes
    String s = new String(doc, StandardCharsets.ISO_8859_1);
    int from = s.indexOf(start) + start.length();
    int to = s.lastIndexOf(end);
    if (from < start.length() || to < from) {
      throw new IllegalStateException("unexpected codec output around " + start.strip());
    }
    String body = s.substring(from, to).replace("\n  ", "\n");
    return ("{\n" + body.substring(2) + "\n}\n").getBytes(StandardCharsets.ISO_8859_1);
  }
}
