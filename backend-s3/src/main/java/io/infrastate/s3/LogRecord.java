package io.infrastate.s3;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.UnsupportedFormatVersionException;
import io.infrastate.codec.StateCodec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;

/**
 * One committed version in the log ({@code log/<serial>.json}): who, what, why and when, plus
 * either the whole state ({@link Kind#FULL}) or what changed since the previous serial ({@link
 * Kind#DELTA}).
 *
 * <h2>Format</h2>
 *
 * Two JSON documents separated by a newline, so that {@code aws s3 cp … - | jq .} shows both:
 *
 * <pre>
 * {"infrastate_log":1,"serial":12,"lineage":"…","kind":"delta","time":"…","operator":"…",
 *  "operation":"…","reason":"…","commit":"…","removed_hosts":["db01"],"removed_resources":[],
 *  "locks":{"deploy":7}}
 * { state.json document: metadata of version 12, and the hosts and resources it put }
 * </pre>
 *
 * The header is one line; {@code commit} is the id of the write that made the version ({@link
 * io.infrastate.spi.SaveRequest#writeId()}), by which a writer whose reply was lost recognises its
 * own commit. The payload is a state.json document (Go-FTL2 format, read and validated
 * by {@link StateCodec}): for {@code full}, the complete state; for {@code delta}, the new metadata
 * plus every host and resource added or replaced by this version (its final value); removals are
 * listed in the header. Applying a delta = remove the listed keys, put the payload's entries, take
 * the payload's metadata.
 *
 * <p>A record may also be a bare state.json document without a header: a full version committed
 * by another tool (created with {@code If-None-Match: *} like any commit). It has no audit entry.
 *
 * <p>Instances are immutable and thread-safe.
 */
