package io.infrastate.crypto;

import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.StoredForm;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The stored form of an encrypted state: whole-state encryption, installed on a backend by {@link
 * Keyring#protect}.
 *
 * <h2>FORMAT</h2>
 *
 * {@link StoredForm#MAGIC}, then one line of JSON (the header) {@code {"lineage", "serial", "part",
 * "kid", "keys"}}, then nonce || AES-256-GCM ciphertext || tag of the encoded part under the data
 * key {@code kid}. {@code keys} is the state's key record ({@link KeyRecord}: the data keys, each
 * wrapped by every key-encryption key), in clear, so that every stored byte sequence opens on its
 * own with any one of the keys. The authenticated data is the magic and the header line: a
 * sequence moved to another state (lineage), version (serial) or kind of part, or with an altered
 * header, does not open.
 *
 * <h2>WHICH VERSIONS</h2>
 *
 * A version is sealed when its key record says {@code encrypt_state}; otherwise its bytes pass
 * through unchanged. The flag is part of the version, so concurrent writers agree on it through
 * the backend's compare-and-swap, and {@code state encrypt} and {@code state decrypt} are writes
 * like any other.
 *
 * <h2>KEYS</h2>
 *
 * Data keys, once unwrapped, are kept by lineage and id, so that a record re-wrapped under a new
 * key ({@code rekey}) opens every earlier version, whose own header still holds the old wraps, as
 * soon as the newest version has been read. Knowing a data key is not the same as holding a key
 * that opens the state: the records the sources did open are noted apart ({@link #opensRecord}), so
 * that a handle can refuse the current version whose record has dropped its keys. Thread-safe: the
 * caches are concurrent.
 */
final class Envelope implements StoredForm {
  private static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_HEADER = 1 << 20;
  private static final JsonFactory JSON = JsonFactory.builder().build();

  private final List<KeySource> sources;
  private final String location;
  private final Map<String, byte[]> dataKeys = new ConcurrentHashMap<>();
  /** The key records (lineage and wraps) that the sources were seen to open. */
  private final java.util.Set<List<Object>> opening = ConcurrentHashMap.newKeySet();

  Envelope(List<KeySource> sources, String location) {
    this.sources = sources;
    this.location = location;
  }

  /** Whether a version's key record asks for whole-state encryption. */
  static boolean encrypts(Snapshot version) {
    ResourceState r = version.resources().get(KeyRecord.RESOURCE_KEY);
    return r != null && Boolean.TRUE.equals(r.data().get(KeyRecord.ENCRYPT_STATE));
  }

  /** Adds unwrapped data keys of a lineage to the cache. */
  void remember(String lineage, Map<String, byte[]> keys) {
    keys.forEach((kid, key) -> dataKeys.put(lineage + "/" + kid, key));
  }

  /** Notes that the sources open a key record (its data keys were unwrapped with them). */
  void opens(String lineage, KeyRecord record) {
    opening.add(List.of(lineage, record.dataKeys));
  }

  /** Whether the sources were seen to open a key record, not merely to know its data keys. */
  boolean opensRecord(String lineage, KeyRecord record) {
    return opening.contains(List.of(lineage, record.dataKeys));
  }

  /** The cached data keys of a lineage for every id of a record, or null if one is missing. */
  Map<String, byte[]> cached(String lineage, KeyRecord record) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (String kid : record.dataKeys.keySet()) {
      byte[] k = dataKeys.get(lineage + "/" + kid);
      if (k == null) {
        return null;
      }
      out.put(kid, k);
    }
    return out;
  }

  @Override
  public boolean seals(Snapshot version) {
    return encrypts(version);
  }

  @Override
  public byte[] seal(Snapshot version, String part, byte[] plain) {
    ResourceState r = version.resources().get(KeyRecord.RESOURCE_KEY);
    if (r == null || !Boolean.TRUE.equals(r.data().get(KeyRecord.ENCRYPT_STATE))) {
      return plain;
    }
    String lineage = version.metadata().lineage();
    KeyRecord record = KeyRecord.parse(r, location);
    byte[] key = keyOf(lineage, record.current, record);
    ByteArrayOutputStream head = new ByteArrayOutputStream(1024);
    head.writeBytes(MAGIC_BYTES);
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), head)) {
      g.writeStartObject();
      g.writeStringProperty("lineage", lineage);
      g.writeNumberProperty("serial", version.metadata().serial());
      g.writeStringProperty("part", part);
      g.writeStringProperty("kid", record.current);
      g.writeName("keys");
      write(g, r.data());
      g.writeEndObject();
    }
    head.write('\n');
    byte[] header = head.toByteArray();
    return Crypto.sealAfter(key, header, plain);
  }

  @Override
  public byte[] open(byte[] stored, String part, String location) {
    if (!StoredForm.isSealed(stored)) {
      return stored;
    }
    int end = headerEnd(stored, stored.length, location);
    byte[] key = keyFor(stored, end, part, location);
    byte[] plain = Crypto.openAfter(key, stored, end);
    if (plain == null) {
      throw tampered(location, "it does not authenticate under its data key");
    }
    return plain;
  }

  @Override
  public InputStream openStream(InputStream stored, String part, String location) throws IOException {
    BufferedInputStream in = new BufferedInputStream(stored, Crypto.SEGMENT + 1024);
    in.mark(MAX_HEADER);
    byte[] head = in.readNBytes(MAGIC_BYTES.length);
    if (!StoredForm.isSealed(head)) {
      in.reset();
      return in;
    }
    ByteArrayOutputStream h = new ByteArrayOutputStream(1024);
    h.writeBytes(head);
    int b;
    while ((b = in.read()) >= 0 && h.size() < MAX_HEADER) {
      h.write(b);
      if (b == '\n') {
        break;
      }
    }
    byte[] header = h.toByteArray();
    int end = headerEnd(header, header.length, location);
    byte[] key = keyFor(header, end, part, location);
    byte[] nonce = in.readNBytes(Crypto.NONCE_BYTES);
    if (nonce.length < Crypto.NONCE_BYTES) {
      throw tampered(location, "it is cut off after its header");
    }
    return new Segments(in, key, header, nonce, location);
  }

  /** The plain bytes of a sealed stream, opened segment by segment as they are read. Not thread-safe. */
  private static final class Segments extends InputStream {
    private final InputStream in;
    private final byte[] key;
    private final byte[] header;
    private final byte[] nonce;
    private final String location;
    private final byte[] sealed = new byte[Crypto.SEGMENT + Crypto.TAG_BITS / 8];
    private final byte[] plain = new byte[Crypto.SEGMENT];
    private int index;
    private int pos;
    private int limit;
    private boolean done;

    Segments(InputStream in, byte[] key, byte[] header, byte[] nonce, String location) {
      this.in = in;
      this.key = key;
      this.header = header;
      this.nonce = nonce;
      this.location = location;
    }

    private boolean fill() throws IOException {
      while (pos == limit) {
        if (done) {
          return false;
        }
        int n = in.readNBytes(sealed, 0, sealed.length);
        boolean last = n < sealed.length;
        if (!last) {
          in.mark(1);
          last = in.read() < 0;
          in.reset();
        }
        int got = n < Crypto.TAG_BITS / 8 ? -1 : Crypto.openSegment(key, header, nonce, index, last, sealed, n, plain);
        if (got < 0) {
          throw tampered(location, "segment " + index + " does not authenticate (altered, moved or cut off)");
        }
        index++;
        pos = 0;
        limit = got;
        done = last;
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      return fill() ? plain[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int n = Math.min(len, limit - pos);
      System.arraycopy(plain, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  /** Where the header line of sealed bytes ends (just after its newline). */
  private static int headerEnd(byte[] stored, int length, String location) {
    for (int i = MAGIC_BYTES.length; i < Math.min(length, MAX_HEADER); i++) {
      if (stored[i] == '\n') {
        return i + 1;
      }
    }
    throw tampered(location, "its header is cut off or too long");
  }

  /** Parses the header and returns the data key it names, unwrapping its key record if needed. */
  private byte[] keyFor(byte[] stored, int end, String part, String location) {
    String lineage = null;
    String kid = null;
    String storedPart = null;
    Map<String, Object> keys = null;
    boolean skipped = false;
    try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), stored, MAGIC_BYTES.length, end - MAGIC_BYTES.length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw tampered(location, "its header is not a JSON object");
      }
      String name;
      while ((name = p.nextName()) != null) {
        JsonToken t = p.nextToken();
        switch (name) {
          case "lineage" -> lineage = t == JsonToken.VALUE_STRING ? p.getString() : null;
          case "part" -> storedPart = t == JsonToken.VALUE_STRING ? p.getString() : null;
          case "kid" -> kid = t == JsonToken.VALUE_STRING ? p.getString() : null;
          case "keys" -> {
            // the key record is built only when its data key is not known yet (seal writes the
            // lineage and key id before it): every journal record carries one
            skipped = lineage != null && kid != null && t == JsonToken.START_OBJECT && dataKeys.containsKey(lineage + "/" + kid);
            if (skipped) {
              p.skipChildren();
              keys = Map.of();
            } else {
              keys = read(p) instanceof Map<?, ?> m ? cast(m) : null;
            }
          }
          default -> p.skipChildren();
        }
      }
    } catch (JacksonException e) {
      throw tampered(location, "its header does not parse (" + e.getOriginalMessage() + ")");
    }
    if (lineage == null || kid == null || keys == null || storedPart == null) {
      throw tampered(location, "its header lacks the lineage, key id, part or key record");
    }
    if (!storedPart.equals(part)) {
      throw tampered(location, "it holds a " + storedPart + " where a " + part + " belongs");
    }
    byte[] key = dataKeys.get(lineage + "/" + kid);
    if (key == null && skipped) {
      throw tampered(location, "its header names a second key id or lineage after its key record");
    }
    if (key == null) {
      KeyRecord record = KeyRecord.parse(ResourceState.builder(KeyRecord.TYPE, KeyRecord.ID).data(keys).build(), location);
      key = keyOf(lineage, kid, record);
    }
    return key;
  }

  private byte[] keyOf(String lineage, String kid, KeyRecord record) {
    byte[] key = dataKeys.get(lineage + "/" + kid);
    if (key != null) {
      return key;
    }
    remember(lineage, record.unwrap(lineage, sources, location));
    opens(lineage, record);
    key = dataKeys.get(lineage + "/" + kid);
    if (key == null) {
      throw tampered(location, "its key record does not hold the data key " + kid);
    }
    return key;
  }

  private static TamperedSecretException tampered(String location, String why) {
    return new TamperedSecretException(location, null, "The encrypted state at " + location + " was altered or"
        + " moved: " + why + ". Nothing was written; restore it from a backup or the history.");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private static void write(JsonGenerator g, Object v) {
    if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeName((String) e.getKey());
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof List<?> l) {
      g.writeStartArray();
      for (Object o : l) {
        write(g, o);
      }
      g.writeEndArray();
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Number n) {
      g.writeNumber(n.longValue());
    } else if (v == null) {
      g.writeNull();
    } else {
      g.writeString(v.toString());
    }
  }

  private static Object read(JsonParser p) {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        String name;
        while ((name = p.nextName()) != null) {
          p.nextToken();
          m.put(name, read(p));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          l.add(read(p));
        }
        return l;
      }
      case VALUE_STRING -> {
        return p.getString();
      }
      case VALUE_NUMBER_INT -> {
        long n = p.getLongValue();
        return n == (int) n ? Integer.valueOf((int) n) : Long.valueOf(n);
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return t == JsonToken.VALUE_TRUE;
      }
      default -> {
        p.skipChildren();
        return null;
      }
    }
  }
}
