package io.infrastate.model;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * An immutable sorted map from {@link String} keys (in {@link String#compareTo} order), as a
 * persistent AVL tree: {@link #put} and {@link #remove} return a new map that shares all but
 * O(log n) nodes with this one. This is what lets a write to a state of 100,000 hosts cost
 * microseconds instead of a copy of every entry, while every older snapshot stays intact.
 *
 * <p>The map itself is a read-only {@link java.util.Map} view (mutators throw {@link
 * UnsupportedOperationException}); {@code get} and {@code containsKey} are O(log n), {@code size}
 * O(1), iteration in key order.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param <V> the value type
 */
public final class PersistentMap<V> extends AbstractMap<String, V> {
  private static final PersistentMap<?> EMPTY = new PersistentMap<>(null);

  private final Node<V> root;
  private Set<Entry<String, V>> entrySet;

  private PersistentMap(Node<V> root) {
    this.root = root;
  }

  /**
   * The empty map.
   *
   * @param <V> the value type
   * @return the empty map
   */
  @SuppressWarnings("unchecked")
  public static <V> PersistentMap<V> empty() {
    return (PersistentMap<V>) EMPTY;
  }

  /**
   * A map holding the entries of another map.
   *
   * @param <V> the value type
   * @param map the entries (values must not be null)
   * @return a new map, or {@code map} itself if it already is one
   */
  public static <V> PersistentMap<V> copyOf(Map<String, ? extends V> map) {
    if (map instanceof PersistentMap<?>) {
      @SuppressWarnings("unchecked")
      PersistentMap<V> same = (PersistentMap<V>) map;
      return same;
    }
    if (map instanceof java.util.SortedMap<?, ?> sorted && sorted.comparator() == null) {
      @SuppressWarnings("unchecked")
      Entry<String, V>[] entries = (Entry<String, V>[]) map.entrySet().toArray(new Entry<?, ?>[0]);
      return new PersistentMap<>(build(entries, 0, entries.length));
    }
    return copyOf(new java.util.TreeMap<String, V>(map));
  }

  /**
   * Starts a builder: entries added in ascending key order (as a file written in key order lists
   * them) are kept flat and the map is built in linear time; any other order still works, at the
   * cost of sorting.
   *
   * @param <V> the value type
   * @return a new builder
   */
  public static <V> Builder<V> builder() {
    return new Builder<>();
  }

  /** Builds a {@link PersistentMap} from entries added one by one. Not thread-safe. */
  public static final class Builder<V> {
    private Object[] kv = new Object[32];
    private int n;
    private java.util.TreeMap<String, V> unsorted;

    private Builder() {}

    /**
     * Adds an entry unless its key is already present.
     *
     * @param key the key
     * @param value the value, not null
     * @return {@code false} if the key was already added (nothing changes)
     */
    public boolean add(String key, V value) {
      java.util.Objects.requireNonNull(value, "value");
      if (unsorted == null) {
        if (n == 0 || ((String) kv[2 * n - 2]).compareTo(key) < 0) {
          if (2 * n + 2 > kv.length) {
            kv = java.util.Arrays.copyOf(kv, kv.length * 2);
          }
          kv[2 * n] = key;
          kv[2 * n + 1] = value;
          n++;
          return true;
        }
        unsorted = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
          @SuppressWarnings("unchecked")
          V v = (V) kv[2 * i + 1];
          unsorted.put((String) kv[2 * i], v);
        }
        kv = null;
      }
      return unsorted.putIfAbsent(key, value) == null;
    }

    /**
     * The map of every entry added.
     *
     * @return a new map
     */
    public PersistentMap<V> build() {
      return unsorted != null ? copyOf(unsorted) : new PersistentMap<>(buildFlat(kv, 0, n));
    }
  }

  @SuppressWarnings("unchecked")
  private static <V> Node<V> buildFlat(Object[] kv, int from, int to) {
    if (from >= to) {
      return null;
    }
    int mid = (from + to) >>> 1;
    return Node.of((String) kv[2 * mid], (V) kv[2 * mid + 1], buildFlat(kv, from, mid), buildFlat(kv, mid + 1, to));
  }

  private static <V> Node<V> build(Entry<String, V>[] sorted, int from, int to) {
    if (from >= to) {
      return null;
    }
    int mid = (from + to) >>> 1;
    Entry<String, V> e = sorted[mid];
    return Node.of(e.getKey(), java.util.Objects.requireNonNull(e.getValue(), "value"), build(sorted, from, mid), build(sorted, mid + 1, to));
  }

  @Override
  public int size() {
    return root == null ? 0 : root.size;
  }

  @Override
  public boolean isEmpty() {
    return root == null;
  }

  @Override
  public V get(Object key) {
    if (!(key instanceof String k)) {
      return null;
    }
    Node<V> n = root;
    while (n != null) {
      int c = k.compareTo(n.key);
      if (c == 0) {
        return n.value;
      }
      n = c < 0 ? n.left : n.right;
    }
    return null;
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  /**
   * A map with {@code key} set to {@code value}.
   *
   * @param key the key
   * @param value the value, not null
   * @return the new map
   */
  public PersistentMap<V> plus(String key, V value) {
    java.util.Objects.requireNonNull(key, "key");
    java.util.Objects.requireNonNull(value, "value");
    return new PersistentMap<>(put(root, key, value));
  }

  /**
   * A map without {@code key}.
   *
   * @param key the key
   * @return the new map, or this map if the key is absent
   */
  public PersistentMap<V> minus(String key) {
    Node<V> r = remove(root, key);
    return r == root ? this : new PersistentMap<>(r);
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super V> action) {
    forEach(root, action);
  }

  private static <V> void forEach(Node<V> n, BiConsumer<? super String, ? super V> action) {
    while (n != null) {
      forEach(n.left, action);
      action.accept(n.key, n.value);
      n = n.right;
    }
  }

  @Override
  public Set<Entry<String, V>> entrySet() {
    Set<Entry<String, V>> es = entrySet;
    if (es == null) {
      es = new AbstractSet<>() {
        @Override
        public Iterator<Entry<String, V>> iterator() {
          return new InOrder<>(root);
        }

        @Override
        public int size() {
          return PersistentMap.this.size();
        }
      };
      entrySet = es;
    }
    return es;
  }

  /**
   * The values in key order, as a list.
   *
   * @return an unmodifiable list
   */
  public List<V> valueList() {
    java.util.ArrayList<V> out = new java.util.ArrayList<>(size());
    forEach((k, v) -> out.add(v));
    return java.util.Collections.unmodifiableList(out);
  }

  // ---------------------------------------------------------------- AVL with path copying

  /*
   * A node is immutable once its map can be seen: the persistent operations never change a node.
   * The in-place operations (plus and minus with an edit token) change only the nodes created
   * under that same token, which no other map shares until the token is retired; see the
   * in-place section below.
   */
  private static final class Node<V> implements Entry<String, V> {
    final String key;
    V value;
    Node<V> left;
    Node<V> right;
    int height;
    int size;
    /** The token of the in-place edit that created this node, or null: then it never changes. */
    final Object edit;

    private Node(String key, V value, Node<V> left, Node<V> right, Object edit) {
      this.key = key;
      this.value = value;
      this.left = left;
      this.right = right;
      this.edit = edit;
      fix(this);
    }

    static <V> Node<V> of(String key, V value, Node<V> left, Node<V> right) {
      return new Node<>(key, value, left, right, null);
    }

    @Override
    public String getKey() {
      return key;
    }

    @Override
    public V getValue() {
      return value;
    }

    @Override
    public V setValue(V v) {
      throw new UnsupportedOperationException("immutable");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry<?, ?> e && key.equals(e.getKey()) && value.equals(e.getValue());
    }

    @Override
    public int hashCode() {
      return key.hashCode() ^ value.hashCode();
    }

    @Override
    public String toString() {
      return key + "=" + value;
    }
  }

  private static void fix(Node<?> n) {
    n.height = Math.max(h(n.left), h(n.right)) + 1;
    n.size = s(n.left) + s(n.right) + 1;
  }

  private static int h(Node<?> n) {
    return n == null ? 0 : n.height;
  }

  private static int s(Node<?> n) {
    return n == null ? 0 : n.size;
  }

  private static <V> Node<V> put(Node<V> n, String key, V value) {
    if (n == null) {
      return Node.of(key, value, null, null);
    }
    int c = key.compareTo(n.key);
    if (c < 0) {
      return balance(n.key, n.value, put(n.left, key, value), n.right);
    }
    if (c > 0) {
      return balance(n.key, n.value, n.left, put(n.right, key, value));
    }
    return n.value == value ? n : Node.of(key, value, n.left, n.right);
  }

  private static <V> Node<V> remove(Node<V> n, String key) {
    if (n == null) {
      return null;
    }
    int c = key.compareTo(n.key);
    if (c < 0) {
      Node<V> l = remove(n.left, key);
      return l == n.left ? n : balance(n.key, n.value, l, n.right);
    }
    if (c > 0) {
      Node<V> r = remove(n.right, key);
      return r == n.right ? n : balance(n.key, n.value, n.left, r);
    }
    if (n.left == null) {
      return n.right;
    }
    if (n.right == null) {
      return n.left;
    }
    Node<V> min = n.right;
    while (min.left != null) {
      min = min.left;
    }
    return balance(min.key, min.value, n.left, removeMin(n.right));
  }

  private static <V> Node<V> removeMin(Node<V> n) {
    if (n.left == null) {
      return n.right;
    }
    return balance(n.key, n.value, removeMin(n.left), n.right);
  }

  private static <V> Node<V> balance(String key, V value, Node<V> l, Node<V> r) {
    int hl = h(l);
    int hr = h(r);
    if (hl > hr + 1) {
      if (h(l.left) >= h(l.right)) {
        return Node.of(l.key, l.value, l.left, Node.of(key, value, l.right, r));
      }
      Node<V> lr = l.right;
      return Node.of(lr.key, lr.value, Node.of(l.key, l.value, l.left, lr.left), Node.of(key, value, lr.right, r));
    }
    if (hr > hl + 1) {
      if (h(r.right) >= h(r.left)) {
        return Node.of(r.key, r.value, Node.of(key, value, l, r.left), r.right);
      }
      Node<V> rl = r.left;
      return Node.of(rl.key, rl.value, Node.of(key, value, l, rl.left), Node.of(r.key, r.value, rl.right, r.right));
    }
    return Node.of(key, value, l, r);
  }

  // ---------------------------------------------------------------- in place, under an edit token

  /**
   * Like {@link #plus(String, Object)}, but may change in place the nodes that earlier calls with
   * the same {@code edit} token created, instead of copying them: a series of changes then costs
   * one new node each instead of a copied path. Every map returned by a call with a token may be
   * changed by the next call with it, so the caller must stop using a token (and use a new one)
   * before any such map is seen by anyone else or must stay as it is (a savepoint, a published
   * snapshot). Maps never touched with the token, this one included, are not changed.
   *
   * @param key the key
   * @param value the value, not null
   * @param edit the token: any object, owned by one thread
   * @return the new map
   */
  public PersistentMap<V> plus(String key, V value, Object edit) {
    java.util.Objects.requireNonNull(key, "key");
    java.util.Objects.requireNonNull(value, "value");
    java.util.Objects.requireNonNull(edit, "edit");
    Node<V> r = putInPlace(root, key, value, edit);
    return r == root ? this : new PersistentMap<>(r);
  }

  private static <V> Node<V> editable(Node<V> n, Object edit) {
    return n.edit == edit ? n : new Node<>(n.key, n.value, n.left, n.right, edit);
  }

  private static <V> Node<V> putInPlace(Node<V> n, String key, V value, Object edit) {
    if (n == null) {
      return new Node<>(key, value, null, null, edit);
    }
    int c = key.compareTo(n.key);
    if (c == 0) {
      if (n.value == value) {
        return n;
      }
      Node<V> m = editable(n, edit);
      m.value = value;
      return m;
    }
    // No shortcut when the child comes back as the same node: under the token it may have
    // changed in place (and grown), so the path is always rebalanced.
    Node<V> changed = putInPlace(c < 0 ? n.left : n.right, key, value, edit);
    Node<V> m = editable(n, edit);
    if (c < 0) {
      m.left = changed;
    } else {
      m.right = changed;
    }
    return rebalanceInPlace(m, edit);
  }

  /** Restores the AVL balance at {@code m}, a node owned by {@code edit}. */
  private static <V> Node<V> rebalanceInPlace(Node<V> m, Object edit) {
    int hl = h(m.left);
    int hr = h(m.right);
    if (hl > hr + 1) {
      if (h(m.left.left) < h(m.left.right)) {
        m.left = rotateLeft(editable(m.left, edit), edit);
      }
      return rotateRight(m, edit);
    }
    if (hr > hl + 1) {
      if (h(m.right.right) < h(m.right.left)) {
        m.right = rotateRight(editable(m.right, edit), edit);
      }
      return rotateLeft(m, edit);
    }
    fix(m);
    return m;
  }

  private static <V> Node<V> rotateRight(Node<V> m, Object edit) {
    Node<V> l = editable(m.left, edit);
    m.left = l.right;
    fix(m);
    l.right = m;
    fix(l);
    return l;
  }

  private static <V> Node<V> rotateLeft(Node<V> m, Object edit) {
    Node<V> r = editable(m.right, edit);
    m.right = r.left;
    fix(m);
    r.left = m;
    fix(r);
    return r;
  }

  /** In-order iteration with an explicit stack. */
  private static final class InOrder<V> implements Iterator<Entry<String, V>> {
    private final ArrayDeque<Node<V>> stack = new ArrayDeque<>();

    InOrder(Node<V> root) {
      pushLeft(root);
    }

    private void pushLeft(Node<V> n) {
      while (n != null) {
        stack.push(n);
        n = n.left;
      }
    }

    @Override
    public boolean hasNext() {
      return !stack.isEmpty();
    }

    @Override
    public Entry<String, V> next() {
      if (stack.isEmpty()) {
        throw new NoSuchElementException();
      }
      Node<V> n = stack.pop();
      pushLeft(n.right);
      return n;
    }
  }

  /**
   * Checks the AVL invariants (for tests): order, balance, heights and sizes.
   *
   * @return {@code true} if every invariant holds
   */
  public boolean invariantsHold() {
    return check(root, null, null);
  }

  private static boolean check(Node<?> n, String lo, String hi) {
    if (n == null) {
      return true;
    }
    if ((lo != null && n.key.compareTo(lo) <= 0) || (hi != null && n.key.compareTo(hi) >= 0)) {
      return false;
    }
    if (Math.abs(h(n.left) - h(n.right)) > 1 || n.height != Math.max(h(n.left), h(n.right)) + 1 || n.size != s(n.left) + s(n.right) + 1) {
      return false;
    }
    return check(n.left, lo, n.key) && check(n.right, n.key, hi);
  }
}
