package io.infrastate.model;

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
import tools.jackson.core.JsonGenerator;

/**
 * Deep-immutable copies of JSON-compatible values, shared by the value types and the codec.
 *
 * <p>Allowed values: {@code null}, {@link String}, {@link Boolean}, finite numbers, {@link List}
 * and {@link Map} with {@link String} keys, nested to any depth, and {@link Secret} (written as its
 * stored form; a string in that form is read back as a sealed secret). Numbers are normalized so that a
 * value survives a trip through state.json unchanged: integral numbers become {@link Integer},
 * {@link Long} or {@link BigInteger} (the smallest that holds them), numbers with a fraction become
 * {@link Double} (JSON numbers with a fraction are doubles, as in Go where all are float64).
 *
 * <p>Frozen containers are recognized and not copied again, so decoding and re-wrapping a value is
 * linear in its size.
 */
@SuppressWarnings("exports") // takes Jackson generators: machinery for the codecs, not API
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
    if (map instanceof Frozen) {
      @SuppressWarnings("unchecked")
      Map<String, Object> frozen = (Map<String, Object>) map;
      return frozen;
    }
    Object[] kv = new Object[map.size() * 2];
    int i = 0;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        throw new IllegalArgumentException(
            path + ": key " + e.getKey() + " is not a String; JSON object keys are strings");
      }
      checkName(key, path);
      kv[i++] = key;
      kv[i++] = freeze(e.getValue(), path + "." + key);
    }
    return ofDistinctEntries(kv, i / 2);
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
    if (map instanceof Frozen) {
      @SuppressWarnings("unchecked")
      Map<String, String> frozen = (Map<String, String>) map;
      return frozen;
    }
    Object[] kv = new Object[map.size() * 2];
    int i = 0;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        throw new IllegalArgumentException(path + ": key " + e.getKey() + " is not a String");
      }
      checkName(key, path);
      if (!(e.getValue() instanceof String value)) {
        throw new IllegalArgumentException(
            path + "." + key + ": tag values must be strings, got " + describe(e.getValue()));
      }
      kv[i++] = key;
      kv[i++] = value;
    }
    @SuppressWarnings("unchecked")
    Map<String, String> result = (Map<String, String>) (Map<String, ?>) ofDistinctEntries(kv, i / 2);
    return result;
  }

  /**
   * The index of the first half of a surrogate pair in {@code s} that lacks its other half, or -1.
   * Such a string can be a JSON value (escaped, as the writer escapes it) but not a member name: a
   * JSON parser refuses it there (Jackson does), so a name holding one could be written but never
   * read back.
   *
   * @param s a string
   * @return the index, or -1 if every character of {@code s} is whole
   */
  public static int halfSurrogateAt(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  private static void checkName(String key, String path) {
    int at = halfSurrogateAt(key);
    if (at >= 0) {
      StringBuilder shown = new StringBuilder();
      for (char c : key.toCharArray()) {
        shown.append(Character.isSurrogate(c) ? String.format("\\u%04X", (int) c) : String.valueOf(c));
      }
      throw new IllegalArgumentException(path + ": key '" + shown + "' holds half a surrogate pair, which a JSON name cannot"
          + " hold (the state could not be read back); use whole characters");
    }
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
    if (value instanceof String s) {
      return Secret.isStoredForm(s) ? Secret.fromStored(s) : s;
    }
    if (value == null || value instanceof Boolean || value instanceof Secret) {
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
      Object[] copy = list.toArray();
      for (int i = 0; i < copy.length; i++) {
        copy[i] = freeze(copy[i], path + "[" + i + "]");
      }
      return new FrozenList(copy, anyHoldsSecret(copy));
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
   * Wraps a list that the caller built and will never touch again (its elements are copied into an
   * array of the exact size).
   *
   * @param values elements that are already frozen
   * @return an immutable list
   */
  public static List<Object> adoptList(ArrayList<Object> values) {
    return ofElements(values.toArray());
  }

  /**
   * Wraps an array that the caller built at its exact size and will never touch again.
   *
   * @param values elements that are already frozen
   * @return an immutable list of them
   */
  public static List<Object> ofElements(Object[] values) {
    for (int i = 0; i < values.length; i++) {
      values[i] = sealedIfStored(values[i]);
    }
    return values.length == 0 ? List.of() : new FrozenList(values, anyHoldsSecret(values));
  }

  /**
   * Wraps a map that the caller built and will never touch again.
   *
   * @param values entries whose values are already frozen
   * @return an immutable map with the same iteration order
   */
  public static Map<String, Object> adoptObject(LinkedHashMap<String, Object> values) {
    Object[] kv = new Object[values.size() * 2];
    int i = 0;
    for (Map.Entry<String, Object> e : values.entrySet()) {
      kv[i++] = e.getKey();
      kv[i++] = e.getValue();
    }
    return ofDistinctEntries(kv, i / 2);
  }

  /**
   * A frozen object from entries laid out as {@code key0, value0, key1, value1, …}, in that
   * iteration order. The caller guarantees that the keys are distinct strings and the values
   * frozen, and never touches {@code kv} again (it may be kept).
   *
   * @param kv keys and values, alternating; may be longer than needed
   * @param size the number of entries
   * @return an immutable map
   */
  public static Map<String, Object> ofDistinctEntries(Object[] kv, int size) {
    if (size == 0) {
      return Map.of();
    }
    boolean sorted = true;
    for (int i = 2; i < size * 2 && sorted; i += 2) {
      sorted = ((String) kv[i - 2]).compareTo((String) kv[i]) < 0;
    }
    boolean secrets = false;
    for (int i = 1; i < size * 2; i += 2) {
      Object v = kv[i];
      if (v instanceof String s) {
        if (Secret.isStoredForm(s)) {
          kv[i] = Secret.fromStored(s);
          secrets = true;
        }
      } else if (!secrets && v != null) {
        secrets = holdsSecret(v);
      }
    }
    if (size <= SMALL) {
      return new SmallMap(kv.length == size * 2 ? kv : java.util.Arrays.copyOf(kv, size * 2), sorted, secrets);
    }
    LinkedHashMap<String, Object> m = new LinkedHashMap<>(size * 4 / 3 + 1);
    for (int i = 0; i < size * 2; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return new FrozenMap(m, sorted, secrets);
  }

  /**
   * Whether a value holds a {@link Secret} at any depth. A frozen container notes it once, when it
   * is built from its (frozen) values, so asking costs nothing however large the value is: a load
   * of a state with secrets asks this of every var and data value. Other containers are walked.
   */
  static boolean holdsSecret(Object value) {
    if (value instanceof Secret) {
      return true;
    }
    if (value instanceof Frozen f) {
      return f.holdsSecret();
    }
    if (value instanceof FrozenList l) {
      return l.secrets;
    }
    if (value instanceof Map<?, ?> m) {
      for (Object v : m.values()) {
        if (holdsSecret(v)) {
          return true;
        }
      }
    } else if (value instanceof List<?> l) {
      for (Object v : l) {
        if (holdsSecret(v)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean anyHoldsSecret(Object[] values) {
    for (Object v : values) {
      if (!(v instanceof String) && holdsSecret(v)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A decoded value as the value types hold it: the stored form of a secret ({@code
   * "infrastate:secret:v1:…"}) becomes a sealed {@link Secret}, anything else stays as it is.
   */
  private static Object sealedIfStored(Object value) {
    return value instanceof String s && Secret.isStoredForm(s) ? Secret.fromStored(s) : value;
  }

  /**
   * Whether a map iterates its keys in ascending {@link String} order, so that a writer of sorted
   * JSON need not sort it. Known for frozen maps (checked once, when they are built), natural-order
   * sorted maps, and maps of fewer than two entries; {@code false} when not known.
   *
   * @param map a map
   * @return {@code true} if its iteration order is sorted
   */
  public static boolean hasSortedKeys(Map<?, ?> map) {
    if (map instanceof Frozen f) {
      return f.sortedKeys();
    }
    if (map.size() < 2) {
      return true;
    }
    return map instanceof java.util.SortedMap<?, ?> sm && sm.comparator() == null;
  }

  /**
   * Writes one frozen JSON value with a Jackson generator — the one writer of JSON values for
   * state.json, the journal and inventories.
   *
   * @param g the generator
   * @param value a frozen JSON value (see the class documentation)
   * @param sortKeys whether objects are written with their keys sorted (state.json, as Go writes
   *     it) or in their iteration order
   * @throws IllegalArgumentException if the value is not a frozen JSON value
   */
  public static void write(JsonGenerator g, Object value, boolean sortKeys) {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Secret secret) {
      g.writeString(secret.storedForm().orElseThrow(() -> new MissingKeyException(
          "A secret value set in clear was about to be written by a handle that holds no key, so it cannot be"
              + " sealed; nothing was written. Open the state through a Keyring (Keyring.protect(backend)); on the"
              + " command line set INFRASTATE_PASSPHRASE or give --key-file PATH.", "")));
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Integer i) {
      g.writeNumber(i);
    } else if (value instanceof Long l) {
      g.writeNumber(l);
    } else if (value instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (value instanceof Double d) {
      g.writeNumber(d);
    } else if (value instanceof Map<?, ?> map) {
      g.writeStartObject();
      if (!map.isEmpty()) {
        // maps read from a file are already sorted (and know it): no copy
        Map<?, ?> ordered = sortKeys && !hasSortedKeys(map) ? new java.util.TreeMap<>(map) : map;
        ordered.forEach((k, v) -> {
          g.writeName((String) k);
          write(g, v, sortKeys);
        });
      }
      g.writeEndObject();
    } else if (value instanceof List<?> list) {
      g.writeStartArray();
      for (Object o : list) {
        write(g, o, sortKeys);
      }
      g.writeEndArray();
    } else {
      throw new IllegalArgumentException("not a frozen JSON value: " + value.getClass().getName());
    }
  }

  /** The most entries kept in a flat array; larger objects are hash maps. */
  private static final int SMALL = 8;

  /** A frozen container. */
  private interface Frozen {
    boolean sortedKeys();

    /** Whether a {@link Secret} is among its values, at any depth. */
    boolean holdsSecret();
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

  /**
   * A small immutable object: keys and values alternating in one array of the exact size, in
   * insertion order; lookups scan it (at most {@value #SMALL} entries). About a third of the memory
   * of a {@link LinkedHashMap} of the same entries.
   */
  private static final class SmallMap extends AbstractMap<String, Object> implements Frozen {
    private final Object[] kv;
    private final boolean sorted;
    private final boolean secrets;

    SmallMap(Object[] kv, boolean sorted, boolean secrets) {
      this.kv = kv;
      this.sorted = sorted;
      this.secrets = secrets;
    }

    @Override
    public boolean sortedKeys() {
      return sorted;
    }

    @Override
    public boolean holdsSecret() {
      return secrets;
    }

    private int indexOf(Object key) {
      if (key instanceof String) {
        for (int i = 0; i < kv.length; i += 2) {
          if (key.equals(kv[i])) {
            return i;
          }
        }
      }
      return -1;
    }

    @Override
    public Object get(Object key) {
      int i = indexOf(key);
      return i < 0 ? null : kv[i + 1];
    }

    @Override
    public boolean containsKey(Object key) {
      return indexOf(key) >= 0;
    }

    @Override
    public int size() {
      return kv.length / 2;
    }

    @Override
    public void forEach(java.util.function.BiConsumer<? super String, ? super Object> action) {
      for (int i = 0; i < kv.length; i += 2) {
        action.accept((String) kv[i], kv[i + 1]);
      }
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
      return new java.util.AbstractSet<>() {
        @Override
        public java.util.Iterator<Entry<String, Object>> iterator() {
          return new java.util.Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
              return i < kv.length;
            }

            @Override
            public Entry<String, Object> next() {
              if (i >= kv.length) {
                throw new java.util.NoSuchElementException();
              }
              Entry<String, Object> e = new SimpleImmutableEntry<>((String) kv[i], kv[i + 1]);
              i += 2;
              return e;
            }
          };
        }

        @Override
        public int size() {
          return kv.length / 2;
        }
      };
    }
  }

  /** A larger immutable object, known to hold only frozen values. */
  private static final class FrozenMap extends AbstractMap<String, Object> implements Frozen {
    private final Map<String, Object> delegate;
    private final boolean sorted;
    private final boolean secrets;

    FrozenMap(LinkedHashMap<String, Object> delegate, boolean sorted, boolean secrets) {
      this.delegate = delegate;
      this.sorted = sorted;
      this.secrets = secrets;
    }

    @Override
    public boolean sortedKeys() {
      return sorted;
    }

    @Override
    public boolean holdsSecret() {
      return secrets;
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

    @Override
    public void forEach(java.util.function.BiConsumer<? super String, ? super Object> action) {
      delegate.forEach(action);
    }
  }

  /** An immutable list over an array of the exact size, known to hold only frozen values. */
  private static final class FrozenList extends AbstractList<Object> implements java.util.RandomAccess {
    private final Object[] values;
    private final boolean secrets;

    FrozenList(Object[] values, boolean secrets) {
      this.values = values;
      this.secrets = secrets;
    }

    @Override
    public Object get(int index) {
      return values[index];
    }

    @Override
    public int size() {
      return values.length;
    }
  }
}
