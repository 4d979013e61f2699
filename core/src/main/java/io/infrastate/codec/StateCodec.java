package io.infrastate.codec;

import io.infrastate.CorruptStateException;
import io.infrastate.HostState;
import io.infrastate.Metadata;
import io.infrastate.ResourceState;
import io.infrastate.Snapshot;
import io.infrastate.UnsupportedFormatVersionException;
import io.infrastate.Violation;
import io.infrastate.internal.Json;
import io.infrastate.internal.JsonPaths;
import io.infrastate.internal.PersistentMap;
import io.infrastate.internal.StructuralRules;
import io.infrastate.codec.JsonReader.Token;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads and writes {@code state.json}: exactly the Go-FTL2 format, plus {@code serial}, {@code
 * lineage} and (for states written under a lock) {@code fences} in {@code metadata}. A file written by Go loads here and a file written here loads in
 * Go (which ignores the two extra fields).
 *
 * <h2>Writing</h2>
 *
 * Pretty-printed as Go's {@code json.MarshalIndent(v, "", "  ")}: two-space indent, {@code "key":
 * value}, fields in Go's struct order, map keys sorted (as Go sorts them), empty {@code vars},
 * {@code group} and {@code tags} omitted as Go's {@code omitempty} does, timestamps in RFC 3339
 * UTC, and a final newline. The output for a given snapshot is always the same bytes, so Git diffs
 * stay small.
 *
 * <h2>Reading</h2>
 *
 * Accepts JSON as RFC 8259 defines it, in UTF-8 (after a byte order mark or not), UTF-16 or
 * UTF-32; Go's timestamps (RFC 3339 with fractional seconds and any offset, normalized to UTC); and
 * {@code null} for any map. Most of a load is this reading, so the bytes are read directly rather
 * than through a general JSON parser, by a reader that a test holds to Jackson's parser on random
 * documents and random damage. Anything else is damage: the decoder throws {@link
 * CorruptStateException} naming the source, the JSON path, line and column, and what is wrong, for
 * input that is empty, not JSON, truncated, not valid UTF-8 (overlong forms and encoded surrogates
 * too), has NUL or other control bytes, wrong types, duplicate
 * keys, unknown fields (they would be lost on the next write), a host whose key differs from its
 * name, a port outside 0..65535, nesting deeper than {@value #MAX_DEPTH}, a string longer than
 * {@value #MAX_STRING_LENGTH} characters or a number longer than {@value #MAX_NUMBER_LENGTH}
 * digits. A format version newer than {@value Metadata#FORMAT_VERSION} raises {@link
 * UnsupportedFormatVersionException}. The input is never modified.
 *
 * <p>This class is thread-safe and stateless.
 */
public final class StateCodec {
  /** The deepest nesting accepted, counting the document's own four levels. */
  public static final int MAX_DEPTH = 64;

  /** The longest string value or key accepted, in characters (8 MiB). */
  public static final int MAX_STRING_LENGTH = 8 * 1024 * 1024;

  /** The longest number accepted, in characters. */
  public static final int MAX_NUMBER_LENGTH = 100;

  /**
   * Jackson's generator and the Go layout, which only writing needs: held apart so that a run that
   * only loads (a command-line tool's first load) never loads Jackson's factories, generators or
   * parsers (QuietStartTest checks it).
   */
  private static final class Writing {
    static final JsonFactory FACTORY = JsonFactory.builder().build();

    static final ObjectWriteContext GO_STYLE =
        new ObjectWriteContext.Base() {
          @Override
          public PrettyPrinter getPrettyPrinter() {
            return new GoPrettyPrinter();
          }

          @Override
          public boolean hasPrettyPrinter() {
            return true;
          }
        };
  }

  private StateCodec() {}

  /**
   * Serializes a snapshot to state.json bytes (UTF-8).
   *
   * @param snapshot the snapshot
   * @return the file content
   */
  public static byte[] encode(Snapshot snapshot) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096 + snapshot.hosts().size() * 300 + snapshot.resources().size() * 400);
    write(snapshot, out);
    return out.toByteArray();
  }

  /**
   * Serializes a snapshot to a stream (UTF-8). The stream is flushed, not closed.
   *
   * @param snapshot the snapshot
   * @param out the destination
   * @throws io.infrastate.BackendException if the stream fails
   */
  public static void write(Snapshot snapshot, OutputStream out) {
    try (JsonGenerator g = Writing.FACTORY.createGenerator(Writing.GO_STYLE, out)) {
      // one buffer for every timestamp of the document: no String per timestamp (four per host
      // and resource pair, most of what an encode allocates besides its output)
      char[] time = new char[TIME_CHARS];
      g.writeStartObject();
      Metadata m = snapshot.metadata();
      g.writeName("metadata");
      g.writeStartObject();
      g.writeStringProperty("version", m.version());
      writeTime(g, "created_at", m.createdAt(), time);
      writeTime(g, "updated_at", m.updatedAt(), time);
      g.writeNumberProperty("serial", m.serial());
      if (m.hasLineage()) {
        g.writeStringProperty("lineage", m.lineage());
      }
      if (!m.fences().isEmpty()) {
        g.writeName("fences");
        g.writeStartObject();
        for (Map.Entry<String, Long> f : m.fences().entrySet()) {
          g.writeNumberProperty(f.getKey(), f.getValue());
        }
        g.writeEndObject();
      }
      g.writeEndObject();

      g.writeName("hosts");
      g.writeStartObject();
      for (Map.Entry<String, HostState> e : snapshot.hosts().entrySet()) {
        HostState h = e.getValue();
        g.writeName(e.getKey());
        g.writeStartObject();
        g.writeStringProperty("name", h.name());
        g.writeStringProperty("address", h.address());
        g.writeNumberProperty("port", h.port());
        g.writeStringProperty("user", h.user());
        if (!h.vars().isEmpty()) {
          g.writeName("vars");
          Json.write(g, h.vars(), true);
        }
        if (!h.group().isEmpty()) {
          g.writeStringProperty("group", h.group());
        }
        writeTime(g, "created_at", h.createdAt(), time);
        writeTime(g, "updated_at", h.updatedAt(), time);
        g.writeEndObject();
      }
      g.writeEndObject();

      g.writeName("resources");
      g.writeStartObject();
      for (Map.Entry<String, ResourceState> e : snapshot.resources().entrySet()) {
        ResourceState r = e.getValue();
        g.writeName(e.getKey());
        g.writeStartObject();
        g.writeStringProperty("type", r.type());
        g.writeStringProperty("id", r.id());
        g.writeStringProperty("name", r.name());
        g.writeName("data");
        Json.write(g, r.data(), true);
        if (!r.tags().isEmpty()) {
          g.writeName("tags");
          Json.write(g, r.tags(), true);
        }
        writeTime(g, "created_at", r.createdAt(), time);
        writeTime(g, "updated_at", r.updatedAt(), time);
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeEndObject();
      g.writeRaw('\n');
      g.flush();
    } catch (JacksonException e) {
      throw new io.infrastate.BackendException("Could not write state.json: " + e.getOriginalMessage(), e, false);
    }
  }

  /**
   * Formats a timestamp in UTC as RFC 3339, exactly as {@link DateTimeFormatter#ISO_INSTANT} does:
   * seconds always, fractional seconds only when non-zero, in groups of three digits.
   *
   * @param t the instant
   * @return the text
   */
  public static String formatTime(Instant t) {
    char[] c = new char[TIME_CHARS];
    return new String(c, 0, formatTime(t, c));
  }

  /** Writes {@code name} and the timestamp as {@link #formatTime(Instant)} formats it, through {@code buffer}. */
  private static void writeTime(JsonGenerator g, String name, Instant t, char[] buffer) {
    g.writeName(name);
    g.writeString(buffer, 0, formatTime(t, buffer));
  }

  /** The longest timestamp {@link DateTimeFormatter#ISO_INSTANT} writes: {@link Instant#MAX}'s 37 characters. */
  private static final int TIME_CHARS = 37;

  /**
   * Formats {@code t} into {@code c} as {@link #formatTime(Instant)} does and returns its length:
   * by hand in years 1970-9999, through java.time's formatter outside them.
   */
  private static int formatTime(Instant t, char[] c) {
    long seconds = t.getEpochSecond();
    if (seconds < 0 || seconds >= MAX_FAST_SECONDS) {
      String text = DateTimeFormatter.ISO_INSTANT.format(t);
      text.getChars(0, text.length(), c, 0);
      return text.length();
    }
    // java.time's formatter costs more than the rest of an entity; this is the same layout by hand
    long days = seconds / 86_400;
    int secs = (int) (seconds % 86_400);
    // civil date from days since 1970-01-01 (H. Hinnant's algorithm)
    long z = days + 719_468;
    long era = z / 146_097;
    int doe = (int) (z - era * 146_097);
    int yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int day = doy - (153 * mp + 2) / 5 + 1;
    int month = mp < 10 ? mp + 3 : mp - 9;
    int year = (int) (yoe + era * 400) + (month <= 2 ? 1 : 0);
    int nano = t.getNano();
    put(c, 0, year, 4);
    c[4] = '-';
    put(c, 5, month, 2);
    c[7] = '-';
    put(c, 8, day, 2);
    c[10] = 'T';
    put(c, 11, secs / 3600, 2);
    c[13] = ':';
    put(c, 14, secs / 60 % 60, 2);
    c[16] = ':';
    put(c, 17, secs % 60, 2);
    int n = 19;
    if (nano != 0) {
      c[n++] = '.';
      if (nano % 1_000_000 == 0) {
        put(c, n, nano / 1_000_000, 3);
        n += 3;
      } else if (nano % 1000 == 0) {
        put(c, n, nano / 1000, 6);
        n += 6;
      } else {
        put(c, n, nano, 9);
        n += 9;
      }
    }
    c[n++] = 'Z';
    return n;
  }

  /** The first second of year 10000: later instants take java.time's formatter. */
  private static final long MAX_FAST_SECONDS = 253_402_300_800L;

  private static void put(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /**
   * Parses an RFC 3339 timestamp with any offset and up to nanosecond precision.
   *
   * @param text the text
   * @return the instant
   * @throws DateTimeParseException if it is not RFC 3339
   */
  public static Instant parseTime(String text) {
    int n = text.length();
    Instant fast = n <= 30 ? utc(text.getBytes(StandardCharsets.ISO_8859_1), 0, n) : null;
    return fast != null ? fast : OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
  }

  /**
   * The instant of the text in {@code b[at, at + n)} if it has the UTC layout written here ({@code
   * 2026-01-15T10:30:00Z}, optionally with 1 to 9 fractional digits) and is a valid date and time;
   * {@code null} for anything else, which java.time's general parser (the costliest part of a load
   * for a state's thousands of timestamps) then reads or refuses.
   */
  static Instant utc(byte[] b, int at, int n) {
    if (n < 20 || n == 21 || n > 30 || b[at + 4] != '-' || b[at + 7] != '-' || b[at + 10] != 'T'
        || b[at + 13] != ':' || b[at + 16] != ':' || b[at + n - 1] != 'Z' || (n > 20 && b[at + 19] != '.')) {
      return null;
    }
    int year = digits(b, at, at + 4);
    int month = digits(b, at + 5, at + 7);
    int day = digits(b, at + 8, at + 10);
    int hour = digits(b, at + 11, at + 13);
    int minute = digits(b, at + 14, at + 16);
    int second = digits(b, at + 17, at + 19);
    int nanos = 0;
    if (n > 20) {
      nanos = digits(b, at + 20, at + n - 1);
      for (int i = n - 21; i < 9 && nanos >= 0; i++) {
        nanos *= 10;
      }
    }
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28 && day > java.time.YearMonth.of(year, month).lengthOfMonth()
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || nanos < 0) {
      return null;
    }
    long days = java.time.LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
  }

  /** The decimal value of b[from, to), or -1 if it holds a non-digit. */
  private static int digits(byte[] b, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      int c = b[i];
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * Parses state.json bytes.
   *
   * @param content the file content
   * @param source the file, object or commit it came from, for messages
   * @param recoveryHint where the last good version is (such as {@code "the previous version is in
   *     state.json.backup"}), appended to damage messages; may be empty
   * @return the snapshot
   * @throws CorruptStateException if the content is damaged in any way listed above
   * @throws UnsupportedFormatVersionException if its format version is newer than supported
   */
  public static Snapshot decode(byte[] content, String source, String recoveryHint) {
    Decoder d = new Decoder(source, recoveryHint);
    if (content.length == 0) {
      throw d.damage("$", -1, "the file is empty (0 bytes); an empty file is damage, not an empty state", null);
    }
    try {
      d.in = new JsonReader(content, MAX_DEPTH, MAX_STRING_LENGTH, MAX_NUMBER_LENGTH);
      return d.readDocument();
    } catch (JsonReader.SyntaxError e) {
      String what = e.truncated ? "the JSON is truncated (" + e.getMessage() + ")" : "not valid JSON: " + e.getMessage();
      throw d.damage(d.path(), e.offset, what, e);
    }
  }

  /**
   * One instance for equal strings of one decode, so that values repeated in every host or
   * resource (users, groups, types, a var's few values, member names) are held once. Bounded: 1,024
   * slots, each string having two (from two parts of its hash). A lookup hashes the string and
   * compares it with at most two others; a new string takes the first of its slots that is free,
   * else replaces its first slot's string. Frequent strings stay (two whose first slots are the same
   * both find room) while unique ones pass through. Not thread-safe: one per decode.
   */
  static final class Pool {
    private static final int MASK = 1023;
    private final String[] slots = new String[MASK + 1];

    /** The pool's instance equal to {@code text}, which becomes it if there is none. */
    String share(String text) {
      int h = text.hashCode();
      h ^= h >>> 16;
      String first = slots[h & MASK];
      if (text.equals(first)) {
        return first;
      }
      String second = slots[(h >>> 10) & MASK];
      if (text.equals(second)) {
        return second;
      }
      return put(h, first, second, text);
    }

    /**
     * The pool's instance holding these ASCII bytes, created if there is none: the same slots as
     * {@link #share(String)} finds for the equal string (an ASCII string's hash is its bytes').
     */
    String share(byte[] ascii, int offset, int length) {
      int h = 0;
      for (int i = offset; i < offset + length; i++) {
        h = 31 * h + ascii[i];
      }
      h ^= h >>> 16;
      String first = slots[h & MASK];
      if (same(first, ascii, offset, length)) {
        return first;
      }
      String second = slots[(h >>> 10) & MASK];
      if (same(second, ascii, offset, length)) {
        return second;
      }
      return put(h, first, second, new String(ascii, offset, length, StandardCharsets.ISO_8859_1));
    }

    private String put(int h, String first, String second, String text) {
      slots[first != null && second == null ? (h >>> 10) & MASK : h & MASK] = text;
      return text;
    }
  }

  /** Whether {@code known} (may be null) holds these ASCII bytes; compares from the end. */
  static boolean same(String known, byte[] ascii, int offset, int length) {
    if (known == null || known.length() != length) {
      return false;
    }
    for (int i = length - 1; i >= 0; i--) {
      if (known.charAt(i) != ascii[offset + i]) {
        return false;
      }
    }
    return true;
  }

  /** A hand-written reader over {@link JsonReader}'s tokens, keeping the JSON path for messages. */
  private static final class Decoder {
    /**
     * The format's field names, put in the pool of member names first, so that each name read is
     * the constant its {@code switch} compares with (equal by identity, at once).
     */
    private static final String[] FIELDS = {"metadata", "hosts", "resources", "version", "serial", "lineage", "created_at",
        "updated_at", "name", "address", "port", "user", "vars", "group", "type", "id", "data", "tags"};

    private final String source;
    private final String hint;
    private JsonReader in;
    /**
     * The path to the value being read: member names, and for array elements {@code null} here
     * and the index in {@link #indices}. The reader refuses deeper nesting than {@link #MAX_DEPTH}.
     */
    private final String[] names = new String[MAX_DEPTH + 1];
    private final int[] indices = new int[MAX_DEPTH + 1];
    private int depth;
    /** Per path depth, the buffer of {@link #scratch(int)}. */
    private final Object[][] scratch = new Object[MAX_DEPTH + 1][];
    private final Pool values = new Pool();
    /**
     * Member names: the fields of each host and resource, and the keys of vars, data and tags,
     * which each object would otherwise hold its own copies of.
     */
    private final Pool keys = new Pool();
    /**
     * The last timestamp read and where its bytes are (-1: none, or it had escapes): an entity's two
     * timestamps are often equal.
     */
    private int lastTimeAt = -1;
    private int lastTimeLength;
    private Instant lastTime;

    Decoder(String source, String hint) {
      this.source = source;
      this.hint = hint;
      for (String field : FIELDS) {
        keys.share(field);
      }
    }

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

    /** Damage at a path, and at a byte offset of the document unless it is -1. */
    CorruptStateException damage(String path, int offset, String what, Throwable cause) {
      StringBuilder sb = new StringBuilder("State ").append(source).append(" is damaged at ").append(path);
      if (offset >= 0 && in != null) {
        byte[] doc = in.document();
        int line = 1;
        int column = 1;
        for (int i = 0; i < offset && i < doc.length; i++) {
          if (doc[i] == '\n') {
            line++;
            column = 1;
          } else if ((doc[i] & 0xC0) != 0x80) {
            column++; // a character's first byte: columns count characters
          }
        }
        sb.append(" (line ").append(line).append(", column ").append(column).append(')');
      }
      sb.append(": ").append(what).append(". It was not modified");
      if (hint != null && !hint.isEmpty()) {
        sb.append("; ").append(hint);
      }
      sb.append('.');
      return new CorruptStateException(source, path, sb.toString(), cause);
    }

    CorruptStateException damage(String what) {
      return damage(path(), in == null ? -1 : in.tokenStart(), what, null);
    }

    Token next() {
      return in.next();
    }

    void expect(Token actual, Token expected, String what) {
      if (actual != expected) {
        throw damage("expected " + what + ", found " + describe(actual));
      }
    }

    static String describe(Token t) {
      if (t == null) {
        return "end of input";
      }
      switch (t) {
        case START_OBJECT: return "an object";
        case START_ARRAY: return "an array";
        case STRING: return "a string";
        case INT: case FLOAT: return "a number";
        case TRUE: case FALSE: return "a boolean";
        case NULL: return "null";
        default: return t.toString();
      }
    }

    Snapshot readDocument() {
      expect(next(), Token.START_OBJECT, "a JSON object at the top level");
      Metadata metadata = null;
      PersistentMap<HostState> hosts = PersistentMap.empty();
      PersistentMap<ResourceState> resources = PersistentMap.empty();
      String name;
      int seen = 0;
      while ((name = in.nextName(keys)) != null) {
        push(name);
        Token t = next();
        switch (name) {
          case "metadata":
            seen = once(seen, 1);
            expect(t, Token.START_OBJECT, "an object");
            metadata = readMetadata();
            break;
          case "hosts":
            seen = once(seen, 2);
            if (t != Token.NULL) {
              expect(t, Token.START_OBJECT, "an object of hosts");
              hosts = readHosts();
            }
            break;
          case "resources":
            seen = once(seen, 4);
            if (t != Token.NULL) {
              expect(t, Token.START_OBJECT, "an object of resources");
              resources = readResources();
            }
            break;
          default:
            throw unknownField(name);
        }
        pop();
      }
      Token trailing = next();
      if (trailing != null) {
        throw damage("$", in.tokenStart(), "unexpected content after the JSON document: " + describe(trailing), null);
      }
      if (metadata == null) {
        throw damage("$.metadata", -1, "the metadata object is missing", null);
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
        throw damage(first.path(), -1, first.message() + more, null);
      }
      return Snapshot.of(metadata, hosts, resources);
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

    Metadata readMetadata() {
      String version = null;
      long serial = 0;
      String lineage = "";
      Instant created = null;
      Instant updated = null;
      Map<String, Long> fences = Map.of();
      String name;
      int seen = 0;
      while ((name = in.nextName(keys)) != null) {
        push(name);
        Token t = next();
        switch (name) {
          case "version": seen = once(seen, 1); version = readString(t); break;
          case "fences": seen = once(seen, 32); fences = readFences(t); break;
          case "serial":
            seen = once(seen, 2);
            if (t != Token.INT) {
              throw damage("expected a whole number, found " + describe(t));
            }
            serial = in.longValue(-1);
            if (serial < 0) {
              throw damage("serial " + in.numberText() + (in.numberText().startsWith("-") ? " is negative" : " is larger than " + Long.MAX_VALUE));
            }
            break;
          case "lineage": seen = once(seen, 4); lineage = readString(t); break;
          case "created_at": seen = once(seen, 8); created = readTime(t); break;
          case "updated_at": seen = once(seen, 16); updated = readTime(t); break;
          default: throw unknownField(name);
        }
        pop();
      }
      if (version == null) {
        throw damage(path() + ".version", -1, "the format version is missing", null);
      }
      checkVersion(version);
      return new Metadata(version, serial, lineage, created, updated, fences);
    }

    /**
     * Reads {@code metadata.fences}: an object of lock names to fencing tokens (whole numbers,
     * 0 or more), or {@code null} for none. Self-contained: it needs only the reader, the path
     * and the damage helpers.
     */
    Map<String, Long> readFences(Token t) {
      if (t == Token.NULL) {
        return Map.of();
      }
      expect(t, Token.START_OBJECT, "an object of lock names to fencing tokens");
      java.util.TreeMap<String, Long> fences = new java.util.TreeMap<>();
      String lock;
      while ((lock = in.nextName(null)) != null) {
        push(lock);
        Token v = next();
        if (v != Token.INT) {
          throw damage("expected a whole number (a fencing token), found " + describe(v));
        }
        long token = in.longValue(-1);
        if (token < 0) {
          throw damage("fencing token " + in.numberText() + (in.numberText().startsWith("-") ? " is negative" : " is larger than " + Long.MAX_VALUE));
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

    void checkVersion(String version) {
      String[] parts = version.split("\\.", -1);
      try {
        int major = Integer.parseInt(parts[0]);
        int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        if (major > 1 || (major == 1 && minor > 0)) {
          throw new UnsupportedFormatVersionException(source, version, Metadata.FORMAT_VERSION);
        }
        if (major < 1) {
          throw damage(path() + ".version", -1, "format version '" + version + "' is not valid", null);
        }
      } catch (NumberFormatException e) {
        throw damage(path() + ".version", -1, "format version '" + version + "' is not of the form MAJOR.MINOR", e);
      }
    }

    PersistentMap<HostState> readHosts() {
      PersistentMap.Builder<HostState> hosts = PersistentMap.builder();
      String key;
      while ((key = in.nextName(null)) != null) { // unique: not pooled
        push(key);
        expect(next(), Token.START_OBJECT, "a host object");
        if (!hosts.add(key, readHost(key))) {
          throw duplicateKey();
        }
        pop();
      }
      return hosts.build();
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
      while ((field = in.nextName(keys)) != null) {
        push(field);
        Token t = next();
        switch (field) {
          case "name":
            seen = once(seen, 1);
            expectString(t);
            name = in.stringEquals(key) ? key : in.string(); // one string for both
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
        throw damage(path() + ".name", -1, "the host name is missing", null);
      }
      return new HostState(name, address, port, user, vars, group, created, updated);
    }

    PersistentMap<ResourceState> readResources() {
      PersistentMap.Builder<ResourceState> resources = PersistentMap.builder();
      String key;
      while ((key = in.nextName(null)) != null) { // unique: not pooled
        push(key);
        expect(next(), Token.START_OBJECT, "a resource object");
        if (!resources.add(key, readResource())) {
          throw duplicateKey();
        }
        pop();
      }
      return resources.build();
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
      while ((field = in.nextName(keys)) != null) {
        push(field);
        Token t = next();
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
        throw damage(path() + ".type", -1, "the resource type is missing", null);
      }
      if (id == null) {
        throw damage(path() + ".id", -1, "the resource id is missing", null);
      }
      @SuppressWarnings("unchecked")
      Map<String, String> stringTags = (Map<String, String>) (Map<String, ?>) tags;
      return new ResourceState(type, id, name, data, stringTags, created, updated);
    }

    Map<String, Object> readTags(Token t) {
      if (t == Token.NULL) {
        return Map.of();
      }
      expect(t, Token.START_OBJECT, "an object of string tags");
      return readEntries(true);
    }

    String readString(Token t) {
      expectString(t);
      return in.string();
    }

    void expectString(Token t) {
      if (t != Token.STRING) {
        throw damage("expected a string, found " + describe(t));
      }
    }

    int readPort(Token t) {
      if (t != Token.INT) {
        throw damage("expected a whole number, found " + describe(t));
      }
      long port = in.longValue(-1);
      if (port < 0 || port > 65535) {
        throw damage("port " + in.numberText() + " is outside 0..65535");
      }
      return (int) port;
    }

    Instant readTime(Token t) {
      expectString(t);
      int at = in.rawStart();
      int length = in.stringLength();
      if (at >= 0 && in.rawEquals(lastTimeAt, lastTimeLength)) {
        return lastTime;
      }
      Instant parsed = at >= 0 ? utc(in.document(), at, length) : null;
      if (parsed == null) {
        String text = in.string();
        try {
          parsed = parseTime(text);
        } catch (DateTimeParseException e) {
          throw damage("'" + text + "' is not an RFC 3339 timestamp");
        }
      }
      if (at >= 0) {
        lastTimeAt = at;
        lastTimeLength = length;
        lastTime = parsed;
      }
      return parsed;
    }

    /** Reads a string value that tends to repeat (a user, a group, a type): see {@link #pooled}. */
    String readPooled(Token t) {
      expectString(t);
      return pooled();
    }

    /**
     * The string value just read, as one instance for equal short strings that tend to repeat
     * (users, groups, types, values): they would otherwise be held once per host or resource. It
     * is looked up from the document's bytes, so a repeated value allocates nothing.
     */
    String pooled() {
      return in.stringLength() > 32 ? in.string() : in.pooled(values);
    }

    Map<String, Object> readObjectOrNull(Token t) {
      if (t == Token.NULL) {
        return Map.of();
      }
      expect(t, Token.START_OBJECT, "an object");
      return readObject();
    }

    Map<String, Object> readObject() {
      return readEntries(false);
    }

    /** Reads the members of an object into a frozen map; {@code tags}: values must be strings. */
    Map<String, Object> readEntries(boolean tags) {
      int level = depth;
      Object[] kv = scratch(level);
      int n = 0;
      java.util.HashSet<String> seen = null;
      String key;
      while ((key = in.nextName(keys)) != null) {
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
        Token v = next();
        Object value;
        if (tags) {
          if (v != Token.STRING) {
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
      return Json.ofDistinctEntries(java.util.Arrays.copyOf(kv, 2 * n), n);
    }

    /**
     * The buffer for the members or elements of the object or array being read at a path depth:
     * each is read into its level's buffer, then copied once at its exact size.
     */
    Object[] scratch(int level) {
      Object[] buffer = scratch[level];
      return buffer != null ? buffer : (scratch[level] = new Object[16]);
    }

    /** A level's buffer made twice as long, keeping what it holds. */
    Object[] grown(int level) {
      return scratch[level] = java.util.Arrays.copyOf(scratch[level], scratch[level].length * 2);
    }

    Object readValue(Token t) {
      if (t == null) {
        throw damage("the JSON is truncated");
      }
      switch (t) {
        case STRING: return pooled();
        case TRUE: return Boolean.TRUE;
        case FALSE: return Boolean.FALSE;
        case NULL: return null;
        case INT:
          return in.integer();
        case FLOAT:
          double d = in.doubleValue();
          if (Double.isInfinite(d)) {
            throw damage("number " + in.numberText() + " is out of the range of a double");
          }
          return d;
        case START_OBJECT: return readObject();
        case START_ARRAY:
          int level = depth;
          Object[] elements = scratch(level);
          Token e;
          int i = 0;
          while ((e = next()) != Token.END_ARRAY) {
            push(i);
            Object element = readValue(e);
            if (i == elements.length) {
              elements = grown(level);
            }
            elements[i++] = element;
            pop();
          }
          return Json.ofElements(java.util.Arrays.copyOf(elements, i));
        default:
          throw damage("unexpected " + describe(t));
      }
    }
  }

  /** Go's {@code json.MarshalIndent(v, "", "  ")} layout. */
  private static final class GoPrettyPrinter implements PrettyPrinter {
    /** A newline and the indent of the deepest level a decoded document can have. */
    private static final char[] INDENT = ("\n" + "  ".repeat(MAX_DEPTH)).toCharArray();

    private int depth;

    private void newline(JsonGenerator g) {
      int n = 1 + 2 * depth;
      if (n <= INDENT.length) {
        g.writeRaw(INDENT, 0, n);
        return;
      }
      g.writeRaw('\n');
      for (int i = 0; i < depth; i++) {
        g.writeRaw("  ");
      }
    }

    @Override
    public void writeRootValueSeparator(JsonGenerator g) {
      g.writeRaw('\n');
    }

    @Override
    public void writeStartObject(JsonGenerator g) {
      g.writeRaw('{');
      depth++;
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) {
      newline(g);
    }

    @Override
    public void writeObjectNameValueSeparator(JsonGenerator g) {
      g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) {
      g.writeRaw(',');
      newline(g);
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) {
      depth--;
      if (entries > 0) {
        newline(g);
      }
      g.writeRaw('}');
    }

    @Override
    public void writeStartArray(JsonGenerator g) {
      g.writeRaw('[');
      depth++;
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) {
      newline(g);
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) {
      g.writeRaw(',');
      newline(g);
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) {
      depth--;
      if (values > 0) {
        newline(g);
      }
      g.writeRaw(']');
    }
  }
}
