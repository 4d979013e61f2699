package io.infrastate.crypto;

import io.infrastate.model.MissingKeyException;
import io.infrastate.model.ResourceState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The state's wrapped data keys: the resource {@value #RESOURCE_KEY}, stored with the state in every
 * version on every backend.
 *
 * <h2>WHERE THE DATA KEY LIVES</h2>
 *
 * A resource rather than a metadata field: every backend already stores resources in every form it
 * keeps (whole files, journal records of changes, Git blobs, S3 log records, database rows), so the
 * record reaches them all without a change to any backend, and a key change re-wraps this one
 * small record. A handle opened through a {@link Keyring} hides it; one opened without sees an
 * ordinary resource of type {@code infrastate}.
 *
 * <h2>FORMAT</h2>
 *
 * {@code data}: {@code format} (1), {@code current} (the id of the data key new secrets are sealed
 * with) and {@code data_keys}: for each key id a list of wraps, one per key-encryption key, each
 * {@code {provider, params, check, wrapped}}. {@code wrapped} is AES-256-GCM(KEK, data key) with
 * authenticated data binding it to the state's lineage, the key id and the provider, so a record
 * copied into another state does not open there. {@code check} is the first 8 bytes of
 * HMAC-SHA256(KEK, lineage, key id): it tells a wrong key (check differs) from an altered record
 * (check holds, unwrap fails). {@code params} hold the provider's clear parameters (a salt).
 */
final class KeyRecord {
  static final String RESOURCE_KEY = "infrastate:keys";
  static final String TYPE = "infrastate";
  static final String ID = "keys";
  /** The field that asks for whole-state encryption ({@link Envelope}). */
  static final String ENCRYPT_STATE = "encrypt_state";

  /** One data key wrapped by one key-encryption key. */
  record Wrap(String provider, Map<String, String> params, String check, String wrapped) {}

  final String current;
  final Map<String, List<Wrap>> dataKeys;
  final boolean encryptState;

  private KeyRecord(String current, Map<String, List<Wrap>> dataKeys, boolean encryptState) {
    this.current = current;
    this.dataKeys = dataKeys;
    this.encryptState = encryptState;
  }

  /** This record asking for whole-state encryption or not. */
  KeyRecord withEncryptState(boolean on) {
    return new KeyRecord(current, dataKeys, on);
  }

