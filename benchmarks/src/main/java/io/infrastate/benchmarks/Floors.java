package io.infrastate.benchmarks;

import io.infrastate.Snapshot;
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
 * a bare durable small write ({@link DurableAppender}).
 *
 * <p>The static methods are stateless and thread-safe; a {@link DurableAppender} belongs to one
 * writer thread.
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
    GoFtl2.StateFile f = new GoFtl2.StateFile();
    f.hosts = new HashMap<>();
    f.resources = new HashMap<>();
    try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), bytes)) {
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
   * A bare durable replacement: temporary file, write, fsync, rename, fsync directory.
   *
   * @param target the file to replace
   * @param bytes the content
   * @throws IOException on failure
   */
  public static void durableReplace(Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
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
    private final ByteBuffer record;
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
      record = ByteBuffer.allocate(recordBytes);
      while (record.hasRemaining()) {
        record.put((byte) 'x');
      }
    }

    /**
     * Writes one record and waits until it is on the disk.
     *
     * @throws IOException on failure
     */
    public void append() throws IOException {
      if (position + record.capacity() > SPACE) {
        position = 0;
      }
      record.clear();
      while (record.hasRemaining()) {
        channel.write(record, position + record.position());
      }
      position += record.capacity();
      channel.force(false);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
