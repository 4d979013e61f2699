package io.infrastate.crypto;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Seals and opens the secret values of one state (one lineage) with its data keys.
 *
 * <h2>WHAT A SEALED VALUE IS BOUND TO</h2>
 *
 * Each value is AES-256-GCM under the data key named in its stored text, with authenticated data
 * naming the data key, the state's lineage and the value's place (host name and var path, or
 * resource key and data path), so that a value moved to another host, field or state fails to
 * open. Not the serial: a value is sealed once, when it is set, and keeps its bytes across later
 * writes of other fields, so Git diffs show only the hosts that changed.
 *
 * <p>Instances are immutable and thread-safe.
 */
final class Sealer {
  private final String lineage;
  private final String current;
  private final Map<String, byte[]> dataKeys;
  private final String location;

  Sealer(String lineage, String current, Map<String, byte[]> dataKeys, String location) {
    this.lineage = lineage;
    this.current = current;
    this.dataKeys = dataKeys;
    this.location = location;
  }

  String lineage() {
    return lineage;
  }

  /** Where a value is: its data key, the lineage and its path. */
  record Place(String kid, String lineage, List<String> path) {}

  // ------------------------------------------------------------------ sealing, for writes

  HostState seal(HostState h) {
    Map<String, Object> vars = sealObject(h.vars(), List.of("hosts", h.name(), "vars"));
    return vars == h.vars() ? h : h.withVars(vars);
  }

  ResourceState seal(String key, ResourceState r) {
    Map<String, Object> data = sealObject(r.data(), List.of("resources", key, "data"));
    return data == r.data() ? r : r.withData(data);
  }

  private Map<String, Object> sealObject(Map<String, Object> map, List<String> path) {
    return mapSecrets(map, path, this::sealSecret);
  }

  /**
   * {@code map} with each secret in it (at any depth) replaced by what {@code f} gives for it and
   * its path; the same instance where nothing changed, so that unchanged values stay shared.
   */
  private static Map<String, Object> mapSecrets(Map<String, Object> map, List<String> path,
      java.util.function.BiFunction<Secret, List<String>, Object> f) {
    Map<String, Object> out = null;
    for (Map.Entry<String, Object> e : map.entrySet()) {
      Object v = e.getValue();
      Object s = mapSecrets(v, append(path, e.getKey()), f);
      if (s != v && out == null) {
        out = new LinkedHashMap<>(map);
      }
      if (out != null) {
        out.put(e.getKey(), s);
      }
    }
    return out == null ? map : out;
  }

