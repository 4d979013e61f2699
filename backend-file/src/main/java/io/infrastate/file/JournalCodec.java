package io.infrastate.file;

import static io.infrastate.file.ChangeCodec.expect;
import static io.infrastate.file.ChangeCodec.readChange;
import static io.infrastate.file.ChangeCodec.readLong;
import static io.infrastate.file.ChangeCodec.readString;
import static io.infrastate.file.ChangeCodec.readTime;
import static io.infrastate.file.ChangeCodec.readTokens;
import static io.infrastate.file.ChangeCodec.writeChange;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.Metadata;
import io.infrastate.codec.StateCodec;
import io.infrastate.file.ChangeCodec.Bad;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.StoredForm;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * The bytes of the journal file ({@code state.json.journal}) of the file backend in journal mode
 * ({@link JournalStore}).
 *
 * <p>A journal is a sequence of frames. Each frame is a 12-byte header — payload length (4 bytes,
 * big-endian), CRC32C of those 4 length bytes, CRC32C of the payload — followed by the payload: one
 * line of UTF-8 JSON ending in {@code \n}, so that {@code strings} or {@code less} show a journal
 * readably. The first frame is the journal header {@code {"infrastate_journal":1,"base_serial":N,
 * "lineage":"…"}}; every further frame is one saved version: its metadata, its audit entry and the
 * save's changes ({@code put_host}, {@code remove_host}, {@code put_resource}, {@code
 * remove_resource}, {@code replace_all}; {@link ChangeCodec}), hosts and resources in the field names
 * of state.json.
 *
 * <p>Reading tells a torn tail from damage: a frame that runs past the end of the file, a frame
 * whose payload checksum fails and that only zeros follow, or a region of zero bytes up to the end
 * (a crash after the file grew but before its data reached the disk) is a torn tail — a write that
 * never returned — and is ignored, provided no valid frame follows it. A length or checksum failure
 * followed by a valid frame, a payload checksum failure followed by anything but zeros, an
 * impossible length, or a frame whose checksums hold but whose content does not parse, is damage.
 *
 * <p>This class is stateless and thread-safe.
 */
final class JournalCodec {
  /** Bytes before each payload: length, length CRC, payload CRC. */
  static final int FRAME_HEADER = 12;

  /** The largest payload accepted (a replace_all of a very large state). */
  static final int MAX_PAYLOAD = 1 << 30;

