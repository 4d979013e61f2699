package io.infrastate.lock;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.codec.StateCodec;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;

/**
 * Reads and writes a {@link LockInfo} as the JSON every lock provider stores (a lock file, a
 * committed lock file, a lock object), so that all of them interoperate and a person can read a
 * lock with {@code cat}:
 *
 * <pre>{@code
 * {
 *   "id": "lock_3f2a…",
 *   "name": "deploy",
 *   "operator": "alice@build-7",
 *   "timestamp": "2026-01-01T10:00:00Z",
 *   "operation": "deploy",
 *   "reason": "ticket OPS-42",
 *   "created_at": "2026-01-01T10:00:00Z",
 *   "expires_at": "2026-01-01T10:30:00Z",
 *   "pid": 4242,
 *   "hostname": "build-7",
 *   "token": 7,
 *   "released": false
 * }
 * }</pre>
 *
 * <p>{@code operator}, {@code timestamp}, {@code operation} and {@code reason} are the fields of
 * the GARZA lock-file format; {@code timestamp} repeats {@code created_at}. {@code token} is the
 * fencing token, {@code released} marks the record a released lock leaves behind (its {@code
 * expires_at} is then the release time); a document without them (written by a version without
 * tokens) reads as token 0, held. Times are RFC 3339
 * UTC. Decoding ignores unknown fields (a newer version may add some) and accepts a document
 * without {@code created_at} if it has {@code timestamp}.
 *
 * <p>This class is thread-safe and stateless.
 */
