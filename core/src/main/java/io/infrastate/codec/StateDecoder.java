package io.infrastate.codec;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.UnsupportedFormatVersionException;
import io.infrastate.model.Violation;
import io.infrastate.model.Json;
import io.infrastate.model.JsonPaths;
import io.infrastate.model.PersistentMap;
import io.infrastate.internal.StructuralRules;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamContext;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;

/*
 * How a state file is read
 * ------------------------
 * Jackson's streaming parser reads the JSON, configured to refuse what is not RFC 8259 JSON and
 * to enforce the limits (nesting depth, string, name and number length); it reads characters from
 * a DocumentReader, which decodes the bytes strictly and counts them against the document's limit.
 * The decoder above it builds the snapshot directly from the tokens: the format's fields by name,
 * unknown ones refused, and vars, data and tags into frozen maps. It refuses a name repeated in an
 * object itself, as it builds each object anyway (a bit per field of the format, the sorted
 * builder for hosts and resources, a scan of the few members before for vars, data and tags):
 * Jackson's strict detection would make a set of every object's names, of every key of the hosts
 * and resources too.
 *
 * Bytes in memory. A document given whole as bytes that are all ASCII (most state files: names,
 * addresses, ids and times are) is parsed by Jackson's byte parser straight from them: ASCII reads
 * the same in every encoding the reader accepts, so there is nothing for its strict decoding to
 * refuse, and skipping it saves decoding and copying every character. Only up to a size: the byte
 * parser keeps its table of member names from one parse to the next only while it holds at most
 * 6,000 names, and a larger document (a host or resource key is a name) builds the table anew on
 * every parse, which allocates more than the reader saves. A document that holds any other byte,
 * starts as UTF-16 or UTF-32 would, or is larger, is read through the reader. So is any document
 * the byte parser fails on, a second time, so that every failure is reported as the reader reports
 * it (columns in characters, the same messages): damage costs a second parse, a good file one.
 *
 * Memory. The document is read from a stream in small buffers, so a load holds the decoded state
 * and never the file's bytes. Values that repeat in every host or resource (users, groups, types,
 * the keys and small values of vars, data and tags) are held once through two bounded pools looked
 * up from the parser's characters, which allocate nothing for a value already held; an entity's
 * two equal timestamps share one Instant. Objects and arrays are read into one buffer per depth and
 * copied once at their exact size.
 *
 * Errors. Every refusal is a CorruptStateException naming the source, the JSON path, the line and
 * column where the parser stood, and what is wrong. The path is the decoder's own (member names and
 * indices of the values being read), completed with a member name the parser read ahead.
 *
 * Not thread-safe: one per decode.
 */

