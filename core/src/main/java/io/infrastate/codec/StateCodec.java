package io.infrastate.codec;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.model.UnsupportedFormatVersionException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.BiConsumer;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;

/**
 * Reads and writes {@code state.json}: exactly the Go-FTL2 format, plus {@code serial}, {@code
 * lineage} and (for states written under a lock) {@code fences} in {@code metadata}. A file written by Go loads here and a file written here loads in
 * Go (which ignores the extra fields).
 *
 * <h2>Writing</h2>
 *
 * Pretty-printed as Go's {@code json.MarshalIndent(v, "", "  ")}: two-space indent, {@code "key":
 * value}, fields in Go's struct order, map keys sorted (as Go sorts them), empty {@code vars},
 * {@code group} and {@code tags} omitted as Go's {@code omitempty} does, timestamps in RFC 3339
 * UTC, and a final newline. The output for a given snapshot is always the same bytes, so Git diffs
 * stay small.
 *
 * <h2>Reading</h2>
 *
 * Accepts JSON as RFC 8259 defines it, in UTF-8 (after a byte order mark or not), UTF-16 or
 * UTF-32; Go's timestamps (RFC 3339 with fractional seconds and any offset, normalized to UTC); and
 * {@code null} for any map. The document is read from a stream by Jackson's streaming parser, in
 * small buffers, so a load never holds the file's bytes. Anything else is damage: the decoder
 * throws {@link CorruptStateException} naming the source, the JSON path, line and column, and what
 * is wrong, for input that is empty, not JSON, truncated, not valid UTF-8 (overlong forms and
 * encoded surrogates too), has NUL or other control bytes, wrong types, duplicate keys, unknown
 * fields (they would be lost on the next write), a host whose key differs from its name, a port
 * outside 0..65535, nesting deeper than {@value #MAX_DEPTH}, a string longer than {@value
 * #MAX_STRING_LENGTH} characters, a number longer than {@value #MAX_NUMBER_LENGTH} digits, or a
 * document longer than the limit the caller gives. A format version newer than {@value
 * Metadata#FORMAT_VERSION} raises {@link UnsupportedFormatVersionException}. The input is never
 * modified.
 *
 * <p>This class is thread-safe and stateless.
 */
public final class StateCodec {
  /** The deepest nesting accepted, counting the document's own four levels. */
  public static final int MAX_DEPTH = 64;

  /** The longest string value or key accepted, in characters (8 MiB). */
  public static final int MAX_STRING_LENGTH = 8 * 1024 * 1024;

  /** The longest number accepted, in characters. */
  public static final int MAX_NUMBER_LENGTH = 100;

  /**
   * Jackson's generator and the Go layout, which only writing needs: held apart so that a run that
   * only loads (a command-line tool's first load) never builds the writer's factory or loads this
   * layout (QuietStartTest checks it).
   */
  private static final class Writing {
    static final JsonFactory FACTORY = JsonFactory.builder().build();

    /**
     * Go's {@code json.MarshalIndent(v, "", "  ")}: {@code "key": value}, no space before a comma,
     * {@code {}} and {@code []} when empty, two spaces per level and a bare line feed everywhere.
     */
    static final ObjectWriteContext GO_STYLE =
        new ObjectWriteContext.Base() {
          private final Separators separators =
              Separators.createDefaultInstance()
                  .withObjectNameValueSpacing(Separators.Spacing.AFTER)
                  .withObjectEmptySeparator("")
                  .withArrayEmptySeparator("");
          private final DefaultIndenter indenter = new DefaultIndenter("  ", "\n");

          @Override
          public PrettyPrinter getPrettyPrinter() {
            return new DefaultPrettyPrinter(separators).withObjectIndenter(indenter).withArrayIndenter(indenter);
          }

          @Override
          public boolean hasPrettyPrinter() {
            return true;
          }
        };
  }

  private StateCodec() {}

  /**
   * Serializes a snapshot to state.json bytes (UTF-8).
   *
   * @param snapshot the snapshot
   * @return the file content
   */
  public static byte[] encode(Snapshot snapshot) {
    return encode(snapshot, null);
  }