  /** The journal format this code writes and reads. */
  static final int FORMAT = 1;

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(StateCodec.MAX_DEPTH + 8)
                  .maxStringLength(StateCodec.MAX_STRING_LENGTH)
                  .maxNameLength(StateCodec.MAX_STRING_LENGTH)
                  .maxNumberLength(StateCodec.MAX_NUMBER_LENGTH)
                  .build())
          .build();

  private JournalCodec() {}

  // ------------------------------------------------------------------ writing

  /** The journal's first frame: the serial and lineage of the base file it continues. */
  static byte[] header(long baseSerial, String lineage) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeNumberProperty("infrastate_journal", FORMAT);
      g.writeNumberProperty("base_serial", baseSerial);
      g.writeStringProperty("lineage", lineage);
      g.writeEndObject();
    }
    out.write('\n');
    return frame(out.toByteArray());
  }

  /** One framed record: the new version's metadata, the audit entry and the changes. */
  static byte[] record(SaveRequest request, StoredForm form) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 256 * request.changes().size());
    Metadata m = request.snapshot().metadata();
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeNumberProperty("serial", m.serial());
      g.writeStringProperty("lineage", m.lineage());
      g.writeStringProperty("version", m.version());
      g.writeStringProperty("created_at", StateCodec.formatTime(m.createdAt()));
      g.writeStringProperty("updated_at", StateCodec.formatTime(m.updatedAt()));
      if (!m.fences().isEmpty()) {
        g.writeName("fences");
        g.writeStartObject();
        for (Map.Entry<String, Long> f : m.fences().entrySet()) {
          g.writeNumberProperty(f.getKey(), f.getValue());
        }
        g.writeEndObject();
      }
      g.writeStringProperty("operator", request.audit().operator());
      g.writeStringProperty("operation", request.audit().operation());
      g.writeStringProperty("reason", request.audit().reason());
      HistoryFiles.writeLocks(g, request.audit().locks());
      g.writeName("changes");
      g.writeStartArray();
      for (Change c : request.changes()) {
        writeChange(g, c);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    out.write('\n');
    return frame(form.seals(request.snapshot()) ? form.seal(request.snapshot(), StoredForm.RECORD, out.toByteArray()) : out.toByteArray());
  }

  static byte[] frame(byte[] payload) {
    ByteBuffer buf = ByteBuffer.allocate(FRAME_HEADER + payload.length);
    buf.putInt(payload.length);
    buf.putInt(crc(buf.array(), 0, 4));
    buf.putInt(crc(payload, 0, payload.length));
    buf.put(payload);
    return buf.array();
  }

  private static int crc(byte[] data, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(data, off, len);
    return (int) c.getValue();
  }

  // ------------------------------------------------------------------ reading

  /** The journal header. */
  record Header(int format, long baseSerial, String lineage) {}

  /**
   * One saved version read back.
   *
   * @param metadata the version's metadata
   * @param audit who, what, why
   * @param changes the changes, or {@code null} when read for the audit only
   * @param end the file offset just after this record
   */
  record Entry(Metadata metadata, AuditEntry audit, List<Change> changes, long end) {
    long serial() {
      return metadata.serial();
    }
  }

  /** What a scan of journal bytes found. Not thread-safe. */
  static final class Scan {
    Header header;
    final List<Entry> entries = new ArrayList<>();
    /** The file offset just after the last valid frame (the header counts). */
    long validEnd;
    /**
     * The file offset just after the last non-zero byte that follows {@link #validEnd}: equal to
     * it when only zeros (the space kept ahead for appends) or nothing follow.
     */
    long dirtyEnd;
    /** Whether bytes that are not a valid record follow {@link #validEnd} (a torn tail). */
    boolean torn;
    /** What is damaged, or {@code null}. */
    String damage;
  }

  /**
   * Scans journal bytes. After the last valid record come zeros (space kept for appends), nothing,
   * or a torn tail: the bytes of a record whose write did not complete, in any state (a prefix,
   * some pages but not others, or zeros), followed by zeros. A frame that fails its checksum is a
   * torn tail when no valid frame follows it, and damage when one does (a record in the middle was
   * lost).
   *
   * @param data bytes of the journal starting at file offset {@code fileOffset}
   * @param fileOffset where {@code data} starts in the file; 0 means the header comes first
   * @param auditOnly whether to skip the changes (for history listings)
   * @param form the stored form of the records
   * @return what was found; never throws for damage, which is reported in {@link Scan#damage}
   */
  static Scan scan(byte[] data, long fileOffset, boolean auditOnly, StoredForm form) {
    Scan scan = new Scan();
    scan.validEnd = fileOffset;
    int p = 0;
    while (p < data.length) {
      int remaining = data.length - p;
      if (remaining < FRAME_HEADER) {
        break;
      }
      ByteBuffer buf = ByteBuffer.wrap(data, p, FRAME_HEADER);
      int len = buf.getInt();
      int lenCrc = buf.getInt();
      int payloadCrc = buf.getInt();
      if (crc(data, p, 4) != lenCrc) {
        if (validFrameAfter(data, p + 1)) {
          scan.damage = "the frame header at offset " + (fileOffset + p) + " fails its checksum and a valid record follows it";
        }
        break;
      }
      if (len < 0 || len > MAX_PAYLOAD) {
        scan.damage = "the frame at offset " + (fileOffset + p) + " declares an impossible length " + len;
        break;
      }
      if ((long) FRAME_HEADER + len > remaining) {
        // Torn only if nothing valid follows: a length that runs past the end in the middle of
        // the journal would otherwise hide every record after it.
        if (validFrameAfter(data, p + 1)) {
          scan.damage = "the frame at offset " + (fileOffset + p) + " declares " + len + " bytes, past the end of the"
              + " journal, and a valid record follows it";
        }
        break;
      }
      int start = p + FRAME_HEADER;
      if (crc(data, start, len) != payloadCrc) {
        // A torn append leaves its frame followed by the zeros kept ahead: anything else after it
        // was written later, so this record is damaged, not torn.
        if (validFrameAfter(data, p + 1)) {
          scan.damage = "the record at offset " + (fileOffset + p) + " fails its checksum and a valid record follows it";
        } else if (!zerosFrom(data, start + len)) {
          scan.damage = "the record at offset " + (fileOffset + p) + " fails its checksum and more data follows it";
        }
        break;
      }
      long end = fileOffset + start + len;
      try {
        if (fileOffset == 0 && p == 0) {
          scan.header = parseHeader(data, start, len);
        } else {
          scan.entries.add(parseEntry(data, start, len, end, auditOnly, form));
        }
      } catch (Bad e) {
        scan.damage = "the record at offset " + (fileOffset + p) + " is not valid: " + e.getMessage();
        break;
      }
      p = start + len;
      scan.validEnd = end;
    }
    if (fileOffset == 0 && scan.header == null && scan.damage == null && data.length > 0) {
      scan.damage = "the journal header is missing or torn";
    }
    int last = data.length - 1;
    int from = (int) (scan.validEnd - fileOffset);
    while (last >= from && data[last] == 0) {
      last--;
    }
    scan.dirtyEnd = fileOffset + last + 1;
    scan.torn = scan.dirtyEnd > scan.validEnd;
    return scan;
  }

  /** The payload length of the frame at {@code p} if its header and payload checksums hold, else -1. */
  private static int wholeFrame(byte[] data, int p) {
    ByteBuffer buf = ByteBuffer.wrap(data, p, FRAME_HEADER);
    int len = buf.getInt();
    int lenCrc = buf.getInt();
    int payloadCrc = buf.getInt();
    int start = p + FRAME_HEADER;
    boolean whole = crc(data, p, 4) == lenCrc && len > 0 && len <= MAX_PAYLOAD && len <= data.length - start
        && crc(data, start, len) == payloadCrc;
    return whole ? len : -1;
  }

  /**
   * The payload of the last record in {@code data} (a whole journal) that is sealed ({@link
   * StoredForm#isSealed}), as stored, without opening it; null if none. Reads frames from the start
   * while their checksums hold.
   */
  static byte[] lastSealedPayload(byte[] data) {
    byte[] last = null;
    int p = 0;
    while (data.length - p >= FRAME_HEADER) {
      int len = wholeFrame(data, p);
      if (len < 0) {
        break;
      }
      int start = p + FRAME_HEADER;
      if (p > 0 && len >= StoredForm.MAGIC.length()
          && StoredForm.isSealed(java.util.Arrays.copyOfRange(data, start, start + StoredForm.MAGIC.length()))) {
        last = java.util.Arrays.copyOfRange(data, start, start + len);
      }
      p = start + len;
    }
    return last;
  }

  /**
   * The journal {@code data} with each record passed through {@code restore}, which gets the record's
   * payload as stored and its version's metadata (opened through {@code form} to read it) and
   * returns the payload to store; the header frame is kept as it is, and what follows the last
   * valid frame (a torn tail, the zeros kept ahead) is dropped. Returns {@code data} itself when no
   * payload changed.
   *
   * @throws Bad if a record does not parse
   */
  static byte[] restore(byte[] data, StoredForm form, java.util.function.BiFunction<byte[], Metadata, byte[]> restore) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
    boolean changed = false;
    int p = 0;
    while (data.length - p >= FRAME_HEADER) {
      int len = wholeFrame(data, p);
      if (len < 0) {
        break;
      }
      int start = p + FRAME_HEADER;
      byte[] payload = java.util.Arrays.copyOfRange(data, start, start + len);
      if (p == 0) {
        out.writeBytes(java.util.Arrays.copyOfRange(data, p, start + len));
      } else {
        byte[] next = restore.apply(payload, parseEntry(payload, 0, len, start + len, true, form).metadata());
        changed |= next != payload;
        out.writeBytes(next == payload ? java.util.Arrays.copyOfRange(data, p, start + len) : frame(next));
      }
      p = start + len;
    }
    return changed || p < data.length ? out.toByteArray() : data;
  }

  /** Whether the bytes from {@code from} on are all zeros (what follows the last record). */
  static boolean zerosFrom(byte[] data, int from) {
    for (int i = from; i < data.length; i++) {
      if (data[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether a complete frame with valid checksums starts anywhere at or after {@code from}. */
  private static boolean validFrameAfter(byte[] data, int from) {
    for (int q = from; q + FRAME_HEADER <= data.length; q++) {
      int len = ((data[q] & 0xff) << 24) | ((data[q + 1] & 0xff) << 16) | ((data[q + 2] & 0xff) << 8) | (data[q + 3] & 0xff);
      if (len <= 0 || len > MAX_PAYLOAD || (long) q + FRAME_HEADER + len > data.length) {
        continue;
      }
      ByteBuffer buf = ByteBuffer.wrap(data, q + 4, 8);
      if (crc(data, q, 4) == buf.getInt() && crc(data, q + FRAME_HEADER, len) == buf.getInt()) {
        return true;
      }
    }
    return false;
  }

  private static Header parseHeader(byte[] data, int off, int len) {
    int format = -1;
    long base = -1;
    String lineage = "";
    try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), data, off, len)) {
      expect(p.nextToken(), JsonToken.START_OBJECT, "the header object");
      String name;
      while ((name = p.nextName()) != null) {
        JsonToken t = p.nextToken();
        switch (name) {
          case "infrastate_journal": format = (int) readLong(p, t); break;
          case "base_serial": base = readLong(p, t); break;
          case "lineage": lineage = readString(p, t); break;
          default: p.skipChildren();
        }
      }
    } catch (JacksonException e) {
      throw new Bad("header: " + e.getOriginalMessage());
    }
    if (format != FORMAT) {
      throw new Bad("journal format " + format + " is not supported (this version reads format " + FORMAT + ")");
    }
    if (base < 0) {
      throw new Bad("the header has no base_serial");
    }
    return new Header(format, base, lineage);
  }

  private static Entry parseEntry(byte[] data, int off, int len, long end, boolean auditOnly, StoredForm form) {
    if (len >= StoredForm.MAGIC.length() && StoredForm.isSealed(java.util.Arrays.copyOfRange(data, off, off + StoredForm.MAGIC.length()))) {
      byte[] plain = form.open(java.util.Arrays.copyOfRange(data, off, off + len), StoredForm.RECORD, "the journal record ending at offset " + end);
      data = plain;
      off = 0;
      len = plain.length;
    }
    long serial = -1;
    String lineage = "";
    String version = null;
    Instant created = null;
    Instant updated = null;
    String operator = "";
    String operation = "";
    String reason = "";
    Map<String, Long> fences = Map.of();
    Map<String, Long> locks = Map.of();
    List<Change> changes = auditOnly ? null : new ArrayList<>();
    try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), data, off, len)) {
      expect(p.nextToken(), JsonToken.START_OBJECT, "a record object");
      String name;
      while ((name = p.nextName()) != null) {
        JsonToken t = p.nextToken();
        switch (name) {
          case "serial": serial = readLong(p, t); break;
          case "lineage": lineage = readString(p, t); break;
          case "version": version = readString(p, t); break;
          case "created_at": created = readTime(p, t); break;
          case "updated_at": updated = readTime(p, t); break;
          case "operator": operator = readString(p, t); break;
          case "operation": operation = readString(p, t); break;
          case "reason": reason = readString(p, t); break;
          case "fences": fences = readTokens(p); break;
          case "locks": locks = readTokens(p); break;
          case "changes":
            expect(t, JsonToken.START_ARRAY, "an array of changes");
            if (auditOnly) {
              p.skipChildren();
            } else {
              JsonToken c;
              while ((c = p.nextToken()) != JsonToken.END_ARRAY) {
                expect(c, JsonToken.START_OBJECT, "a change object");
                changes.add(readChange(p));
              }
            }
            break;
          default: throw new Bad("unknown field '" + name + "'");
        }
      }
    } catch (JacksonException e) {
      throw new Bad(e.getOriginalMessage());
    }
    if (serial < 0 || version == null) {
      throw new Bad("serial or version is missing");
    }
    Metadata m;
    try {
      m = new Metadata(version, serial, lineage, created, updated, fences);
    } catch (IllegalArgumentException e) {
      throw new Bad(e.getMessage());
    }
    return new Entry(m, new AuditEntry(operator, operation, reason, locks), changes == null ? null : List.copyOf(changes), end);
  }
}