  /**
   * A record holding the same data keys wrapped by these sources only, and optionally a fresh data
   * key that becomes the current one: the old wraps are dropped, so the old keys no longer open it.
   *
   * @param keys every data key of this record, unwrapped
   * @param rotate whether to add a fresh data key for new writes
   * @return the new record and the fresh data key (or null)
   */
  Map.Entry<KeyRecord, Map<String, byte[]>> rewrapped(String lineage, Map<String, byte[]> keys, List<KeySource> sources,
      boolean rotate) {
    Map<String, byte[]> all = new LinkedHashMap<>(keys);
    String cur = current;
    if (rotate) {
      do {
        cur = hex(Crypto.random(4));
      } while (all.containsKey(cur));
      all.put(cur, Crypto.random(Crypto.KEY_BYTES));
    }
    Map<String, List<Wrap>> wrapped = new TreeMap<>();
    for (KeySource s : sources) {
      Map<String, String> params = new TreeMap<>(s.newParameters());
      byte[] kek = s.key(params);
      try {
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
          wrapped.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new Wrap(s.provider(), params,
              check(kek, lineage, e.getKey()), Crypto.b64(Crypto.seal(kek, e.getValue(), wrapAad(lineage, e.getKey(), s.provider())))));
        }
      } finally {
        Arrays.fill(kek, (byte) 0);
      }
    }
    Map<String, List<Wrap>> frozen = new LinkedHashMap<>();
    wrapped.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    return Map.entry(new KeyRecord(cur, frozen, encryptState), all);
  }

  /** A new record holding one fresh data key wrapped by every source; returns it and the key. */
  static Map.Entry<KeyRecord, byte[]> create(String lineage, List<KeySource> sources) {
    String kid = hex(Crypto.random(4));
    byte[] dataKey = Crypto.random(Crypto.KEY_BYTES);
    List<Wrap> wraps = new ArrayList<>();
    for (KeySource s : sources) {
      Map<String, String> params = new TreeMap<>(s.newParameters());
      byte[] kek = s.key(params);
      try {
        wraps.add(new Wrap(s.provider(), params, check(kek, lineage, kid),
            Crypto.b64(Crypto.seal(kek, dataKey, wrapAad(lineage, kid, s.provider())))));
      } finally {
        Arrays.fill(kek, (byte) 0);
      }
    }
    return Map.entry(new KeyRecord(kid, Map.of(kid, List.copyOf(wraps)), false), dataKey);
  }

  /**
   * Unwraps every data key of the record with the first source that opens it.
   *
   * @return data keys by id
   * @throws MissingKeyException if no source is of a provider the record is wrapped for
   * @throws WrongKeyException if sources of those providers were tried and none is the key
   * @throws TamperedSecretException if a source's check holds but the wrapped key does not open
   */
  Map<String, byte[]> unwrap(String lineage, List<KeySource> sources, String location) {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    for (Map.Entry<String, List<Wrap>> e : dataKeys.entrySet()) {
      keys.put(e.getKey(), unwrapOne(lineage, e.getKey(), e.getValue(), sources, location));
    }
    return keys;
  }

  private byte[] unwrapOne(String lineage, String kid, List<Wrap> wraps, List<KeySource> sources, String location) {
    boolean tried = false;
    RuntimeException unavailable = null;
    for (Wrap w : wraps) {
      for (KeySource s : sources) {
        if (!s.provider().equals(w.provider())) {
          continue;
        }
        byte[] kek;
        try {
          kek = s.key(w.params());
        } catch (MissingKeyException e) {
          unavailable = e;
          continue;
        }
        tried = true;
        try {
          if (!check(kek, lineage, kid).equals(w.check())) {
            continue;
          }
          byte[] sealed = Crypto.unb64(w.wrapped());
          byte[] key = sealed == null ? null : Crypto.open(kek, sealed, wrapAad(lineage, kid, w.provider()));
          if (key == null || key.length != Crypto.KEY_BYTES) {
            throw new TamperedSecretException(location, "$.resources." + RESOURCE_KEY,
                "The wrapped data key " + kid + " of " + location + " does not authenticate although "
                    + s.describe() + " is right: the resource " + RESOURCE_KEY + " was altered or copied from"
                    + " another state. Nothing was written; restore it from the history.");
          }
          return key;
        } finally {
          Arrays.fill(kek, (byte) 0);
        }
      }
    }
    String expected = expected();
    if (!tried && unavailable != null) {
      throw unavailable;
    }
    if (!tried) {
      throw new MissingKeyException("The secrets of " + location + " are sealed under a data key wrapped for "
          + expected + ", and this handle holds none of those keys (it holds " + describe(sources) + ")."
          + " Supply " + expected + ". Nothing was read or written.", expected);
    }
    throw new WrongKeyException("None of the keys this handle holds (" + describe(sources) + ") opens the"
        + " data key of " + location + ": it is wrapped for " + expected + ", and each check failed (a wrong"
        + " passphrase or another key). Supply the right key. Nothing was read or written.", expected);
  }

  /** What would open this record, such as {@code "a passphrase (INFRASTATE_PASSPHRASE) or a key file (--key-file)"}. */
  String expected() {
    Set<String> providers = new LinkedHashSet<>();
    dataKeys.values().forEach(l -> l.forEach(w -> providers.add(w.provider())));
    List<String> parts = new ArrayList<>();
    for (String p : providers) {
      parts.add(Keyring.describeProvider(p));
    }
    return String.join(" or ", parts);
  }

  private static String describe(List<KeySource> sources) {
    List<String> parts = new ArrayList<>();
    sources.forEach(s -> parts.add(s.describe()));
    return parts.isEmpty() ? "no key" : String.join(", ", parts);
  }

  static String check(byte[] kek, String lineage, String kid) {
    return Crypto.b64(Arrays.copyOf(Crypto.hmac(kek, Crypto.aad("infrastate:key-check:v1", lineage, kid)), 8));
  }

  private static byte[] wrapAad(String lineage, String kid, String provider) {
    return Crypto.aad("infrastate:data-key:v1", lineage, kid, provider);
  }

  /** The record as the resource stored in the state. */
  ResourceState toResource(Instant time) {
    Map<String, Object> keys = new TreeMap<>();
    dataKeys.forEach((kid, wraps) -> {
      List<Object> list = new ArrayList<>();
      for (Wrap w : wraps) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("provider", w.provider());
        m.put("params", w.params());
        m.put("check", w.check());
        m.put("wrapped", w.wrapped());
        list.add(m);
      }
      keys.put(kid, list);
    });
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("format", 1);
    data.put("current", current);
    data.put("data_keys", keys);
    if (encryptState) {
      data.put(ENCRYPT_STATE, true);
    }
    return ResourceState.builder(TYPE, ID).name("data keys of the secret values").data(data).build()
        .withTimestamps(time, time);
  }

  /**
   * Reads the record from its resource.
   *
   * @throws TamperedSecretException if it is not a record this code wrote
   */
  static KeyRecord parse(ResourceState r, String location) {
    try {
      Map<String, Object> d = r.data();
      if (!Integer.valueOf(1).equals(d.get("format")) || !(d.get("current") instanceof String current)
          || !(d.get("data_keys") instanceof Map<?, ?> keys) || !keys.containsKey(current)) {
        throw new IllegalArgumentException("format 1 with current and data_keys");
      }
      Map<String, List<Wrap>> dataKeys = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : keys.entrySet()) {
        List<Wrap> wraps = new ArrayList<>();
        for (Object o : (List<?>) e.getValue()) {
          Map<?, ?> w = (Map<?, ?>) o;
          Map<String, String> params = new TreeMap<>();
          ((Map<?, ?>) w.get("params")).forEach((k, v) -> params.put((String) k, (String) v));
          wraps.add(new Wrap((String) w.get("provider"), params, (String) w.get("check"), (String) w.get("wrapped")));
        }
        dataKeys.put((String) e.getKey(), List.copyOf(wraps));
      }
      return new KeyRecord(current, dataKeys, Boolean.TRUE.equals(d.get(ENCRYPT_STATE)));
    } catch (RuntimeException e) {
      throw new TamperedSecretException(location, "$.resources." + RESOURCE_KEY,
          "The resource " + RESOURCE_KEY + " of " + location + " is not a key record infrastate wrote ("
              + e.getMessage() + "); the secrets sealed under it cannot be opened. Nothing was written;"
              + " restore it from the history.");
    }
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }
}
