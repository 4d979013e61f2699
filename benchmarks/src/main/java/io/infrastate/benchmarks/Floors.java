package io.infrastate.benchmarks;

import io.infrastate.model.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The physical floors the contenders are measured against: raw Jackson serialization and parsing of
 * the same data (plain objects in sorted maps, no validation, no freezing), both through databind
 * and through the streaming generator/parser by hand (the harness takes the faster as the floor),
 * a bare durable file replacement (write a temporary file, fsync, rename, fsync the directory), and
 * a bare durable small write ({@link DurableAppender}), and bare group commit of concurrent small
 * writes ({@link GroupAppender}).
 *
 * <p>The static methods are stateless and thread-safe; a {@link DurableAppender} belongs to one
 * writer thread, a {@link GroupAppender} is shared by many.
 */
public final class Floors {
  /**
   * Holds the databind mapper, so that the streaming floors never load databind: a first load in a
   * fresh JVM ({@link ColdLoad}) must not pay for classes its parse does not use.
   */
  private static final class Databind {
    static final JsonMapper PRETTY =
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS).build();
  }

  private static final ObjectWriteContext PRETTY_CONTEXT =
      new ObjectWriteContext.Base() {
        @Override
        public PrettyPrinter getPrettyPrinter() {
          return new DefaultPrettyPrinter();
        }

        @Override
        public boolean hasPrettyPrinter() {
          return true;
        }
      };

  private Floors() {}

  /**
   * The same data as plain objects, in sorted maps (so that serializing needs no sorting).
   *
   * @param s the content
   * @return the Go-format file object
   */
  public static GoFtl2.StateFile plain(Snapshot s) {
    GoFtl2.StateFile f = new GoFtl2.StateFile();
    f.metadata = new GoFtl2.Metadata();
    f.metadata.createdAt = s.metadata().createdAt();
    f.metadata.updatedAt = s.metadata().updatedAt();
    TreeMap<String, GoFtl2.HostState> hosts = new TreeMap<>();
    s.hosts().values().forEach(h -> hosts.put(h.name(), GoFtl2.fromHost(h)));
    TreeMap<String, GoFtl2.ResourceState> resources = new TreeMap<>();
    s.resources().forEach((k, r) -> resources.put(k, GoFtl2.fromResource(r)));
    f.hosts = hosts;
    f.resources = resources;
    return f;
  }

  /**
   * Raw serialization.
   *
   * @param f the data
   * @return indented JSON bytes
   */
  public static byte[] serialize(GoFtl2.StateFile f) {
    return Databind.PRETTY.writeValueAsBytes(f);
  }

  /**
   * Raw parsing.
   *
   * @param bytes JSON bytes
   * @return the data
   */
  public static GoFtl2.StateFile parse(byte[] bytes) {
    return Databind.PRETTY.readValue(bytes, GoFtl2.StateFile.class);
  }

  private static final JsonFactory FACTORY = new JsonFactory();

  /**
   * Jackson without its table of member names. Slower for a small document, whose names the table
   * keeps from one parse to the next; faster for a large one, whose many distinct keys overflow it
   * (it keeps at most 6,000), so that each parse adds every key to a table then dropped.
   */
  private static final JsonFactory NO_NAME_TABLE =
      JsonFactory.builder().disable(TokenStreamFactory.Feature.CANONICALIZE_PROPERTY_NAMES).build();

  /**
   * Raw streaming serialization: Jackson's generator writing the same indented document from the
   * plain objects, times formatted as RFC 3339 — the least a Jackson-based writer can do.
   *
   * @param f the data
   * @return indented JSON bytes
   */
  public static byte[] serializeStreaming(GoFtl2.StateFile f) {
    return serializeStreaming(f, Times.JAVA_TIME);
  }

  /** How the streaming floors turn timestamps into text and back. */
  public enum Times {
    /** java.time's ISO formatter and {@link Instant#parse}, as a plain Jackson user would. */
    JAVA_TIME,
    /** The hand-written RFC 3339 formatter and parser infrastate's codec uses. */
    FAST,
    /**
     * Not at all: a constant text of the usual length is written, and the text read is dropped.
     * Below what any writer or reader of the model's instants can do; a reference, not a floor.
     */
    NONE
  }

  /** A timestamp's text as it is written when timestamps are not formatted. */
  private static final String TIME_TEXT = "2026-01-15T10:30:00Z";

  /**
   * Raw streaming serialization with a choice of timestamp formatting.
   *
   * @param f the data
   * @param times how timestamps become text
   * @return indented JSON bytes
   */
  public static byte[] serializeStreaming(GoFtl2.StateFile f, Times times) {
    // sized up front as the codec sizes its buffer, so that the floor pays no regrowth copies
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096 + f.hosts.size() * 300 + f.resources.size() * 400);
    try (JsonGenerator g = FACTORY.createGenerator(PRETTY_CONTEXT, out)) {
      g.writeStartObject();
      g.writeName("metadata");
      g.writeStartObject();
      g.writeStringProperty("version", f.metadata.version);
      g.writeStringProperty("created_at", time(times, f.metadata.createdAt));
      g.writeStringProperty("updated_at", time(times, f.metadata.updatedAt));
      g.writeEndObject();
      g.writeName("hosts");
      g.writeStartObject();
      for (Map.Entry<String, GoFtl2.HostState> e : f.hosts.entrySet()) {
        GoFtl2.HostState h = e.getValue();
        g.writeName(e.getKey());
        g.writeStartObject();
        g.writeStringProperty("name", h.name);
        g.writeStringProperty("address", h.address);
        g.writeNumberProperty("port", h.port);
        g.writeStringProperty("user", h.user);
        if (h.vars != null && !h.vars.isEmpty()) {
          g.writeName("vars");
          writeValue(g, h.vars);
        }
        if (h.group != null && !h.group.isEmpty()) {
          g.writeStringProperty("group", h.group);
        }
        g.writeStringProperty("created_at", time(times, h.createdAt));
        g.writeStringProperty("updated_at", time(times, h.updatedAt));
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeName("resources");
      g.writeStartObject();
      for (Map.Entry<String, GoFtl2.ResourceState> e : f.resources.entrySet()) {
        GoFtl2.ResourceState r = e.getValue();
        g.writeName(e.getKey());
        g.writeStartObject();
        g.writeStringProperty("type", r.type);
        g.writeStringProperty("id", r.id);
        g.writeStringProperty("name", r.name);
        g.writeName("data");
        writeValue(g, r.data);
        if (r.tags != null && !r.tags.isEmpty()) {
          g.writeName("tags");
          writeValue(g, r.tags);
        }
        g.writeStringProperty("created_at", time(times, r.createdAt));
        g.writeStringProperty("updated_at", time(times, r.updatedAt));
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static String time(Times times, Instant t) {
    switch (times) {
      case FAST: return io.infrastate.codec.StateCodec.formatTime(t);
      case NONE: return TIME_TEXT;
      default: return DateTimeFormatter.ISO_INSTANT.format(t);
    }
  }

  private static void writeValue(JsonGenerator g, Object v) {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String str) {
      g.writeString(str);
    } else if (v instanceof Integer i) {
      g.writeNumber(i);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof Double d) {
      g.writeNumber(d);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      Map<?, ?> sorted = m instanceof java.util.SortedMap<?, ?> ? m : new TreeMap<>(m);
      for (Map.Entry<?, ?> e : sorted.entrySet()) {
        g.writeName((String) e.getKey());
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object o : list) {
        writeValue(g, o);
      }
      g.writeEndArray();
    } else {
      g.writeString(v.toString());
    }
  }

  /**
   * Raw streaming parse: Jackson's parser building the plain objects, times parsed as RFC 3339,
   * nothing checked — the least a Jackson-based reader can do.
   *
   * @param bytes JSON bytes
   * @return the data
   */
  public static GoFtl2.StateFile parseStreaming(byte[] bytes) {
    return parseStreaming(bytes, Times.JAVA_TIME);
  }

  /**
   * Raw streaming parse with a choice of timestamp parsing.
   *
   * @param bytes JSON bytes
   * @param times how timestamps are read ({@link Times#NONE}: the data comes without them)
   * @return the data
   */
  public static GoFtl2.StateFile parseStreaming(byte[] bytes, Times times) {
    return parseStreaming(bytes, times, true);
  }

  /**
   * Raw streaming parse with a choice of timestamp parsing, with or without Jackson's table of
   * member names.
   *
   * @param bytes JSON bytes
   * @param times how timestamps are read ({@link Times#NONE}: the data comes without them)
   * @param nameTable whether Jackson canonicalizes member names (its default)
   * @return the data
   */
  public static GoFtl2.StateFile parseStreaming(byte[] bytes, Times times, boolean nameTable) {
    GoFtl2.StateFile f = new GoFtl2.StateFile();
    f.hosts = new HashMap<>();
    f.resources = new HashMap<>();
    try (JsonParser p = (nameTable ? FACTORY : NO_NAME_TABLE).createParser(ObjectReadContext.empty(), bytes)) {
      p.nextToken();
      String section;
      while ((section = p.nextName()) != null) {
        p.nextToken();
        if (section.equals("metadata")) {
          f.metadata = new GoFtl2.Metadata();
          String k;
          while ((k = p.nextName()) != null) {
            p.nextToken();
            switch (k) {
              case "version": f.metadata.version = p.getString(); break;
              case "created_at": f.metadata.createdAt = instant(times, p.getString()); break;
              case "updated_at": f.metadata.updatedAt = instant(times, p.getString()); break;
              default: p.skipChildren();
            }
          }
        } else if (section.equals("hosts")) {
          String key;
          while ((key = p.nextName()) != null) {
            p.nextToken();
            GoFtl2.HostState h = new GoFtl2.HostState();
            String k;
            while ((k = p.nextName()) != null) {
              JsonToken t = p.nextToken();
              switch (k) {
                case "name": h.name = p.getString(); break;
                case "address": h.address = p.getString(); break;
                case "port": h.port = p.getIntValue(); break;
                case "user": h.user = p.getString(); break;
                case "group": h.group = p.getString(); break;
                case "vars": h.vars = readObject(p); break;
                case "created_at": h.createdAt = instant(times, p.getString()); break;
                case "updated_at": h.updatedAt = instant(times, p.getString()); break;
                default: skip(p, t);
              }
            }
            f.hosts.put(key, h);
          }
        } else if (section.equals("resources")) {
          String key;
          while ((key = p.nextName()) != null) {
            p.nextToken();
            GoFtl2.ResourceState r = new GoFtl2.ResourceState();
            String k;
            while ((k = p.nextName()) != null) {
              JsonToken t = p.nextToken();
              switch (k) {
                case "type": r.type = p.getString(); break;
                case "id": r.id = p.getString(); break;
                case "name": r.name = p.getString(); break;
                case "data": r.data = readObject(p); break;
                case "tags":
                  r.tags = new LinkedHashMap<>();
                  String tk;
                  while ((tk = p.nextName()) != null) {
                    p.nextToken();
                    r.tags.put(tk, p.getString());
                  }
                  break;
                case "created_at": r.createdAt = instant(times, p.getString()); break;
                case "updated_at": r.updatedAt = instant(times, p.getString()); break;
                default: skip(p, t);
              }
            }
            f.resources.put(key, r);
          }
        } else {
          p.skipChildren();
        }
      }
    }
    return f;
  }

  private static Instant instant(Times times, String text) {
    switch (times) {
      case FAST: return io.infrastate.codec.StateCodec.parseTime(text);
      case NONE: return null;
      default: return Instant.parse(text);
    }
  }

  private static void skip(JsonParser p, JsonToken t) {
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      p.skipChildren();
    }
  }

  private static Map<String, Object> readObject(JsonParser p) {
    LinkedHashMap<String, Object> m = new LinkedHashMap<>();
    String k;
    while ((k = p.nextName()) != null) {
      m.put(k, readValue(p, p.nextToken()));
    }
    return m;
  }

  private static Object readValue(JsonParser p, JsonToken t) {
    switch (t) {
      case START_OBJECT: return readObject(p);
      case START_ARRAY:
        List<Object> list = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          list.add(readValue(p, e));
        }
        return list;
      case VALUE_STRING: return p.getString();
      case VALUE_NUMBER_INT: return p.getNumberValue();
      case VALUE_NUMBER_FLOAT: return p.getDoubleValue();
      case VALUE_TRUE: return Boolean.TRUE;
      case VALUE_FALSE: return Boolean.FALSE;
      default: return null;
    }
  }

  /**
   * Writes all of {@code bytes} in slices of 1 MiB, as infrastate's file backends do: a heap buffer
   * written whole through a {@link FileChannel} is first copied into a temporary direct buffer of
   * its size, which the JDK reallocates whenever a write is larger than the last (a state that grows
   * by a host per save), so that a single write would measure a JDK quirk, not the design. Go
   * writes its slice directly.
   *
   * @param channel an open channel
   * @param bytes the bytes
   * @throws IOException if writing fails
   */
  static void writeAll(FileChannel channel, byte[] bytes) throws IOException {
    for (int off = 0; off < bytes.length; ) {
      ByteBuffer slice = ByteBuffer.wrap(bytes, off, Math.min(1 << 20, bytes.length - off));
      while (slice.hasRemaining()) {
        channel.write(slice);
      }
      off = slice.position();
    }
  }

  /**
   * A bare durable replacement: temporary file, write, fsync, rename, fsync directory.
   *
   * @param target the file to replace
   * @param bytes the content
   * @throws IOException on failure
   */
  public static void durableReplace(Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      writeAll(ch, bytes);
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /**
   * The floor of a small durable write: a record written into space of a file that was already
   * allocated and synced (as infrastate's journal keeps zeros ahead of its records), then one
   * {@code fdatasync}. No lock, no framing, no checksum. The file wraps around when full.
   *
   * <p>Not thread-safe: one writer thread.
   */
  public static final class DurableAppender implements AutoCloseable {
    private static final int SPACE = 16 << 20;
    private final FileChannel channel;
    private final int recordBytes;
    private ByteBuffer record;
    private long position;

    /**
     * Creates {@code file} with {@value #SPACE} bytes of zeros, synced.
     *
     * @param file the file to create (replaced if it exists)
     * @param recordBytes the size of each record
     * @throws IOException on failure
     */
    public DurableAppender(Path file, int recordBytes) throws IOException {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE);
      ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
      for (long at = 0; at < SPACE; at += zeros.capacity()) {
        zeros.clear();
        while (zeros.hasRemaining()) {
          channel.write(zeros, at + zeros.position());
        }
      }
      channel.force(true);
      this.recordBytes = recordBytes;
      record = filled(recordBytes);
    }

    /** A buffer of {@code bytes} bytes of {@code 'x'}: the records' content. */
    private static ByteBuffer filled(int bytes) {
      ByteBuffer b = ByteBuffer.allocate(bytes);
      while (b.hasRemaining()) {
        b.put((byte) 'x');
      }
      return b;
    }

    /**
     * Writes one record and waits until it is on the disk.
     *
     * @throws IOException on failure
     */
    public void append() throws IOException {
      append(1);
    }

    /**
     * Writes {@code count} records with one positional write and waits until they are on the disk.
     *
     * @param count how many records (at least 1)
     * @throws IOException on failure
     */
    public void append(int count) throws IOException {
      int bytes = count * recordBytes;
      if (record.capacity() < bytes) {
        record = filled(bytes);
      }
      if (position + bytes > SPACE) {
        position = 0;
      }
      record.clear().limit(bytes);
      while (record.hasRemaining()) {
        channel.write(record, position + record.position());
      }
      position += bytes;
      channel.force(false);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /**
   * The floor of concurrent durable small writes: group commit with no library code. A writer
   * queues its 300-byte record; the first writer that finds no leader leads: it gathers the writers
   * of the previous group (as {@code State} does: until as many are queued as the last group had,
   * arrivals at most 50 µs apart, at most half the last commit's time and 500 µs), writes every
   * queued record with one positional write into synced space and syncs once ({@code
   * fdatasync}); then it marks the group done, wakes it and hands the lead to the next queued
   * writer. Queued writers and the gathering leader wait either by parking (woken with {@code
   * unpark} and a condition) or by yielding the CPU until done; the two show what the wait itself
   * costs on this machine.
   *
   * <p>Thread-safe.
   */
  public static final class GroupAppender implements AutoCloseable {
    private static final int RECORD = 300;
    private static final long GAP_NANOS = 50_000;
    private static final long GATHER_MAX_NANOS = 500_000;
    private final DurableAppender file;
    private final boolean yielding;
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition arrived = lock.newCondition();
    private final java.util.ArrayDeque<Waiter> queue = new java.util.ArrayDeque<>();
    private boolean leading;
    private int lastGroup;
    private long lastCommitNanos;
    private long commits;

    /** One queued record's writer. */
    private static final class Waiter {
      final Thread thread = Thread.currentThread();
      volatile boolean done;
      volatile boolean turn;
    }

    /**
     * Creates the file as {@link DurableAppender} does.
     *
     * @param file the file to create (replaced if it exists)
     * @param yielding whether waiting writers yield the CPU instead of parking
     * @throws IOException on failure
     */
    public GroupAppender(Path file, boolean yielding) throws IOException {
      this.file = new DurableAppender(file, RECORD);
      this.yielding = yielding;
    }

    /**
     * Writes one record and waits until it is on the disk (with those of the other writers
     * waiting at the same time).
     *
     * @throws IOException on failure
     */
    public void append() throws IOException {
      Waiter me = new Waiter();
      lock.lock();
      queue.add(me);
      arrived.signal();
      while (leading) {
        lock.unlock();
        while (!me.done && !me.turn) {
          if (yielding) {
            Thread.yield();
          } else {
            java.util.concurrent.locks.LockSupport.park(this);
          }
        }
        if (me.done) {
          return;
        }
        lock.lock();
        me.turn = false;
      }
      leading = true;
      List<Waiter> group = new ArrayList<>();
      long took;
      try {
        if (lastGroup > 1) {
          gather();
        }
        for (Waiter w; (w = queue.poll()) != null; ) {
          group.add(w);
        }
      } finally {
        lock.unlock();
      }
      long started = System.nanoTime();
      try {
        file.append(group.size());
      } finally {
        took = System.nanoTime() - started;
        for (Waiter w : group) {
          w.done = true;
          if (!yielding && w != me) {
            java.util.concurrent.locks.LockSupport.unpark(w.thread);
          }
        }
        lock.lock();
        lastGroup = group.size();
        lastCommitNanos = took;
        commits++;
        leading = false;
        Waiter next = queue.peek();
        if (next != null) {
          next.turn = true;
          java.util.concurrent.locks.LockSupport.unpark(next.thread);
        }
        lock.unlock();
      }
    }

    private void gather() {
      long now = System.nanoTime();
      long deadline = now + Math.min(lastCommitNanos / 2, GATHER_MAX_NANOS);
      long gapEnd = now + GAP_NANOS;
      int seen = queue.size();
      while (seen < lastGroup) {
        long left = Math.min(deadline - now, gapEnd - now);
        if (left <= 0) {
          return;
        }
        if (yielding) {
          lock.unlock();
          Thread.yield();
          lock.lock();
        } else {
          try {
            arrived.awaitNanos(left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        now = System.nanoTime();
        if (queue.size() != seen) {
          seen = queue.size();
          gapEnd = now + GAP_NANOS;
        }
      }
    }

    /**
     * The durable writes (groups) so far.
     *
     * @return the number of syncs
     */
    public long commits() {
      lock.lock();
      try {
        return commits;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}