public final class LockInfoCodec {
  /** The largest lock document accepted, in bytes. */
  public static final int MAX_SIZE = 64 * 1024;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(8)
                  .maxStringLength(16 * 1024)
                  .maxNameLength(1024)
                  .maxNumberLength(32)
                  .build())
          .build();

  private static final ObjectWriteContext PRETTY =
      new ObjectWriteContext.Base() {
        @Override
        public PrettyPrinter getPrettyPrinter() {
          return new DefaultPrettyPrinter(
              Separators.createDefaultInstance()
                  .withObjectNameValueSpacing(Separators.Spacing.AFTER));
        }

        @Override
        public boolean hasPrettyPrinter() {
          return true;
        }
      };

  private LockInfoCodec() {}

  /**
   * Serializes a lock description: pretty-printed UTF-8 JSON with a final newline, fields in the
   * order shown above. The same lock always gives the same bytes.
   *
   * @param info the lock
   * @return the document
   */
  public static byte[] encode(LockInfo info) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = FACTORY.createGenerator(PRETTY, out)) {
      g.writeStartObject();
      g.writeStringProperty("id", info.id());
      g.writeStringProperty("name", info.name());
      g.writeStringProperty("operator", info.operator());
      g.writeStringProperty("timestamp", StateCodec.formatTime(info.createdAt()));
      g.writeStringProperty("operation", info.operation());
      g.writeStringProperty("reason", info.reason());
      g.writeStringProperty("created_at", StateCodec.formatTime(info.createdAt()));
      g.writeStringProperty("expires_at", StateCodec.formatTime(info.expiresAt()));
      g.writeNumberProperty("pid", info.pid());
      g.writeStringProperty("hostname", info.hostname());
      g.writeNumberProperty("token", info.token());
      g.writeBooleanProperty("released", info.released());
      g.writeEndObject();
      g.writeRaw('\n');
      g.flush();
    } catch (JacksonException e) {
      throw new BackendException("Could not encode lock " + info.name() + ": " + e.getOriginalMessage(), e, false);
    }
    return out.toByteArray();
  }

  /**
   * Parses a lock document.
   *
   * @param content the document
   * @param source where it came from (a file, object or commit), for messages
   * @return the lock description
   * @throws CorruptStateException if the document is empty, too large, not JSON, lacks {@code id},
   *     {@code name} or {@code expires_at}, or has a value of the wrong type; the message names
   *     the source, the JSON path and what to do
   */
  public static LockInfo decode(byte[] content, String source) {
    if (content.length == 0) {
      throw damage(source, "$", "the lock document is empty (0 bytes)", null);
    }
    if (content.length > MAX_SIZE) {
      throw damage(source, "$", "the lock document is " + content.length + " bytes, more than the "
          + MAX_SIZE + " a lock may have", null);
    }
    String id = null;
    String name = null;
    String operator = "";
    String operation = "";
    String reason = "";
    Instant timestamp = null;
    Instant created = null;
    Instant expires = null;
    long pid = 0;
    String hostname = "";
    long token = 0;
    boolean released = false;
    String field = null;
    try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), content)) {
      try {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          throw damage(source, "$", "expected a JSON object", null);
        }
        while ((field = p.nextName()) != null) {
          JsonToken t = p.nextToken();
          switch (field) {
            case "id" -> id = string(p, t, source, field);
            case "name" -> name = string(p, t, source, field);
            case "operator" -> operator = string(p, t, source, field);
            case "operation" -> operation = string(p, t, source, field);
            case "reason" -> reason = string(p, t, source, field);
            case "hostname" -> hostname = string(p, t, source, field);
            case "timestamp" -> timestamp = time(p, t, source, field);
            case "created_at" -> created = time(p, t, source, field);
            case "expires_at" -> expires = time(p, t, source, field);
            case "pid" -> {
              if (t != JsonToken.VALUE_NUMBER_INT) {
                throw damage(source, "$." + field, "expected an integer", null);
              }
              pid = p.getLongValue();
            }
            case "token" -> {
              if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                  || p.getLongValue() < 0) {
                throw damage(source, "$." + field, "expected a non-negative integer below 2^63", null);
              }
              token = p.getLongValue();
            }
            case "released" -> {
              if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                throw damage(source, "$." + field, "expected true or false", null);
              }
              released = t == JsonToken.VALUE_TRUE;
            }
            default -> p.skipChildren();
          }
          field = null;
        }
        if (p.nextToken() != null) {
          throw damage(source, "$", "unexpected content after the JSON object", null);
        }
      } catch (JacksonException e) {
        String msg = e.getOriginalMessage() == null ? "unknown parse error" : e.getOriginalMessage();
        int nl = msg.indexOf('\n');
        String at = field;
        if (at == null && msg.startsWith("Duplicate")) {
          at = p.currentName(); // the repeated property
        }
        throw damage(source, at == null ? "$" : "$." + at, "not valid JSON: " + (nl < 0 ? msg : msg.substring(0, nl)), e);
      }
    } catch (JacksonException e) {
      throw damage(source, "$", "not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (id == null || id.isEmpty()) {
      throw damage(source, "$.id", "the lock id is missing", null);
    }
    if (name == null || name.isEmpty()) {
      throw damage(source, "$.name", "the lock name is missing", null);
    }
    if (created == null) {
      created = timestamp;
    }
    if (created == null) {
      throw damage(source, "$.created_at", "the creation time is missing", null);
    }
    if (expires == null) {
      throw damage(source, "$.expires_at", "the expiry time is missing", null);
    }
    if (expires.isBefore(created)) {
      throw damage(source, "$.expires_at", "the lock expires (" + expires + ") before it was created (" + created + ")", null);
    }
    return new LockInfo(id, name, operator, operation, reason, created, expires, pid, hostname, token, released);
  }

  private static String string(JsonParser p, JsonToken t, String source, String field) {
    if (t != JsonToken.VALUE_STRING) {
      throw damage(source, "$." + field, "expected a string", null);
    }
    return p.getString();
  }

  private static Instant time(JsonParser p, JsonToken t, String source, String field) {
    String s = string(p, t, source, field);
    try {
      return StateCodec.parseTime(s);
    } catch (DateTimeParseException e) {
      throw damage(source, "$." + field, "'" + s + "' is not an RFC 3339 time", e);
    }
  }

  private static CorruptStateException damage(String source, String path, String what, Throwable cause) {
    return new CorruptStateException(
        source,
        path,
        "Lock " + source + " is damaged at " + path + ": " + what + ". It was not modified; if no"
            + " operation holds this lock, delete it by hand to free the lock.",
        cause);
  }
}
