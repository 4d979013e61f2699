package io.infrastate.file;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.Violation;
import io.infrastate.codec.StateCodec;
import io.infrastate.model.Json;
import io.infrastate.internal.StructuralRules;
import io.infrastate.spi.Change;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * remove_host}, {@code put_resource}, {@code remove_resource} and {@code replace_all}, hosts and
 * resources in the field names of state.json, and the JSON values a record holds. Content that
 * does not parse, or breaks a structural rule, is reported as {@link Bad}.
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
      writeHost(g, p.host());
    } else if (c instanceof Change.RemoveHost r) {
      g.writeStringProperty("op", "remove_host");
      g.writeStringProperty("name", r.name());
    } else if (c instanceof Change.PutResource p) {
      g.writeStringProperty("op", "put_resource");
      g.writeStringProperty("key", p.key());
      g.writeName("resource");
      writeResource(g, p.resource());
    } else if (c instanceof Change.RemoveResource r) {
      g.writeStringProperty("op", "remove_resource");
      g.writeStringProperty("key", r.key());
    } else if (c instanceof Change.ReplaceAll r) {
      g.writeStringProperty("op", "replace_all");
      writeAll(g, "hosts", r.content().hosts(), ChangeCodec::writeHost);
      writeAll(g, "resources", r.content().resources(), ChangeCodec::writeResource);
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

  private static void writeHost(JsonGenerator g, HostState h) {
    g.writeStartObject();
    g.writeStringProperty("name", h.name());
    g.writeStringProperty("address", h.address());
    g.writeNumberProperty("port", h.port());
    g.writeStringProperty("user", h.user());
    g.writeName("vars");
    Json.write(g, h.vars(), false);
    g.writeStringProperty("group", h.group());
    g.writeStringProperty("created_at", StateCodec.formatTime(h.createdAt()));
    g.writeStringProperty("updated_at", StateCodec.formatTime(h.updatedAt()));
    g.writeEndObject();
  }

  private static void writeResource(JsonGenerator g, ResourceState r) {
    g.writeStartObject();
    g.writeStringProperty("type", r.type());
    g.writeStringProperty("id", r.id());
    g.writeStringProperty("name", r.name());
    g.writeName("data");
    Json.write(g, r.data(), false);
    g.writeName("tags");
    Json.write(g, r.tags(), false);
    g.writeStringProperty("created_at", StateCodec.formatTime(r.createdAt()));
    g.writeStringProperty("updated_at", StateCodec.formatTime(r.updatedAt()));
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

  private static HostState readHost(JsonParser p) {
    String name = null;
    String address = "";
    int port = 0;
    String user = "";
    Map<String, Object> vars = Map.of();
    String group = "";
    Instant created = null;
    Instant updated = null;
    String field;
    while ((field = p.nextName()) != null) {
      JsonToken t = p.nextToken();
      switch (field) {
        case "name": name = readString(p, t); break;
        case "address": address = readString(p, t); break;
        case "port":
          long v = readLong(p, t);
          if (v < 0 || v > 65535) {
            throw new Bad("port " + v + " is outside 0..65535");
          }
          port = (int) v;
          break;
        case "user": user = readString(p, t); break;
        case "vars": vars = readObject(p, t); break;
        case "group": group = readString(p, t); break;
        case "created_at": created = readTime(p, t); break;
        case "updated_at": updated = readTime(p, t); break;
        default: throw new Bad("unknown host field '" + field + "'");
      }
    }
    return new HostState(require(name, "a host without name"), address, port, user, vars, group, created, updated);
  }

  private static ResourceState readResource(JsonParser p) {
    String type = null;
    String id = null;
    String name = "";
    Map<String, Object> data = Map.of();
    Map<String, String> tags = Map.of();
    Instant created = null;
    Instant updated = null;
    String field;
    while ((field = p.nextName()) != null) {
      JsonToken t = p.nextToken();
      switch (field) {
        case "type": type = readString(p, t); break;
        case "id": id = readString(p, t); break;
        case "name": name = readString(p, t); break;
        case "data": data = readObject(p, t); break;
        case "tags":
          expect(t, JsonToken.START_OBJECT, "an object of tags");
          LinkedHashMap<String, String> m = new LinkedHashMap<>();
          String k;
          while ((k = p.nextName()) != null) {
            m.put(k, readString(p, p.nextToken()));
          }
          tags = m;
          break;
        case "created_at": created = readTime(p, t); break;
        case "updated_at": updated = readTime(p, t); break;
        default: throw new Bad("unknown resource field '" + field + "'");
      }
    }
    return new ResourceState(require(type, "a resource without type"), require(id, "a resource without id"), name, data, tags, created, updated);
  }

  private static Map<String, Object> readObject(JsonParser p, JsonToken t) {
    expect(t, JsonToken.START_OBJECT, "an object");
    LinkedHashMap<String, Object> map = new LinkedHashMap<>();
    String k;
    while ((k = p.nextName()) != null) {
      map.put(k, readValue(p, p.nextToken()));
    }
    return Json.adoptObject(map);
  }

  private static Object readValue(JsonParser p, JsonToken t) {
    if (t == null) {
      throw new Bad("truncated value");
    }
    switch (t) {
      case VALUE_STRING: return p.getString();
      case VALUE_TRUE: return Boolean.TRUE;
      case VALUE_FALSE: return Boolean.FALSE;
      case VALUE_NULL: return null;
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT: return p.getIntValue();
          case LONG: return p.getLongValue();
          default: return p.getBigIntegerValue();
        }
      case VALUE_NUMBER_FLOAT: return p.getDoubleValue();
      case START_OBJECT: return readObject(p, t);
      case START_ARRAY:
        ArrayList<Object> list = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          list.add(readValue(p, e));
        }
        return Json.adoptList(list);
      default:
        throw new Bad("unexpected " + t);
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