  /**
   * Serializes a snapshot to state.json bytes (UTF-8), copying the encodings of the hosts and
   * resources that {@code reuse} holds from the last write through it, and leaving it holding this
   * snapshot's. The bytes are the same as {@link #encode(Snapshot)}'s.
   *
   * @param snapshot the snapshot
   * @param reuse the encodings of the last write, or null to encode every entry
   * @return the file content
   */
  public static byte[] encode(Snapshot snapshot, EntryEncodings reuse) {
    long estimate = 4096 + snapshot.hosts().size() * 300L + snapshot.resources().size() * 400L;
    // the last document written through reuse is most often the size of this one
    long size = reuse == null || reuse.lastLength() == 0 ? estimate : reuse.lastLength() + 4096;
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(size, Integer.MAX_VALUE - 8));
    write(snapshot, out, reuse);
    return out.toByteArray();
  }

  /**
   * Serializes a snapshot to a stream (UTF-8). The stream is flushed, not closed.
   *
   * @param snapshot the snapshot
   * @param out the destination
   * @throws io.infrastate.model.BackendException if the stream fails
   */
  public static void write(Snapshot snapshot, OutputStream out) {
    write(snapshot, out, null);
  }

  /**
   * Serializes a snapshot to a stream (UTF-8) as {@link #write(Snapshot, OutputStream)} does,
   * copying the encodings of the hosts and resources that {@code reuse} holds from the last write
   * through it (entries are compared by identity: an unchanged entry is the same object in both
   * versions), and leaving it holding this snapshot's once the write completes. The bytes are the
   * same as without it.
   *
   * @param snapshot the snapshot
   * @param out the destination
   * @param reuse the encodings of the last write, or null to encode every entry
   * @throws io.infrastate.model.BackendException if the stream fails
   */
  public static void write(Snapshot snapshot, OutputStream out, EntryEncodings reuse) {
    EntryEncodings.Pass pass = reuse == null ? null : reuse.start(out, snapshot.hosts().size() + snapshot.resources().size());
    try (JsonGenerator g = Writing.FACTORY.createGenerator(Writing.GO_STYLE, pass == null ? out : pass)) {
      g.writeStartObject();
      Metadata m = snapshot.metadata();
      g.writeName("metadata");
      g.writeStartObject();
      g.writeStringProperty("version", m.version());
      g.writeStringProperty("created_at", formatTime(m.createdAt()));
      g.writeStringProperty("updated_at", formatTime(m.updatedAt()));
      g.writeNumberProperty("serial", m.serial());
      if (m.hasLineage()) {
        g.writeStringProperty("lineage", m.lineage());
      }
      if (!m.fences().isEmpty()) {
        g.writeName("fences");
        g.writeStartObject();
        for (Map.Entry<String, Long> f : m.fences().entrySet()) {
          g.writeNumberProperty(f.getKey(), f.getValue());
        }
        g.writeEndObject();
      }
      g.writeEndObject();

      g.writeName("hosts");
      g.writeStartObject();
      if (pass != null) {
        pass.hosts();
      }
      writeEntries(g, pass, snapshot.hosts(), StateEntries::writeHost);
      g.writeEndObject();

      g.writeName("resources");
      g.writeStartObject();
      if (pass != null) {
        pass.resources();
      }
      writeEntries(g, pass, snapshot.resources(), StateEntries::writeResource);
      g.writeEndObject();
      g.writeEndObject();
      g.writeRaw('\n');
      g.flush();
      if (pass != null) {
        out.flush();
        pass.publish();
      }
    } catch (JacksonException e) {
      throw new io.infrastate.model.BackendException("Could not write state.json: " + e.getOriginalMessage(), e, false);
    } catch (IOException e) {
      throw new io.infrastate.model.BackendException("Could not write state.json: " + e.getMessage(), e, false);
    }
  }

  /** Writes the members of an object of hosts or resources, copying through {@code pass} what it can. */
  private static <T> void writeEntries(JsonGenerator g, EntryEncodings.Pass pass, Map<String, T> entries, BiConsumer<JsonGenerator, T> writer)
      throws IOException {
    for (Map.Entry<String, T> e : entries.entrySet()) {
      T entry = e.getValue();
      g.writeName(e.getKey());
      if (pass == null) {
        writer.accept(g, entry);
      } else if (!pass.copy(g, e.getKey(), entry)) {
        pass.record(g);
        writer.accept(g, entry);
        pass.recorded(g, e.getKey(), entry);
      }
    }
  }

  /**
   * Formats a timestamp in UTC as RFC 3339 with {@link DateTimeFormatter#ISO_INSTANT}: seconds
   * always, fractional seconds only when non-zero, in groups of three digits.
   *
   * @param t the instant
   * @return the text
   */
  public static String formatTime(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }

  /**
   * Parses an RFC 3339 timestamp with any offset and up to nanosecond precision.
   *
   * @param text the text
   * @return the instant
   * @throws DateTimeParseException if it is not RFC 3339
   */
  public static Instant parseTime(String text) {
    int n = text.length();
    Instant fast = n <= 30 ? utc(text.toCharArray(), 0, n) : null;
    return fast != null ? fast : OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
  }

  /**
   * The instant of the text in {@code b[at, at + n)} if it has the UTC layout written here ({@code
   * 2026-01-15T10:30:00Z}, optionally with 1 to 9 fractional digits) and is a valid date and time;
   * {@code null} for anything else, which java.time's general parser (the costliest part of a load
   * for a state's thousands of timestamps) then reads or refuses.
   */
  static Instant utc(char[] b, int at, int n) {
    if (n < 20 || n == 21 || n > 30 || b[at + 4] != '-' || b[at + 7] != '-' || b[at + 10] != 'T'
        || b[at + 13] != ':' || b[at + 16] != ':' || b[at + n - 1] != 'Z' || (n > 20 && b[at + 19] != '.')) {
      return null;
    }
    int year = digits(b, at, at + 4);
    int month = digits(b, at + 5, at + 7);
    int day = digits(b, at + 8, at + 10);
    int hour = digits(b, at + 11, at + 13);
    int minute = digits(b, at + 14, at + 16);
    int second = digits(b, at + 17, at + 19);
    int nanos = 0;
    if (n > 20) {
      nanos = digits(b, at + 20, at + n - 1);
      for (int i = n - 21; i < 9 && nanos >= 0; i++) {
        nanos *= 10;
      }
    }
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28 && day > java.time.YearMonth.of(year, month).lengthOfMonth()
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || nanos < 0) {
      return null;
    }
    long days = java.time.LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
  }

  /** The decimal value of b[from, to), or -1 if it holds a non-digit. */
  private static int digits(char[] b, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      int c = b[i];
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * Parses state.json bytes.
   *
   * @param content the file content
   * @param source the file, object or commit it came from, for messages
   * @param recoveryHint where the last good version is (such as {@code "the previous version is in
   *     state.json.backup"}), appended to damage messages; may be empty
   * @return the snapshot
   * @throws CorruptStateException if the content is damaged in any way listed above
   * @throws UnsupportedFormatVersionException if its format version is newer than supported
   */
  public static Snapshot decode(byte[] content, String source, String recoveryHint) {
    return StateDecoder.decode(content, source, recoveryHint);
  }

  /**
   * Parses state.json from a stream, read in small buffers: the load holds the decoded state, never
   * the whole file. The stream is read up to the end of the document (and whatever follows it, which
   * is damage) and not closed.
   *
   * @param in the file content
   * @param source the file, object or commit it came from, for messages
   * @param recoveryHint where the last good version is (such as {@code "the previous version is in
   *     state.json.backup"}), appended to damage messages; may be empty
   * @return the snapshot
   * @throws CorruptStateException if the content is damaged in any way listed above
   * @throws UnsupportedFormatVersionException if its format version is newer than supported
   * @throws io.infrastate.model.BackendException if reading the stream fails
   */
  public static Snapshot decode(InputStream in, String source, String recoveryHint) {
    return decode(in, source, recoveryHint, Long.MAX_VALUE);
  }

  /**
   * Parses state.json from a stream as {@link #decode(InputStream, String, String)} does, refusing a
   * document longer than {@code maxLength} bytes as soon as more bytes than that have been read
   * (a hostile or runaway stream is never read whole).
   *
   * @param in the file content
   * @param source the file, object or commit it came from, for messages
   * @param recoveryHint where the last good version is, appended to damage messages; may be empty
   * @param maxLength the most bytes the document may have
   * @return the snapshot
   * @throws CorruptStateException if the content is damaged in any way listed above, or longer
   *     than {@code maxLength} bytes (the message names the limit)
   * @throws UnsupportedFormatVersionException if its format version is newer than supported
   * @throws io.infrastate.model.BackendException if reading the stream fails
   * @throws IllegalArgumentException if {@code maxLength} is negative
   */
  public static Snapshot decode(InputStream in, String source, String recoveryHint, long maxLength) {
    if (maxLength < 0) {
      throw new IllegalArgumentException("maxLength must not be negative: " + maxLength);
    }
    return StateDecoder.decode(in, source, recoveryHint, maxLength);
  }
}
