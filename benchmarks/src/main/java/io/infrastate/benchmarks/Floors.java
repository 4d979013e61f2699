package io.infrastate.benchmarks;

import io.infrastate.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.TreeMap;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The physical floors the contenders are measured against: raw Jackson databind serialization and
 * parsing of the same data (plain objects in sorted maps, no validation, no freezing), and a bare
 * durable file replacement (write a temporary file, fsync, rename, fsync the directory).
 *
 * <p>Stateless and thread-safe.
 */
public final class Floors {
  private static final JsonMapper PRETTY =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS).build();

  private Floors() {}

  /**
   * The same data as plain objects, in sorted maps (so that serializing needs no sorting).
   *
   * @param s the content
   * @return the Go-format file object
   */
  public static GoFtl2.StateFile plain(Snapshot s) {
    GoFtl2.StateFile f = new GoFtl2.StateFile();
    f.metadata = new GoFtl2.Metadata();
    f.metadata.createdAt = s.metadata().createdAt();
    f.metadata.updatedAt = s.metadata().updatedAt();
    TreeMap<String, GoFtl2.HostState> hosts = new TreeMap<>();
    s.hosts().values().forEach(h -> hosts.put(h.name(), GoFtl2.fromHost(h)));
    TreeMap<String, GoFtl2.ResourceState> resources = new TreeMap<>();
    s.resources().forEach((k, r) -> resources.put(k, GoFtl2.fromResource(r)));
    f.hosts = hosts;
    f.resources = resources;
    return f;
  }

  /**
   * Raw serialization.
   *
   * @param f the data
   * @return indented JSON bytes
   */
  public static byte[] serialize(GoFtl2.StateFile f) {
    return PRETTY.writeValueAsBytes(f);
  }

  /**
   * Raw parsing.
   *
   * @param bytes JSON bytes
   * @return the data
   */
  public static GoFtl2.StateFile parse(byte[] bytes) {
    return PRETTY.readValue(bytes, GoFtl2.StateFile.class);
  }

  /**
   * A bare durable replacement: temporary file, write, fsync, rename, fsync directory.
   *
   * @param target the file to replace
   * @param bytes the content
   * @throws IOException on failure
   */
  public static void durableReplace(Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    }
  }
}
