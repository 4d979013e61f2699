package io.infrastate.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Deep-immutable copies of JSON-compatible values, shared by the value types and the codec.
 *
 * <p>Allowed values: {@code null}, {@link String}, {@link Boolean}, finite numbers, {@link List}
 * and {@link Map} with {@link String} keys, nested to any depth. Numbers are normalized so that a
 * value survives a trip through state.json unchanged: integral numbers become {@link Integer},
 * {@link Long} or {@link BigInteger} (the smallest that holds them), numbers with a fraction become
 * {@link Double} (JSON numbers with a fraction are doubles, as in Go where all are float64).
 *
 * <p>Frozen containers are recognized and not copied again, so decoding and re-wrapping a value is
 * linear in its size.
 */
public final class Json {
  private Json() {}

  /**
   * Returns a deep-immutable copy of a JSON object, normalizing numbers.
   *
   * @param map the map to copy; {@code null} means empty
   * @param path the JSON path of the map, for error messages
   * @return an immutable map preserving the iteration order of {@code map}
   * @throws IllegalArgumentException naming the path of a value that is not JSON-compatible
   */
  public static Map<String, Object> freezeObject(Map<?, ?> map, String path) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    if (map instanceof FrozenMap) {
      @SuppressWarnings("unchecked")
      Map<String, Object> frozen = (Map<String, Object>) map;
      return frozen;
    }
    LinkedHashMap<String, Object> copy = new LinkedHashMap<>(Math.max(4, map.size() * 4 / 3 + 1));
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        throw new IllegalArgumentException(
            path + ": key " + e.getKey() + " is not a String; JSON object keys are strings");
      }
      copy.put(key, freeze(e.getValue(), path + "." + key));
    }
    return new FrozenMap(copy);
  }

  /**
   * Returns a deep-immutable copy of a map of strings (resource tags).
   *
   * @param map the map to copy; {@code null} means empty
   * @param path the JSON path of the map, for error messages
   * @return an immutable map preserving iteration order
   * @throws IllegalArgumentException if a key or value is not a non-null String
   */
  public static Map<String, String> freezeStrings(Map<?, ?> map, String path) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    if (map instanceof FrozenMap) {
      @SuppressWarnings("unchecked")
      Map<String, String> frozen = (Map<String, String>) map;
      return frozen;
    }
    LinkedHashMap<String, Object> copy = new LinkedHashMap<>(Math.max(4, map.size() * 4 / 3 + 1));
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        throw new IllegalArgumentException(path + ": key " + e.getKey() + " is not a String");
      }
      if (!(e.getValue() instanceof String value)) {
        throw new IllegalArgumentException(
            path + "." + key + ": tag values must be strings, got " + describe(e.getValue()));
      }
      copy.put(key, value);
    }
    @SuppressWarnings("unchecked")
    Map<String, String> result = (Map<String, String>) (Map<String, ?>) new FrozenMap(copy);
    return result;
  }

  /**
   * Returns a deep-immutable, normalized copy of one JSON value.
   *
   * @param value the value
   * @param path its JSON path, for error messages
   * @return the frozen value
   * @throws IllegalArgumentException if the value is not JSON-compatible
   */
  public static Object freeze(Object value, String path) {
    if (value == null || value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Number n) {
      return normalize(n, path);
    }
    if (value instanceof Map<?, ?> m) {
      return freezeObject(m, path);
    }
    if (value instanceof FrozenList) {
      return value;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      int i = 0;
      for (Object o : list) {
        copy.add(freeze(o, path + "[" + i++ + "]"));
      }
      return new FrozenList(copy);
    }
    if (value instanceof Object[] array) {
      return freeze(java.util.Arrays.asList(array), path);
    }
    throw new IllegalArgumentException(
        path
            + ": "
            + describe(value)
            + " is not JSON-compatible; use String, Number, Boolean, null, List or Map");
  }

  /**
   * Wraps a list that the caller built and will never touch again, without copying.
   *
   * @param values elements that are already frozen
   * @return an immutable list
   */
  public static List<Object> adoptList(ArrayList<Object> values) {
    return new FrozenList(values);
  }

  /**
   * Wraps a map that the caller built and will never touch again, without copying.
   *
   * @param values entries whose values are already frozen
   * @return an immutable map
   */
  public static Map<String, Object> adoptObject(LinkedHashMap<String, Object> values) {
    return values.isEmpty() ? Map.of() : new FrozenMap(values);
  }

  private static Number normalize(Number n, String path) {
    if (n instanceof Integer) {
      return n;
    }
    if (n instanceof Long || n instanceof Short || n instanceof Byte) {
      long v = n.longValue();
      return (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) ? (Number) (int) v : (Number) v;
    }
    if (n instanceof BigInteger b) {
      return b.bitLength() < 32
          ? (Number) b.intValue()
          : b.bitLength() < 64 ? (Number) b.longValue() : (Number) b;
    }
    if (n instanceof Double || n instanceof Float || n instanceof BigDecimal) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException(path + ": " + n + " is not a finite number; JSON has no NaN or Infinity");
      }
      return d;
    }
    throw new IllegalArgumentException(
        path + ": number type " + n.getClass().getName() + " is not supported; use int, long, BigInteger or double");
  }

  private static String describe(Object value) {
    return value == null ? "null" : "a value of type " + value.getClass().getName();
  }

  /** An immutable map that is known to hold only frozen values. */
  private static final class FrozenMap extends AbstractMap<String, Object> {
    private final Map<String, Object> delegate;

    FrozenMap(LinkedHashMap<String, Object> delegate) {
      this.delegate = delegate;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
      return Collections.unmodifiableMap(delegate).entrySet();
    }

    @Override
    public Object get(Object key) {
      return delegate.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
      return delegate.containsKey(key);
    }

    @Override
    public int size() {
      return delegate.size();
    }
  }

  /** An immutable list that is known to hold only frozen values. */
  private static final class FrozenList extends AbstractList<Object> implements java.util.RandomAccess {
    private final List<Object> delegate;

    FrozenList(List<Object> delegate) {
      this.delegate = delegate;
    }

    @Override
    public Object get(int index) {
      return delegate.get(index);
    }

    @Override
    public int size() {
      return delegate.size();
    }
  }
}