  private static Object mapSecrets(Object v, List<String> path, java.util.function.BiFunction<Secret, List<String>, Object> f) {
    if (v instanceof Secret s) {
      return f.apply(s, path);
    }
    if (v instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) m;
      return mapSecrets(map, path, f);
    }
    if (v instanceof List<?> list) {
      List<Object> out = null;
      for (int i = 0; i < list.size(); i++) {
        Object o = list.get(i);
        Object s = mapSecrets(o, append(path, Integer.toString(i)), f);
        if (s != o && out == null) {
          out = new ArrayList<>(list);
        }
        if (out != null) {
          out.set(i, s);
        }
      }
      return out == null ? v : out;
    }
    return v;
  }

  /**
   * The stored form of {@code s} at {@code path}, as a sealed secret that carries no key (so that a
   * backend that keeps the objects it was given hands no key to a handle that has none).
   */
  private Secret sealSecret(Secret s, List<String> path) {
    if (s.isSealed()) {
      String stored = s.storedForm().orElseThrow();
      Place here = new Place(kidOf(stored), lineage, path);
      if (s.opening() == null) {
        new Opening(here).open(stored); // read without a key: it must belong here
        return s;
      }
      if (s.opening().place().equals(here)) {
        return Secret.fromStored(stored);
      }
      return sealClear(s, null, path); // read elsewhere with a key: moved here, sealed anew
    }
    return sealClear(s, s.clearValue(), path);
  }

  /** Seals {@code s} for its place, once: later writes of the same instance reuse the text. */
  private Secret sealClear(Secret s, String clear, List<String> path) {
    Place place = new Place(current, lineage, path);
    String text = s.sealedFor(place);
    if (text == null) {
      String value = clear != null ? clear : s.reveal();
      byte[] sealed = Crypto.seal(dataKeys.get(current), value.getBytes(StandardCharsets.UTF_8), aad(place));
      text = Secret.PREFIX + current + ":" + Crypto.b64(sealed);
      s.rememberSealed(place, text);
    }
    return Secret.fromStored(text);
  }

  /**
   * Whether every secret of a host's vars or a resource's data is stored as it is held: none is in
   * clear, and none was read at another place. Entries that are not settled must be sealed again by
   * every later write, which stores the whole state.
   */
  boolean settled(Object value, List<String> path) {
    if (value instanceof Secret s) {
      if (!s.isSealed()) {
        return false;
      }
      return s.opening() == null || s.opening().place().equals(new Place(kidOf(s.storedForm().orElseThrow()), lineage, path));
    }
    if (value instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!settled(e.getValue(), append(path, (String) e.getKey()))) {
          return false;
        }
      }
    } else if (value instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        if (!settled(l.get(i), append(path, Integer.toString(i)))) {
          return false;
        }
      }
    }
    return true;
  }

  static List<String> hostPath(String name) {
    return List.of("hosts", name, "vars");
  }

  static List<String> resourcePath(String key) {
    return List.of("resources", key, "data");
  }

  // ------------------------------------------------------------------ opening, for reads

  HostState open(HostState h) {
    Map<String, Object> vars = openObject(h.vars(), List.of("hosts", h.name(), "vars"));
    return vars == h.vars() ? h : h.withVars(vars);
  }

  ResourceState open(String key, ResourceState r) {
    Map<String, Object> data = openObject(r.data(), List.of("resources", key, "data"));
    return data == r.data() ? r : r.withData(data);
  }

  private Map<String, Object> openObject(Map<String, Object> map, List<String> path) {
    return mapSecrets(map, path,
        (s, at) -> s.isSealed() ? s.openableWith(new Opening(new Place(kidOf(s.storedForm().orElseThrow()), lineage, at))) : s);
  }

  /** Whether a value holds a secret anywhere. */
  static boolean holdsSecret(Object v) {
    return Secret.isIn(v);
  }

  private static List<String> append(List<String> path, String part) {
    List<String> p = new ArrayList<>(path.size() + 1);
    p.addAll(path);
    p.add(part);
    return p;
  }

  private static String kidOf(String stored) {
    int colon = stored.indexOf(':', Secret.PREFIX.length());
    return colon < 0 ? "" : stored.substring(Secret.PREFIX.length(), colon);
  }

  private static byte[] aad(Place p) {
    String[] parts = new String[2 + p.path().size()];
    parts[0] = p.kid();
    parts[1] = p.lineage();
    for (int i = 0; i < p.path().size(); i++) {
      parts[2 + i] = p.path().get(i);
    }
    return Crypto.aad("infrastate:secret:v1", parts);
  }

  static String jsonPath(List<String> path) {
    StringBuilder sb = new StringBuilder("$");
    for (String part : path) {
      sb.append('.').append(part);
    }
    return sb.toString();
  }

  /** Opens stored texts sealed at one place. */
  private final class Opening implements Secret.Opening {
    private final Place place;

    Opening(Place place) {
      this.place = place;
    }

    @Override
    public Object place() {
      return place;
    }

    @Override
    public String open(String stored) {
      String path = jsonPath(place.path());
      byte[] key = dataKeys.get(place.kid());
      if (key == null) {
        throw new TamperedSecretException(location, path, "The secret at " + path + " of " + location
            + " names data key '" + place.kid() + "', which the state's key record does not hold: the value was"
            + " altered or copied from another state. Nothing was written; set it again or restore it from the history.");
      }
      byte[] sealed = Crypto.unb64(stored.substring(Secret.PREFIX.length() + place.kid().length() + 1));
      byte[] clear = sealed == null ? null : Crypto.open(key, sealed, aad(place));
      if (clear == null) {
        throw new TamperedSecretException(location, path, "The secret at " + path + " of " + location
            + " does not authenticate under the state's data key: it was altered, or moved from another host, field"
            + " or state. Nothing was written; set it again or restore it from the history.");
      }
      return new String(clear, StandardCharsets.UTF_8);
    }
  }
}