/** Reads one state.json document into a snapshot, for {@link StateCodec#decode}. */
final class StateDecoder {
  /** Jackson's factory, built once: its limits are the codec's and the same for every decode. */
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          // duplicate names are refused by the decoder, which builds each object anyway: Jackson's
          // detection would make a set of every object's names, the hosts' and resources' included
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(StateCodec.MAX_DEPTH)
                  .maxStringLength(StateCodec.MAX_STRING_LENGTH)
                  .maxNameLength(StateCodec.MAX_STRING_LENGTH)
                  .maxNumberLength(StateCodec.MAX_NUMBER_LENGTH)
                  .build())
          .build();

  /**
   * The largest document parsed straight from its bytes: about 2,000 hosts and resources as Go and
   * infrastate write them, well below the 6,000 names the byte parser's table keeps.
   */
  private static final int MAX_BYTE_PARSE = 1 << 20;

  private final String source;
  private final String hint;
  private JsonParser parser;
  /** Whether it reads one entry of another format: messages then name only the entry. */
  private boolean embedded;
  /**
   * The path to the value being read: member names, and for array elements {@code null} here and
   * the index in {@link #indices}. The parser refuses deeper nesting than {@link StateCodec#MAX_DEPTH}.
   */
  private final String[] names = new String[StateCodec.MAX_DEPTH + 1];
  private final int[] indices = new int[StateCodec.MAX_DEPTH + 1];
  private int depth;
  /** Per path depth, the buffer of {@link #scratch(int)}. */
  private final Object[][] scratch = new Object[StateCodec.MAX_DEPTH + 1][];
  private final StringPool values = new StringPool();
  /** Member names: the keys of vars, data and tags. */
  private final StringPool keys = new StringPool();
  /**
   * The last timestamp read and its text (its length -1: none): an entity's two timestamps are
   * often equal.
   */
  private final char[] lastTimeText = new char[32];
  private int lastTimeLength = -1;
  private Instant lastTime;

  private StateDecoder(String source, String hint) {
    this.source = source;
    this.hint = hint;
  }

  /**
   * A decoder reading from a parser someone else opened and closes, for one host or resource of
   * another format ({@link StateEntries}).
   */
  static StateDecoder over(JsonParser parser, String source) {
    StateDecoder d = new StateDecoder(source, "");
    d.parser = parser;
    d.embedded = true;
    return d;
  }

  /**
   * Decodes the document in {@code in}, which is read up to its end (or the limit) and not closed.
   *
   * @see StateCodec#decode(InputStream, String, String, long)
   */
  static Snapshot decode(InputStream in, String source, String hint, long maxLength) {
    StateDecoder d = new StateDecoder(source, hint);
    DocumentReader reader = new DocumentReader(in, maxLength);
    try {
      if (!reader.start()) {
        throw d.damage("$", null, "the file is empty (0 bytes); an empty file is damage, not an empty state", null);
      }
      try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), reader)) {
        d.parser = p;
        return d.readDocument();
      }
    } catch (DocumentReader.Failure e) {
      throw d.refused(e, null);
    } catch (JacksonException e) {
      Throwable cause = e.getCause();
      if (cause instanceof DocumentReader.Failure f) {
        throw d.refused(f, e);
      }
      if (cause instanceof IOException io) {
        throw d.unreadable(io);
      }
      throw d.damage(d.pathAtError(), e instanceof StreamConstraintsException ? null : e.getLocation(), describe(e), e);
    } catch (IOException e) {
      throw d.unreadable(e);
    }
  }

  /**
   * Decodes a document given whole: straight from the bytes if they are ASCII and not too many, else
   * (and to report any failure) as {@link #decode(InputStream, String, String, long)} does.
   *
   * @see StateCodec#decode(byte[], String, String)
   */
  static Snapshot decode(byte[] content, String source, String hint) {
    if (content.length <= MAX_BYTE_PARSE && ascii(content)) {
      StateDecoder d = new StateDecoder(source, hint);
      try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), content)) {
        d.parser = p;
        return d.readDocument();
      } catch (RuntimeException e) {
        // read again through the reader below, which reports the failure as every reading does
      }
    }
    return decode(new ByteArrayInputStream(content), source, hint, Long.MAX_VALUE);
  }

  /**
   * Whether every byte is ASCII and the first two are not 0 (which would make it UTF-16 or UTF-32 to
   * the reader): then the bytes are the document's characters one for one.
   */
  private static boolean ascii(byte[] content) {
    if (content.length < 2 || content[0] == 0 || content[1] == 0) {
      return false;
    }
    // the JDK's ASCII decoder, which checks many bytes at once, into a small buffer used again
    CharsetDecoder decoder = StandardCharsets.US_ASCII.newDecoder(); // reports a byte above 0x7F
    ByteBuffer in = ByteBuffer.wrap(content);
    CharBuffer out = CharBuffer.allocate(4096);
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isError()) {
        return false;
      }
      if (result.isUnderflow()) {
        return true;
      }
      out.clear();
    }
  }

  /** The reader refused the bytes: not in their encoding (at the parser's place), or too many. */
  private CorruptStateException refused(DocumentReader.Failure f, JacksonException wrapper) {
    if (f.tooLong) {
      return damage("$", null, f.getMessage() + "; a state file this large is refused before it is read whole", f);
    }
    return damage(pathAtError(), parser == null ? null : parser.currentLocation(), f.getMessage(), wrapper != null ? wrapper : f);
  }

  private BackendException unreadable(IOException e) {
    return new BackendException("Could not read state " + source + ": " + e.getMessage(), e, false);
  }

  private static String describe(JacksonException e) {
    String msg = e.getOriginalMessage();
    if (msg != null && msg.contains("end-of-input")) {
      return "the JSON is truncated (" + firstLine(msg) + ")";
    }
    return "not valid JSON: " + firstLine(msg);
  }

  private static String firstLine(String msg) {
    if (msg == null) {
      return "unknown parse error";
    }
    int nl = msg.indexOf('\n');
    return nl < 0 ? msg : msg.substring(0, nl);
  }

  // ------------------------------------------------------------------ the path and damage

  String path() {
    String path = "$";
    for (int i = 0; i < depth; i++) {
      path = names[i] == null ? path + "[" + indices[i] + "]" : JsonPaths.member(path, names[i]);
    }
    return path;
  }

  /** Enters a member of the object being read. */
  void push(String name) {
    names[depth++] = name;
  }

  /** Enters an element of the array being read. */
  void push(int index) {
    names[depth] = null;
    indices[depth++] = index;
  }

  /** Leaves the member or element entered last. */
  void pop() {
    depth--;
  }

  /** The path when the parser failed: it may have read a member name the decoder never saw. */
  String pathAtError() {
    String path = path();
    if (parser == null) {
      return path;
    }
    TokenStreamContext context = parser.streamReadContext();
    String name = context == null || !context.inObject() ? null : context.currentName();
    String last = depth == 0 ? null : names[depth - 1];
    if (name != null && !name.equals(last)) {
      path = JsonPaths.member(path, name);
    }
    return path;
  }

  CorruptStateException damage(String path, TokenStreamLocation loc, String what, Throwable cause) {
    StringBuilder sb = new StringBuilder(embedded ? "" : "State ").append(source).append(" is damaged at ").append(path);
    if (loc != null && loc.getLineNr() > 0) {
      sb.append(" (line ").append(loc.getLineNr()).append(", column ").append(loc.getColumnNr()).append(')');
    }
    sb.append(": ").append(what);
    if (embedded) {
      return new CorruptStateException(source, path, sb.toString(), cause);
    }
    sb.append(". It was not modified");
    if (hint != null && !hint.isEmpty()) {
      sb.append("; ").append(hint);
    }
    sb.append('.');
    return new CorruptStateException(source, path, sb.toString(), cause);
  }

  CorruptStateException damage(String what) {
    return damage(path(), parser == null ? null : parser.currentTokenLocation(), what, null);
  }

  JsonToken next() {
    return parser.nextToken();
  }

  /**
   * The next member name of the object being read, null at its end: the parser's own string, for a
   * name that is only compared (a field of the format) or kept once (a lock name).
   */
  String nextName() {
    return parser.nextToken() != JsonToken.PROPERTY_NAME ? null : parser.currentName();
  }

  /**
   * The next member name of the object being read, null at its end, shared through the pool of
   * names: for the keys of vars, data and tags, held by every host or resource. The parser's table
   * of names makes each name once per parse, but only while it holds few enough of them.
   */
  String nextKey() {
    return parser.nextToken() != JsonToken.PROPERTY_NAME ? null : keys.share(parser.currentName());
  }

  void expect(JsonToken actual, JsonToken expected, String what) {
    if (actual != expected) {
      throw damage("expected " + what + ", found " + describe(actual));
    }
  }

  static String describe(JsonToken t) {
    if (t == null) {
      return "end of input";
    }
    switch (t) {
      case START_OBJECT: return "an object";
      case START_ARRAY: return "an array";
      case VALUE_STRING: return "a string";
      case VALUE_NUMBER_INT: case VALUE_NUMBER_FLOAT: return "a number";
      case VALUE_TRUE: case VALUE_FALSE: return "a boolean";
      case VALUE_NULL: return "null";
      default: return t.toString();
    }
  }

  /** Marks a field as seen; a field seen twice is damage (which value is meant is ambiguous). */
  int once(int seen, int bit) {
    if ((seen & bit) != 0) {
      throw duplicateKey();
    }
    return seen | bit;
  }

  /** The name just read (the last path segment) was already read in this object. */
  CorruptStateException duplicateKey() {
    return damage("duplicate name '" + names[depth - 1] + "'; a JSON object must not repeat a name");
  }

  CorruptStateException unknownField(String name) {
    return damage(
        "unknown field '" + name + "'; infrastate refuses to load it because it would be lost on"
            + " the next write. Remove it, or use the infrastate version that wrote it");
  }

  // ------------------------------------------------------------------ the document

  Snapshot readDocument() {
    expect(next(), JsonToken.START_OBJECT, "a JSON object at the top level");
    Metadata metadata = null;
    PersistentMap<HostState> hosts = PersistentMap.empty();
    PersistentMap<ResourceState> resources = PersistentMap.empty();
    String name;
    int seen = 0;
    while ((name = nextName()) != null) {
      push(name);
      JsonToken t = next();
      switch (name) {
        case "metadata":
          seen = once(seen, 1);
          expect(t, JsonToken.START_OBJECT, "an object");
          metadata = readMetadata();
          break;
        case "hosts":
          seen = once(seen, 2);
          if (t != JsonToken.VALUE_NULL) {
            expect(t, JsonToken.START_OBJECT, "an object of hosts");
            hosts = readEntities(true);
          }
          break;
        case "resources":
          seen = once(seen, 4);
          if (t != JsonToken.VALUE_NULL) {
            expect(t, JsonToken.START_OBJECT, "an object of resources");
            resources = readEntities(false);
          }
          break;
        default:
          throw unknownField(name);
      }
      pop();
    }
    JsonToken trailing = next();
    if (trailing != null) {
      throw damage("$", parser.currentTokenLocation(), "unexpected content after the JSON document: " + describe(trailing), null);
    }
    if (metadata == null) {
      throw damage("$.metadata", null, "the metadata object is missing", null);
    }
    List<Violation> violations = new ArrayList<>();
    StructuralRules.checkMetadata(metadata, violations);
    // loops, not lambdas: a lambda costs a fresh JVM its bootstrap, and every first load runs this
    for (Map.Entry<String, HostState> e : hosts.entrySet()) {
      StructuralRules.checkHost(e.getKey(), e.getValue(), violations);
    }
    for (Map.Entry<String, ResourceState> e : resources.entrySet()) {
      StructuralRules.checkResource(e.getKey(), e.getValue(), violations);
    }
    if (!violations.isEmpty()) {
      Violation first = violations.get(0);
      String more = violations.size() > 1 ? " (and " + (violations.size() - 1) + " more: " + violations.subList(1, Math.min(violations.size(), 4)) + ")" : "";
      throw damage(first.path(), null, first.message() + more, null);
    }
    return Snapshot.of(metadata, hosts, resources);
  }

  Metadata readMetadata() {
    String version = null;
    long serial = 0;
    String lineage = "";
    Instant created = null;
    Instant updated = null;
    Map<String, Long> fences = Map.of();
    String name;
    int seen = 0;
    while ((name = nextName()) != null) {
      push(name);
      JsonToken t = next();
      switch (name) {
        case "version": seen = once(seen, 1); version = readString(t); break;
        case "fences": seen = once(seen, 32); fences = readFences(t); break;
        case "serial": seen = once(seen, 2); serial = readSerial(t); break;
        case "lineage": seen = once(seen, 4); lineage = readString(t); break;
        case "created_at": seen = once(seen, 8); created = readTime(t); break;
        case "updated_at": seen = once(seen, 16); updated = readTime(t); break;
        default: throw unknownField(name);
      }
      pop();
    }
    if (version == null) {
      throw damage(path() + ".version", null, "the format version is missing", null);
    }
    checkVersion(version);
    return new Metadata(version, serial, lineage, created, updated, fences);
  }

  /**
   * Reads {@code metadata.fences}: an object of lock names to fencing tokens (whole numbers, 0 or
   * more), or {@code null} for none.
   */
  Map<String, Long> readFences(JsonToken t) {
    if (t == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    expect(t, JsonToken.START_OBJECT, "an object of lock names to fencing tokens");
    java.util.TreeMap<String, Long> fences = new java.util.TreeMap<>();
    String lock;
    while ((lock = nextName()) != null) {
      push(lock);
      JsonToken v = next();
      if (v != JsonToken.VALUE_NUMBER_INT) {
        throw damage("expected a whole number (a fencing token), found " + describe(v));
      }
      long token = parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? -1 : parser.getLongValue();
      if (token < 0) {
        String text = parser.getString();
        throw damage("fencing token " + text + (text.startsWith("-") ? " is negative" : " is larger than " + Long.MAX_VALUE));
      }
      if (lock.isEmpty()) {
        throw damage("a fence's lock name must not be empty");
      }
      if (fences.put(lock, token) != null) {
        throw duplicateKey();
      }
      pop();
    }
    return fences;
  }

  long readSerial(JsonToken t) {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw damage("expected a whole number, found " + describe(t));
    }
    if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw damage("serial " + parser.getString() + (parser.getString().startsWith("-") ? " is negative" : " is larger than " + Long.MAX_VALUE));
    }
    long serial = parser.getLongValue();
    if (serial < 0) {
      throw damage("serial " + serial + " is negative");
    }
    return serial;
  }

  void checkVersion(String version) {
    String[] parts = version.split("\\.", -1);
    try {
      int major = Integer.parseInt(parts[0]);
      int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      if (major > 1 || (major == 1 && minor > 0)) {
        throw new UnsupportedFormatVersionException(source, version, Metadata.FORMAT_VERSION);
      }
      if (major < 1) {
        throw damage(path() + ".version", null, "format version '" + version + "' is not valid", null);
      }
    } catch (NumberFormatException e) {
      throw damage(path() + ".version", null, "format version '" + version + "' is not of the form MAJOR.MINOR", e);
    }
  }

  /** Reads the object of hosts (true) or of resources (false) into a sorted map by key. */
  <T> PersistentMap<T> readEntities(boolean hosts) {
    PersistentMap.Builder<T> entities = PersistentMap.builder();
    while (next() == JsonToken.PROPERTY_NAME) {
      String key = parser.currentName(); // unique: not pooled
      push(key);
      expect(next(), JsonToken.START_OBJECT, hosts ? "a host object" : "a resource object");
      @SuppressWarnings("unchecked")
      T entity = (T) (hosts ? readHost(key) : readResource());
      if (!entities.add(key, entity)) {
        throw duplicateKey();
      }
      pop();
    }
    return entities.build();
  }

  HostState readHost(String key) {
    String name = null;
    String address = "";
    int port = 0;
    String user = "";
    Map<String, Object> vars = Map.of();
    String group = "";
    Instant created = null;
    Instant updated = null;
    String field;
    int seen = 0;
    while ((field = nextName()) != null) {
      push(field);
      JsonToken t = next();
      switch (field) {
        case "name":
          seen = once(seen, 1);
          expectString(t);
          char[] chars = parser.getStringCharacters();
          int offset = parser.getStringOffset();
          int length = parser.getStringLength();
          name = StringPool.same(key, chars, offset, length) ? key : new String(chars, offset, length); // one string for both
          break;
        case "address": seen = once(seen, 2); address = readString(t); break;
        case "port": seen = once(seen, 4); port = readPort(t); break;
        case "user": seen = once(seen, 8); user = readPooled(t); break;
        case "vars": seen = once(seen, 16); vars = readObjectOrNull(t); break;
        case "group": seen = once(seen, 32); group = readPooled(t); break;
        case "created_at": seen = once(seen, 64); created = readTime(t); break;
        case "updated_at": seen = once(seen, 128); updated = readTime(t); break;
        default: throw unknownField(field);
      }
      pop();
    }
    if (name == null) {
      throw damage(path() + ".name", null, "the host name is missing", null);
    }
    return new HostState(name, address, port, user, vars, group, created, updated);
  }


  ResourceState readResource() {
    String type = null;
    String id = null;
    String name = "";
    Map<String, Object> data = Map.of();
    Map<String, Object> tags = Map.of();
    Instant created = null;
    Instant updated = null;
    String field;
    int seen = 0;
    while ((field = nextName()) != null) {
      push(field);
      JsonToken t = next();
      switch (field) {
        case "type": seen = once(seen, 1); type = readPooled(t); break;
        case "id": seen = once(seen, 2); id = readString(t); break;
        case "name": seen = once(seen, 4); name = readString(t); break;
        case "data": seen = once(seen, 8); data = readObjectOrNull(t); break;
        case "tags": seen = once(seen, 16); tags = readTags(t); break;
        case "created_at": seen = once(seen, 32); created = readTime(t); break;
        case "updated_at": seen = once(seen, 64); updated = readTime(t); break;
        default: throw unknownField(field);
      }
      pop();
    }
    if (type == null) {
      throw damage(path() + ".type", null, "the resource type is missing", null);
    }
    if (id == null) {
      throw damage(path() + ".id", null, "the resource id is missing", null);
    }
    @SuppressWarnings("unchecked")
    Map<String, String> stringTags = (Map<String, String>) (Map<String, ?>) tags;
    return new ResourceState(type, id, name, data, stringTags, created, updated);
  }

  // ------------------------------------------------------------------ values

  Map<String, Object> readTags(JsonToken t) {
    if (t == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    expect(t, JsonToken.START_OBJECT, "an object of string tags");
    return readEntries(true);
  }

  String readString(JsonToken t) {
    expectString(t);
    return parser.getString();
  }

  void expectString(JsonToken t) {
    if (t != JsonToken.VALUE_STRING) {
      throw damage("expected a string, found " + describe(t));
    }
  }

  int readPort(JsonToken t) {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw damage("expected a whole number, found " + describe(t));
    }
    long port = parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? -1 : parser.getLongValue();
    if (port < 0 || port > 65535) {
      throw damage("port " + parser.getString() + " is outside 0..65535");
    }
    return (int) port;
  }

  Instant readTime(JsonToken t) {
    expectString(t);
    char[] chars = parser.getStringCharacters();
    int offset = parser.getStringOffset();
    int length = parser.getStringLength();
    if (length == lastTimeLength && Arrays.equals(chars, offset, offset + length, lastTimeText, 0, length)) {
      return lastTime;
    }
    Instant parsed = StateCodec.utc(chars, offset, length);
    if (parsed == null) {
      String text = new String(chars, offset, length);
      try {
        parsed = StateCodec.parseTime(text);
      } catch (DateTimeParseException e) {
        throw damage("'" + text + "' is not an RFC 3339 timestamp");
      }
    }
    if (length <= lastTimeText.length) {
      System.arraycopy(chars, offset, lastTimeText, 0, length);
      lastTimeLength = length;
      lastTime = parsed;
    }
    return parsed;
  }

  /** Reads a string value that tends to repeat (a user, a group, a type): see {@link #pooled}. */
  String readPooled(JsonToken t) {
    expectString(t);
    return pooled();
  }

  /**
   * The string value just read, as one instance for equal short strings that tend to repeat (users,
   * groups, types, values): they would otherwise be held once per host or resource. It is looked up
   * from the parser's characters, so a repeated value allocates nothing.
   */
  String pooled() {
    int length = parser.getStringLength();
    return length > 32 ? parser.getString() : values.share(parser.getStringCharacters(), parser.getStringOffset(), length);
  }

  Map<String, Object> readObjectOrNull(JsonToken t) {
    if (t == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    expect(t, JsonToken.START_OBJECT, "an object");
    return readEntries(false);
  }

  /** Reads the members of an object into a frozen map; {@code tags}: values must be strings. */
  Map<String, Object> readEntries(boolean tags) {
    int level = depth;
    Object[] kv = scratch(level);
    int n = 0;
    java.util.HashSet<String> seen = null;
    String key;
    while ((key = nextKey()) != null) {
      push(key);
      if (n < 8) {
        for (int i = 0; i < 2 * n; i += 2) {
          if (key.equals(kv[i])) {
            throw duplicateKey();
          }
        }
      } else {
        if (seen == null) {
          seen = new java.util.HashSet<>();
          for (int i = 0; i < 2 * n; i += 2) {
            seen.add((String) kv[i]);
          }
        }
        if (!seen.add(key)) {
          throw duplicateKey();
        }
      }
      JsonToken v = next();
      Object value;
      if (tags) {
        if (v != JsonToken.VALUE_STRING) {
          throw damage("tag values must be strings, found " + describe(v));
        }
        value = pooled();
      } else {
        value = readValue(v);
      }
      if (2 * n + 2 > kv.length) {
        kv = grown(level);
      }
      kv[2 * n] = key;
      kv[2 * n + 1] = value;
      n++;
      pop();
    }
    return Json.ofDistinctEntries(Arrays.copyOf(kv, 2 * n), n);
  }

  /**
   * The buffer for the members or elements of the object or array being read at a path depth: each
   * is read into its level's buffer, then copied once at its exact size.
   */
  Object[] scratch(int level) {
    Object[] buffer = scratch[level];
    return buffer != null ? buffer : (scratch[level] = new Object[16]);
  }

  /** A level's buffer made twice as long, keeping what it holds. */
  Object[] grown(int level) {
    return scratch[level] = Arrays.copyOf(scratch[level], scratch[level].length * 2);
  }

  Object readValue(JsonToken t) {
    if (t == null) {
      throw damage("the JSON is truncated");
    }
    switch (t) {
      case VALUE_STRING: return pooled();
      case VALUE_TRUE: return Boolean.TRUE;
      case VALUE_FALSE: return Boolean.FALSE;
      case VALUE_NULL: return null;
      case VALUE_NUMBER_INT:
        switch (parser.getNumberType()) {
          case INT: return parser.getIntValue();
          case LONG: return parser.getLongValue();
          default: return parser.getBigIntegerValue();
        }
      case VALUE_NUMBER_FLOAT:
        double d = parser.getDoubleValue();
        if (Double.isInfinite(d)) {
          throw damage("number " + parser.getString() + " is out of the range of a double");
        }
        return d;
      case START_OBJECT: return readEntries(false);
      case START_ARRAY:
        int level = depth;
        Object[] elements = scratch(level);
        JsonToken e;
        int i = 0;
        while ((e = next()) != JsonToken.END_ARRAY) {
          push(i);
          Object element = readValue(e);
          if (i == elements.length) {
            elements = grown(level);
          }
          elements[i++] = element;
          pop();
        }
        return Json.ofElements(Arrays.copyOf(elements, i));
      default:
        throw damage("unexpected " + describe(t));
    }
  }
}
