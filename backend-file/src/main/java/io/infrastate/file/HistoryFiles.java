package io.infrastate.file;

import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.StoredForm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/** Names and audit records of the file backend's history directory. */
final class HistoryFiles {
  /** Created on first use: a load that only asks for a version's file name never loads Jackson. */
  private static final class Json {
    static final JsonFactory JSON = new JsonFactory();
  }

  private HistoryFiles() {}

  /** {@code 00000000000000000042} for serial 42: names sort like serials. */
  static String baseName(long serial) {
    return String.format("%020d", serial);
  }

  /** The serials kept in a history directory (those of its audit records), unsorted; empty if it does not exist. */
  static List<Long> serials(Path dir) throws IOException {
    return serials(dir, ".audit.json");
  }

  /**
   * The serials of the files {@code <serial><suffix>} in a history directory, unsorted; empty if
   * it does not exist.
   */
  static List<Long> serials(Path dir, String suffix) throws IOException {
    List<Long> out = new ArrayList<>();
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*" + suffix)) {
      for (Path p : stream) {
        String n = p.getFileName().toString();
        String digits = n.substring(0, n.length() - suffix.length());
        if (digits.length() == 20 && digits.chars().allMatch(Character::isDigit)) {
          out.add(Long.parseLong(digits));
        }
      }
    }
    return out;
  }

  /** The file {@code <serial><suffix>} in a history directory. */
  static Path file(Path dir, long serial, String suffix) {
    return dir.resolve(baseName(serial) + suffix);
  }

  /** The audit record of a save: serial, lineage, time, operator, operation, reason; sealed with the version. */
  static byte[] encodeAudit(SaveRequest request, StoredForm form) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = Json.JSON.createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeNumberProperty("serial", request.snapshot().metadata().serial());
      g.writeStringProperty("lineage", request.snapshot().metadata().lineage());
      g.writeStringProperty("time", StateCodec.formatTime(request.snapshot().metadata().updatedAt()));
      g.writeStringProperty("operator", request.audit().operator());
      g.writeStringProperty("operation", request.audit().operation());
      g.writeStringProperty("reason", request.audit().reason());
      writeLocks(g, request.audit().locks());
      g.writeEndObject();
    }
    out.write('\n');
    return form.seals(request.snapshot()) ? form.seal(request.snapshot(), StoredForm.AUDIT, out.toByteArray()) : out.toByteArray();
  }

  /**
   * Reads an audit record (through {@link StateFiles}: no links, regular files only, at most {@code
   * limit} bytes); empty if it vanished (pruned) or is unreadable (logged by caller).
   */
  static Optional<VersionInfo> readAudit(Path p, long serial, long limit, StoredForm form) throws IOException {
    byte[] bytes;
    try {
      bytes = form.open(StateFiles.read(p, limit), StoredForm.AUDIT, p.toString());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Instant time = null;
    String operator = "";
    String operation = "";
    String reason = "";
    Map<String, Long> locks = Map.of();
    try (JsonParser parser = Json.JSON.createParser(ObjectReadContext.empty(), bytes)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return Optional.empty();
      }
      String field;
      while ((field = parser.nextName()) != null) {
        parser.nextToken();
        switch (field) {
          case "time": time = StateCodec.parseTime(parser.getString()); break;
          case "operator": operator = parser.getString(); break;
          case "operation": operation = parser.getString(); break;
          case "reason": reason = parser.getString(); break;
          case "locks": locks = readLocks(parser); break;
          default: parser.skipChildren();
        }
      }
    } catch (JacksonException | IllegalArgumentException e) {
      return Optional.empty();
    }
    return time == null ? Optional.empty() : Optional.of(new VersionInfo(serial, time, operator, operation, reason, locks));
  }

  /**
   * Writes the locks a version was written under, {@code "locks": {"deploy": 7}}, if there are any
   * (shared with the journal's records).
   */
  static void writeLocks(JsonGenerator g, Map<String, Long> locks) {
    if (!locks.isEmpty()) {
      g.writeName("locks");
      g.writeStartObject();
      for (Map.Entry<String, Long> e : locks.entrySet()) {
        g.writeNumberProperty(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    }
  }

  /**
   * Reads what {@link #writeLocks} wrote, the parser at its START_OBJECT.
   *
   * @throws IllegalArgumentException if it is not an object of names to non-negative whole numbers
   */
  static Map<String, Long> readLocks(JsonParser p) {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new IllegalArgumentException("locks: expected an object of lock names to fencing tokens");
    }
    Map<String, Long> locks = new java.util.TreeMap<>();
    String name;
    while ((name = p.nextName()) != null) {
      if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          || p.getLongValue() < 0) {
        throw new IllegalArgumentException("locks." + name + ": expected a fencing token (a whole number, 0 or more)");
      }
      locks.put(name, p.getLongValue());
    }
    return locks;
  }
}
