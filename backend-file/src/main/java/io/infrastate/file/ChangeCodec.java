package io.infrastate.file;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.Violation;
import io.infrastate.codec.StateCodec;
import io.infrastate.codec.StateEntries;
import io.infrastate.model.CorruptStateException;
import io.infrastate.internal.StructuralRules;
import io.infrastate.spi.Change;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * The changes inside a journal record ({@link JournalCodec} frames them): {@code put_host}, {@code
 * remove_host}, {@code put_resource}, {@code remove_resource} and {@code replace_all}, with hosts and
 * resources as state.json holds them, written and read by the codec's {@link StateEntries}. Content
 * that does not parse, or breaks a structural rule, is reported as {@link Bad}.
 *
 * <p>Stateless and thread-safe.
 */
final class ChangeCodec {
  private ChangeCodec() {}

  static void writeChange(JsonGenerator g, Change c) {
    g.writeStartObject();
    if (c instanceof Change.PutHost p) {
      g.writeStringProperty("op", "put_host");
      g.writeName("host");
      StateEntries.writeHost(g, p.host());
    } else if (c instanceof Change.RemoveHost r) {
      g.writeStringProperty("op", "remove_host");
      g.writeStringProperty("name", r.name());
    } else if (c instanceof Change.PutResource p) {
      g.writeStringProperty("op", "put_resource");
      g.writeStringProperty("key", p.key());
      g.writeName("resource");
      StateEntries.writeResource(g, p.resource());
    } else if (c instanceof Change.RemoveResource r) {
      g.writeStringProperty("op", "remove_resource");
      g.writeStringProperty("key", r.key());
    } else if (c instanceof Change.ReplaceAll r) {
      g.writeStringProperty("op", "replace_all");
      writeAll(g, "hosts", r.content().hosts(), StateEntries::writeHost);
      writeAll(g, "resources", r.content().resources(), StateEntries::writeResource);
    } else {
      throw new IllegalArgumentException("unknown change type " + c.getClass().getName());
    }
    g.writeEndObject();
  }

  /** Writes {@code "name": {key: item, ...}}. */
  private static <T> void writeAll(JsonGenerator g, String name, Map<String, T> items, BiConsumer<JsonGenerator, T> write) {
    g.writeName(name);
    g.writeStartObject();
    for (Map.Entry<String, T> e : items.entrySet()) {
      g.writeName(e.getKey());
      write.accept(g, e.getValue());
    }
    g.writeEndObject();
  }

  /** Content that is checksummed but not understood. */
  static final class Bad extends RuntimeException {
    Bad(String message) {
      super(message, null, false, false);
    }
  }

  /** Reads a record's fences or locks: an object of lock names to fencing tokens. */
  static Map<String, Long> readTokens(JsonParser p) {
    try {
      return HistoryFiles.readLocks(p);
    } catch (IllegalArgumentException e) {
      throw new Bad(e.getMessage());
    }
  }

  static Change readChange(JsonParser p) {
    String op = null;
    String name = null;
    String key = null;
    HostState host = null;
    ResourceState resource = null;
    TreeMap<String, HostState> hosts = null;
    TreeMap<String, ResourceState> resources = null;
    String field;
    while ((field = p.nextName()) != null) {
      JsonToken t = p.nextToken();
      switch (field) {
        case "op": op = readString(p, t); break;
        case "name": name = readString(p, t); break;
        case "key": key = readString(p, t); break;
        case "host": host = readOne(p, t, "host", ChangeCodec::readHost); break;
        case "resource": resource = readOne(p, t, "resource", ChangeCodec::readResource); break;
        case "hosts": hosts = readAll(p, t, "host", ChangeCodec::readHost); break;
        case "resources": resources = readAll(p, t, "resource", ChangeCodec::readResource); break;
        default: throw new Bad("unknown change field '" + field + "'");
      }
    }
    if (op == null) {
      throw new Bad("a change has no op");
    }
    List<Violation> violations = new ArrayList<>();
    Change change;
    switch (op) {
      case "put_host":
        require(host, "put_host without host");
        StructuralRules.checkHost(host.name(), host, violations);
        change = new Change.PutHost(host);
        break;
      case "remove_host":
        change = new Change.RemoveHost(require(name, "remove_host without name"));
        break;
      case "put_resource":
        require(key, "put_resource without key");
        require(resource, "put_resource without resource");
        StructuralRules.checkResource(key, resource, violations);
        change = new Change.PutResource(key, resource);
        break;
      case "remove_resource":
        change = new Change.RemoveResource(require(key, "remove_resource without key"));
        break;
      case "replace_all":
        TreeMap<String, HostState> h = hosts == null ? new TreeMap<>() : hosts;
        TreeMap<String, ResourceState> r = resources == null ? new TreeMap<>() : resources;
        h.forEach((k, v) -> StructuralRules.checkHost(k, v, violations));
        r.forEach((k, v) -> StructuralRules.checkResource(k, v, violations));
        change = new Change.ReplaceAll(Snapshot.of(new Metadata(Metadata.FORMAT_VERSION, 0, "", null, null), h, r));
        break;
      default:
        throw new Bad("unknown change op '" + op + "'");
    }
    if (!violations.isEmpty()) {
      throw new Bad(violations.get(0).path() + ": " + violations.get(0).message());
    }
    return change;
  }

  /** Reads a host or resource object, the parser at {@code t}. */
  private static <T> T readOne(JsonParser p, JsonToken t, String what, Function<JsonParser, T> read) {
    expect(t, JsonToken.START_OBJECT, "a " + what + " object");
    return read.apply(p);
  }

  /** Reads an object of hosts or resources by key, the parser at {@code t}. */
  private static <T> TreeMap<String, T> readAll(JsonParser p, JsonToken t, String what, Function<JsonParser, T> read) {
    expect(t, JsonToken.START_OBJECT, "an object of " + what + "s");
    TreeMap<String, T> out = new TreeMap<>();
    String key;
    while ((key = p.nextName()) != null) {
      out.put(key, readOne(p, p.nextToken(), what, read));
    }
    return out;
  }

  private static <T> T require(T value, String what) {
    if (value == null) {
      throw new Bad(what);
    }
    return value;
  }

  /** Reads a host through the codec's reader; damage is reported as {@link Bad}. */
  private static HostState readHost(JsonParser p) {
    try {
      return StateEntries.readHost(p, "the host");
    } catch (CorruptStateException e) {
      throw new Bad(e.getMessage());
    }
  }

  /** Reads a resource through the codec's reader; damage is reported as {@link Bad}. */
  private static ResourceState readResource(JsonParser p) {
    try {
      return StateEntries.readResource(p, "the resource");
    } catch (CorruptStateException e) {
      throw new Bad(e.getMessage());
    }
  }

  static void expect(JsonToken actual, JsonToken expected, String what) {
    if (actual != expected) {
      throw new Bad("expected " + what + ", found " + actual);
    }
  }

  static String readString(JsonParser p, JsonToken t) {
    expect(t, JsonToken.VALUE_STRING, "a string");
    return p.getString();
  }

  static long readLong(JsonParser p, JsonToken t) {
    expect(t, JsonToken.VALUE_NUMBER_INT, "a whole number");
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw new Bad("number " + p.getString() + " is too large");
    }
    return p.getLongValue();
  }

  static Instant readTime(JsonParser p, JsonToken t) {
    String text = readString(p, t);
    try {
      return StateCodec.parseTime(text);
    } catch (DateTimeParseException e) {
      throw new Bad("'" + text + "' is not an RFC 3339 timestamp");
    }
  }
}
