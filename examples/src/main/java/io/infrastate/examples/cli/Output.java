package io.infrastate.examples.cli;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.StateDiff;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.model.Secret;
import io.infrastate.lock.LockInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Tables for people and JSON for machines. The JSON uses the field names of {@code state.json}
 * (snake_case, RFC 3339 UTC times) and its layout (two-space indent, {@code "key": value}); objects
 * keep a fixed field order and maps are sorted by key, so the same state always prints the same
 * bytes. Stateless and thread-safe.
 */
final class Output {
  private Output() {}

  /** Pretty-printed JSON of maps, lists and scalars. */
  static String json(Object value) {
    return Json.pretty(value);
  }

  /**
   * A JSON object of name-value pairs, in the order given.
   *
   * @param pairs a name, its value, the next name, its value…
   * @return the object, for {@link #json}
   */
  static Map<String, Object> object(Object... pairs) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }

  /** Compact JSON, for values inside table cells. */
  static String compact(Object value) {
    return Json.compact(value);
  }

  /**
   * A failure as one line of JSON, {@code {"error":{"code":"usage","exit_code":2,"message":"…"}}},
   * written without a JSON library so that reporting an error loads nothing more.
   */
  static String error(String code, int exitCode, String message) {
    return "{\"error\":{\"code\":" + quote(code) + ",\"exit_code\":" + exitCode + ",\"message\":" + quote(message) + "}}";
  }

  /** A JSON string literal: quotes, backslashes and control characters escaped. */
  static String quote(String text) {
    StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"').toString();
  }

  /** Prints rows under headers, each column as wide as its widest cell, two spaces apart. */
  static void table(PrintWriter out, List<String> headers, List<List<String>> rows) {
    int[] width = new int[headers.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(headers);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) {
        width[i] = Math.max(width[i], row.get(i).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        sb.append(row.get(i));
        if (i < row.size() - 1) {
          sb.append(" ".repeat(width[i] - row.get(i).length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }

  static String time(Instant t) {
    return StateCodec.formatTime(t);
  }

  /** {@code k=v k2=v2}, values as compact JSON (strings quoted), sorted by key; secrets as [secret]. */
  static String pairs(Map<String, ?> map) {
    return pairs(map, false);
  }

  /**
   * {@code k=v k2=v2}, values as compact JSON (strings quoted), sorted by key; secrets as
   * [secret], or in clear when {@code reveal} (which needs the key).
   */
  static String pairs(Map<String, ?> map, boolean reveal) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, ?> e : new TreeMap<>(map).entrySet()) {
      sb.append(sb.length() == 0 ? "" : " ").append(e.getKey()).append('=');
      sb.append(e.getValue() instanceof Secret && !reveal ? Secret.MASK : compact(shown(e.getValue(), reveal)));
    }
    return sb.toString();
  }

  /**
   * A value for printing: each {@link Secret} in it becomes {@value Secret#MASK}, or its clear value
   * when {@code reveal} (throwing the key errors when the key is missing or wrong).
   */
  static Object shown(Object value, boolean reveal) {
    if (value instanceof Secret s) {
      return reveal ? s.reveal() : Secret.MASK;
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new TreeMap<>();
      m.forEach((k, v) -> out.put((String) k, shown(v, reveal)));
      return out;
    }
    if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(v -> out.add(shown(v, reveal)));
      return out;
    }
    return value;
  }

  /** A host as in state.json, secrets as [secret]. */
  static Map<String, Object> host(HostState h) {
    return host(h, false);
  }

  /** A host as in state.json, secrets as [secret] or in clear when {@code reveal}. */
  static Map<String, Object> host(HostState h, boolean reveal) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", h.name());
    m.put("address", h.address());
    m.put("port", h.port());
    m.put("user", h.user());
    m.put("vars", shown(h.vars(), reveal));
    m.put("group", h.group());
    m.put("created_at", time(h.createdAt()));
    m.put("updated_at", time(h.updatedAt()));
    return m;
  }

  /** A resource as in state.json, with its key first; secrets as [secret]. */
  static Map<String, Object> resource(String key, ResourceState r) {
    return resource(key, r, false);
  }

  /** A resource as in state.json, with its key first; secrets as [secret] or in clear when {@code reveal}. */
  static Map<String, Object> resource(String key, ResourceState r, boolean reveal) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", key);
    m.put("type", r.type());
    m.put("id", r.id());
    m.put("name", r.name());
    m.put("data", shown(r.data(), reveal));
    m.put("tags", new TreeMap<>(r.tags()));
    m.put("created_at", time(r.createdAt()));
    m.put("updated_at", time(r.updatedAt()));
    return m;
  }

  static Map<String, Object> metadata(Metadata md) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", md.version());
    m.put("serial", md.serial());
    m.put("lineage", md.lineage());
    m.put("created_at", time(md.createdAt()));
    m.put("updated_at", time(md.updatedAt()));
    return m;
  }

  static Map<String, Object> version(VersionInfo v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("serial", v.serial());
    m.put("time", time(v.time()));
    m.put("operator", v.operator());
    m.put("operation", v.operation());
    m.put("reason", v.reason());
    m.put("locks", new LinkedHashMap<String, Object>(v.locks()));
    return m;
  }

  static Map<String, Object> lock(LockInfo l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", l.id());
    m.put("name", l.name());
    m.put("operator", l.operator());
    m.put("operation", l.operation());
    m.put("reason", l.reason());
    m.put("created_at", time(l.createdAt()));
    m.put("expires_at", time(l.expiresAt()));
    m.put("pid", l.pid());
    m.put("hostname", l.hostname());
    m.put("token", l.token());
    return m;
  }

  static Map<String, Object> diff(StateDiff d) {
    List<Object> entries = new ArrayList<>();
    for (StateDiff.Entry e : d.entries()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("section", e.section() == StateDiff.Section.HOST ? "host" : "resource");
      m.put("key", e.key());
      m.put("kind", kind(e.kind()));
      List<Object> fields = new ArrayList<>();
      for (StateDiff.FieldChange f : e.fields()) {
        Map<String, Object> fm = new LinkedHashMap<>();
        fm.put("field", f.field());
        fm.put("kind", kind(f.kind()));
        fm.put("before", shown(f.before(), false));
        fm.put("after", shown(f.after(), false));
        fields.add(fm);
      }
      m.put("fields", fields);
      entries.add(m);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("summary", d.summary());
    m.put("entries", entries);
    return m;
  }

  private static String kind(StateDiff.Kind k) {
    switch (k) {
      case ADDED:
        return "added";
      case REMOVED:
        return "removed";
      default:
        return "changed";
    }
  }
}