record LogRecord(
    long serial,
    String lineage,
    LogRecord.Kind kind,
    Instant time,
    String operator,
    String operation,
    String reason,
    String commit,
    Snapshot payload,
    List<String> removedHosts,
    List<String> removedResources,
    int size,
    Map<String, Long> locks) {

  /** Whether a record holds the whole state or a change. */
  enum Kind {
    /** The whole state. */
    FULL,
    /** The change since the previous serial. */
    DELTA
  }

  /** The log format version written and understood. */
  static final int FORMAT = 1;

  private static final byte[] MAGIC = "{\"infrastate_log\":".getBytes(StandardCharsets.US_ASCII);

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(4)
                  .maxStringLength(StateCodec.MAX_STRING_LENGTH)
                  .maxNumberLength(32)
                  .build())
          .build();

  LogRecord {
    removedHosts = List.copyOf(removedHosts);
    removedResources = List.copyOf(removedResources);
    locks = locks == null ? Map.of() : Map.copyOf(locks);
  }

  /** The payload's hosts and resources applied to a base (mutated in place). */
  void applyTo(TreeMap<String, HostState> hosts, TreeMap<String, ResourceState> resources) {
    if (kind == Kind.FULL) {
      hosts.clear();
      resources.clear();
    }
    for (String h : removedHosts) {
      hosts.remove(h);
    }
    for (String r : removedResources) {
      resources.remove(r);
    }
    hosts.putAll(payload.hosts());
    resources.putAll(payload.resources());
  }

  /**
   * Encodes a record.
   *
   * @param payload for FULL the complete state, for DELTA the metadata and the entries put
   */
  static byte[] encode(
      Kind kind,
      Snapshot payload,
      io.infrastate.model.AuditEntry audit,
      String commit,
      List<String> removedHosts,
      List<String> removedResources) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512 + 300 * (payload.hosts().size() + payload.resources().size()));
    try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeNumberProperty("infrastate_log", FORMAT);
      g.writeNumberProperty("serial", payload.metadata().serial());
      g.writeStringProperty("lineage", payload.metadata().lineage());
      g.writeStringProperty("kind", kind == Kind.FULL ? "full" : "delta");
      g.writeStringProperty("time", StateCodec.formatTime(payload.metadata().updatedAt()));
      g.writeStringProperty("operator", audit.operator());
      g.writeStringProperty("operation", audit.operation());
      g.writeStringProperty("reason", audit.reason());
      g.writeStringProperty("commit", commit);
      g.writeName("removed_hosts");
      writeStrings(g, removedHosts);
      g.writeName("removed_resources");
      writeStrings(g, removedResources);
      if (!audit.locks().isEmpty()) {
        g.writeName("locks");
        g.writeStartObject();
        for (Map.Entry<String, Long> e : audit.locks().entrySet()) {
          g.writeNumberProperty(e.getKey(), e.getValue());
        }
        g.writeEndObject();
      }
      g.writeEndObject();
      g.flush();
    } catch (JacksonException e) {
      throw new io.infrastate.model.BackendException("Could not encode a log record: " + e.getOriginalMessage(), e, false);
    }
    out.write('\n');
    StateCodec.write(payload, out);
    return out.toByteArray();
  }

  private static void writeStrings(JsonGenerator g, List<String> values) {
    g.writeStartArray();
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  /**
   * Decodes a record.
   *
   * @param content the object's bytes
   * @param source the object's {@code s3://} URI, for messages
   * @param hint where good versions are, appended to damage messages
   * @throws CorruptStateException naming the object and JSON path for any damage
   * @throws UnsupportedFormatVersionException for a newer log or state format
   */
  static LogRecord decode(byte[] content, String source, String hint) {
    if (!startsWith(content, MAGIC)) {
      Snapshot s = StateCodec.decode(content, source, hint);
      return new LogRecord(
          s.metadata().serial(), s.metadata().lineage(), Kind.FULL, s.metadata().updatedAt(),
          "", "", "", "", s, List.of(), List.of(), content.length, Map.of());
    }
    int nl = indexOf(content, (byte) '\n');
    if (nl < 0) {
      throw damage(source, "$", "the record ends inside its header line (it is truncated)", hint, null);
    }
    Header h = new Header();
    try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), content, 0, nl)) {
      h.read(p, source, hint);
    } catch (JacksonException e) {
      throw damage(source, "$", "the header line is not valid JSON: " + e.getOriginalMessage(), hint, e);
    }
    if (h.format > FORMAT) {
      throw new UnsupportedFormatVersionException(source, "log " + h.format, "log " + FORMAT);
    }
    Snapshot payload = StateCodec.decode(Arrays.copyOfRange(content, nl + 1, content.length), source, hint);
    if (payload.metadata().serial() != h.serial) {
      throw damage(source, "$.metadata.serial", "the payload has serial " + payload.metadata().serial()
          + " but the header says " + h.serial, hint, null);
    }
    if (!payload.metadata().lineage().equals(h.lineage)) {
      throw damage(source, "$.metadata.lineage", "the payload has lineage '" + payload.metadata().lineage()
          + "' but the header says '" + h.lineage + "'", hint, null);
    }
    if (h.kind == Kind.FULL && (!h.removedHosts.isEmpty() || !h.removedResources.isEmpty())) {
      throw damage(source, "$.removed_hosts", "a full record lists removals", hint, null);
    }
    return new LogRecord(h.serial, h.lineage, h.kind, h.time, h.operator, h.operation, h.reason, h.commit,
        payload, h.removedHosts, h.removedResources, content.length, h.locks);
  }

  /** The header fields as they are read. */
  private static final class Header {
    int format;
    long serial = -1;
    String lineage;
    Kind kind;
    Instant time;
    String operator = "";
    String operation = "";
    String reason = "";
    String commit = "";
    List<String> removedHosts = List.of();
    List<String> removedResources = List.of();
    Map<String, Long> locks = Map.of();

    void read(JsonParser p, String source, String hint) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw damage(source, "$", "the header is not a JSON object", hint, null);
      }
      String field;
      while ((field = p.nextName()) != null) {
        JsonToken t = p.nextToken();
        String path = "$." + field;
        switch (field) {
          case "infrastate_log" -> format = (int) number(p, t, source, path, hint);
          case "serial" -> serial = number(p, t, source, path, hint);
          case "lineage" -> lineage = string(p, t, source, path, hint);
          case "kind" -> {
            String k = string(p, t, source, path, hint);
            kind = switch (k) {
              case "full" -> Kind.FULL;
              case "delta" -> Kind.DELTA;
              default -> throw damage(source, path, "unknown kind '" + k + "' (expected full or delta)", hint, null);
            };
          }
          case "time" -> {
            String s = string(p, t, source, path, hint);
            try {
              time = StateCodec.parseTime(s);
            } catch (DateTimeParseException e) {
              throw damage(source, path, "'" + s + "' is not an RFC 3339 timestamp", hint, e);
            }
          }
          case "operator" -> operator = string(p, t, source, path, hint);
          case "operation" -> operation = string(p, t, source, path, hint);
          case "reason" -> reason = string(p, t, source, path, hint);
          case "commit" -> commit = string(p, t, source, path, hint);
          case "removed_hosts" -> removedHosts = strings(p, t, source, path, hint);
          case "removed_resources" -> removedResources = strings(p, t, source, path, hint);
          case "locks" -> locks = tokens(p, t, source, path, hint);
          default -> throw damage(source, path, "unknown header field '" + field + "'", hint, null);
        }
      }
      if (p.nextToken() != null) {
        throw damage(source, "$", "unexpected content after the header object", hint, null);
      }
      if (serial < 0) {
        throw damage(source, "$.serial", "the serial is missing or negative", hint, null);
      }
      if (lineage == null) {
        throw damage(source, "$.lineage", "the lineage is missing", hint, null);
      }
      if (kind == null) {
        throw damage(source, "$.kind", "the kind is missing", hint, null);
      }
      if (time == null) {
        throw damage(source, "$.time", "the time is missing", hint, null);
      }
    }
  }

  private static long number(JsonParser p, JsonToken t, String source, String path, String hint) {
    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw damage(source, path, "expected a whole number", hint, null);
    }
    return p.getLongValue();
  }

  private static String string(JsonParser p, JsonToken t, String source, String path, String hint) {
    if (t != JsonToken.VALUE_STRING) {
      throw damage(source, path, "expected a string", hint, null);
    }
    return p.getString();
  }

  private static Map<String, Long> tokens(JsonParser p, JsonToken t, String source, String path, String hint) {
    if (t != JsonToken.START_OBJECT) {
      throw damage(source, path, "expected an object of lock names to fencing tokens", hint, null);
    }
    Map<String, Long> out = new TreeMap<>();
    String name;
    while ((name = p.nextName()) != null) {
      long token = number(p, p.nextToken(), source, path + "." + name, hint);
      if (token < 0) {
        throw damage(source, path + "." + name, "a fencing token must not be negative", hint, null);
      }
      out.put(name, token);
    }
    return out;
  }

  private static List<String> strings(JsonParser p, JsonToken t, String source, String path, String hint) {
    if (t != JsonToken.START_ARRAY) {
      throw damage(source, path, "expected an array of strings", hint, null);
    }
    List<String> out = new ArrayList<>();
    JsonToken e;
    while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
      if (e != JsonToken.VALUE_STRING) {
        throw damage(source, path + "[" + out.size() + "]", "expected a string", hint, null);
      }
      out.add(p.getString());
    }
    return out;
  }

  static CorruptStateException damage(String source, String path, String what, String hint, Throwable cause) {
    StringBuilder sb = new StringBuilder("Log record ").append(source).append(" is damaged at ").append(path)
        .append(": ").append(what).append(". It was not modified");
    if (hint != null && !hint.isEmpty()) {
      sb.append("; ").append(hint);
    }
    sb.append('.');
    return new CorruptStateException(source, path, sb.toString(), cause);
  }

  private static boolean startsWith(byte[] content, byte[] prefix) {
    if (content.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (content[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] content, byte b) {
    for (int i = 0; i < content.length; i++) {
      if (content[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** An encoded record and its decoded form (to cache without decoding it again). */
  record Encoded(byte[] bytes, LogRecord record) {}

  /**
   * The record for a save: full for a first commit or when the changes replace everything;
   * otherwise a delta holding the final value of every key the changes touched (or its removal).
   */
  static Encoded forSave(io.infrastate.spi.SaveRequest request, String commit, boolean forceFull) {
    Snapshot next = request.snapshot();
    io.infrastate.model.AuditEntry audit = request.audit();
    boolean full = forceFull;
    java.util.Set<String> hostKeys = new java.util.LinkedHashSet<>();
    java.util.Set<String> resourceKeys = new java.util.LinkedHashSet<>();
    for (io.infrastate.spi.Change c : request.changes()) {
      if (c instanceof io.infrastate.spi.Change.PutHost p) {
        hostKeys.add(p.host().name());
      } else if (c instanceof io.infrastate.spi.Change.RemoveHost r) {
        hostKeys.add(r.name());
      } else if (c instanceof io.infrastate.spi.Change.PutResource p) {
        resourceKeys.add(p.key());
      } else if (c instanceof io.infrastate.spi.Change.RemoveResource r) {
        resourceKeys.add(r.key());
      } else {
        full = true;
      }
    }
    Kind kind = full ? Kind.FULL : Kind.DELTA;
    Snapshot payload = next;
    List<String> removedHosts = new ArrayList<>();
    List<String> removedResources = new ArrayList<>();
    if (!full) {
      List<String> putHosts = new ArrayList<>();
      List<String> putResources = new ArrayList<>();
      for (String h : hostKeys) {
        (next.hosts().containsKey(h) ? putHosts : removedHosts).add(h);
      }
      for (String r : resourceKeys) {
        (next.resources().containsKey(r) ? putResources : removedResources).add(r);
      }
      payload = deltaPayload(next, putHosts, putResources);
    }
    byte[] bytes = encode(kind, payload, audit, commit, removedHosts, removedResources);
    LogRecord rec = new LogRecord(next.metadata().serial(), next.metadata().lineage(), kind,
        next.metadata().updatedAt(), audit.operator(), audit.operation(), audit.reason(), commit, payload,
        removedHosts, removedResources, bytes.length, audit.locks());
    return new Encoded(bytes, rec);
  }

  /** Builds a delta payload: the new metadata and the final value of every key put. */
  static Snapshot deltaPayload(Snapshot next, Iterable<String> putHosts, Iterable<String> putResources) {
    TreeMap<String, HostState> hosts = new TreeMap<>();
    for (String h : putHosts) {
      hosts.put(h, next.hosts().get(h));
    }
    TreeMap<String, ResourceState> resources = new TreeMap<>();
    for (String r : putResources) {
      resources.put(r, next.resources().get(r));
    }
    return Snapshot.of(next.metadata(), hosts, resources);
  }
}
