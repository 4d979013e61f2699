package io.infrastate.examples.cli;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The CLI's JSON: printing of maps, lists and scalars, and reading of one value, on the streaming
 * parser the SDK already loads, so that a command pays for no data-binding library at start-up.
 * Output matches {@code state.json}'s layout: two-space indent, {@code "key": value}, empty
 * containers as {@code {}} and {@code []}. Stateless and thread-safe.
 */
final class Json {
  private static final JsonFactory FACTORY = JsonFactory.builder().build();

  private Json() {}

  /** Pretty-printed JSON. */
  static String pretty(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0, true);
    return sb.toString();
  }

  /** Compact JSON, no spaces. */
  static String compact(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0, false);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, int depth, boolean pretty) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      sb.append(Output.quote(s));
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
        || v instanceof Byte || v instanceof java.math.BigInteger) {
      sb.append(v);
    } else if (v instanceof BigDecimal d) {
      sb.append(d.toString());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      sb.append(Double.isFinite(d) ? v.toString() : Output.quote(v.toString()));
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "" : ",");
        first = false;
        newline(sb, depth + 1, pretty);
        sb.append(Output.quote(String.valueOf(e.getKey()))).append(pretty ? ": " : ":");
        write(sb, e.getValue(), depth + 1, pretty);
      }
      newline(sb, depth, pretty);
      sb.append('}');
    } else if (v instanceof Iterable<?> l) {
      if (!l.iterator().hasNext()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      boolean first = true;
      for (Object e : l) {
        sb.append(first ? "" : ",");
        first = false;
        newline(sb, depth + 1, pretty);
        write(sb, e, depth + 1, pretty);
      }
      newline(sb, depth, pretty);
      sb.append(']');
    } else {
      sb.append(Output.quote(v.toString()));
    }
  }

  private static void newline(StringBuilder sb, int depth, boolean pretty) {
    if (pretty) {
      sb.append('\n');
      for (int i = 0; i < depth; i++) {
        sb.append("  ");
      }
    }
  }

  /**
   * One JSON value (objects as maps, arrays as lists, integers as Integer, Long or BigInteger,
   * other numbers as Double).
   *
   * @throws IllegalArgumentException if the text is not exactly one JSON value
   */
  static Object parse(String text) {
    try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), text)) {
      Object v = read(p, p.nextToken(), 0);
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("trailing text after the JSON value");
      }
      return v;
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static Object read(JsonParser p, JsonToken t, int depth) {
    if (t == null) {
      throw new IllegalArgumentException("no JSON value");
    }
    if (depth > 64) {
      throw new IllegalArgumentException("JSON nested deeper than 64 levels");
    }
    switch (t) {
      case VALUE_STRING:
        return p.getString();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return p.getIntValue();
          case LONG:
            return p.getLongValue();
          default:
            return p.getBigIntegerValue();
        }
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case START_OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        JsonToken k;
        while ((k = p.nextToken()) == JsonToken.PROPERTY_NAME) {
          String name = p.currentName();
          m.put(name, read(p, p.nextToken(), depth + 1));
        }
        return m;
      }
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          l.add(read(p, e, depth + 1));
        }
        return l;
      }
      default:
        throw new IllegalArgumentException("unexpected " + t);
    }
  }
}
