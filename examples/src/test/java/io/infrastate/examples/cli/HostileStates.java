package io.infrastate.examples.cli;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.file.FileBackend;
import io.infrastate.testkit.DamagedStates;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A corpus of hostile and damaged states, generated on demand: damaged content, damaged journals,
 * lost parts, special files, links and oversized files. Each case builds its files in a directory
 * of its own and names the state path a user would give.
 */
final class HostileStates {
  private HostileStates() {}

  /** What reading the case does: fail, or succeed (a write must still fail). */
  enum Reads { FAIL, SUCCEED }

  /**
   * One case.
   *
   * @param name what it is
   * @param reads whether reads fail
   * @param exitCode the CLI's exit code for a refused command: 5 for damage and loss, 1 otherwise
   * @param build writes the files into a directory and returns the state path
   */
  record Case(String name, Reads reads, int exitCode, Builder build) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Builds a case's files. */
  @FunctionalInterface
  interface Builder {
    Path build(Path dir) throws Exception;
  }

  private static final String HEAD = "{\"metadata\": {\"version\": \"1.0\", \"serial\": 3, \"lineage\": \"3f0e0c84-8d1c-4a53-9b0e-6a3c7b2f1a10\"}";

  /** Every case. */
  static List<Case> all() {
    List<Case> out = new ArrayList<>();
    // Damaged content: the kinds every backend's contract test refuses, and a few more.
    for (DamagedStates.Case d : DamagedStates.all()) {
      content(out, d.name(), d.content());
    }
    byte[] random = new byte[4096];
    new Random(7).nextBytes(random);
    content(out, "random bytes", random);
    content(out, "a megabyte of zeros", new byte[1 << 20]);
    content(out, "invalid UTF-8 in a name", concat(utf8(HEAD + ", \"hosts\": {\"a"), new byte[] {(byte) 0xC3, (byte) 0x28}, utf8("\": {\"name\": \"a\"}}}")));
    content(out, "an array, not an object", utf8("[1, 2, 3]"));
    content(out, "a duplicate host", utf8(HEAD + ", \"hosts\": {\"a\": {\"name\": \"a\"}, \"a\": {\"name\": \"a\"}}}"));
    content(out, "a negative serial", utf8("{\"metadata\": {\"version\": \"1.0\", \"serial\": -1}}"));
    content(out, "a serial past 2^63-1", utf8("{\"metadata\": {\"version\": \"1.0\", \"serial\": 9223372036854775808}}"));
    content(out, "nesting of arrays deeper than 64", utf8(HEAD + ", \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"x\": " + "[".repeat(200) + "]".repeat(200) + "}}}}"));
    content(out, "hosts of the wrong type", utf8(HEAD + ", \"hosts\": \"web01\"}"));
    content(out, "an empty host name", utf8(HEAD + ", \"hosts\": {\"\": {\"name\": \"\"}}}"));
    // Damaged journals (a journaled state with versions 1..6).
    out.add(new Case("a journal record in the middle whose length runs past the end", Reads.FAIL, 5, dir -> {
      Path state = journaled(dir, 6);
      Path journal = dir.resolve("state.json.journal");
      byte[] j = Files.readAllBytes(journal);
      int third = frameOffset(j, 3);
      ByteBuffer.wrap(j, third, 8).putInt(1 << 29).putInt(crc(ByteBuffer.allocate(4).putInt(1 << 29).array()));
      Files.write(journal, j);
      return state;
    }));
    out.add(new Case("a journal record in the middle that fails its checksum", Reads.FAIL, 5, dir -> {
      Path state = journaled(dir, 6);
      Path journal = dir.resolve("state.json.journal");
      byte[] j = Files.readAllBytes(journal);
      j[frameOffset(j, 3) + 20] ^= 0x55;
      Files.write(journal, j);
      return state;
    }));
    out.add(new Case("a journal whose header fails its checksum", Reads.FAIL, 5, dir -> {
      Path state = journaled(dir, 6);
      Path journal = dir.resolve("state.json.journal");
      byte[] j = Files.readAllBytes(journal);
      j[14] ^= 0x55;
      Files.write(journal, j);
      return state;
    }));
    // Lost parts.
    out.add(new Case("a deleted journal", Reads.FAIL, 5, dir -> {
      Path state = journaled(dir, 6);
      Files.delete(dir.resolve("state.json.journal"));
      return state;
    }));
    out.add(new Case("a journal truncated after version 2", Reads.FAIL, 5, dir -> {
      Path state = journaled(dir, 6);
      Path journal = dir.resolve("state.json.journal");
      byte[] j = Files.readAllBytes(journal);
      Files.write(journal, java.util.Arrays.copyOf(j, frameOffset(j, 3)));
      return state;
    }));
    out.add(new Case("state file and backup deleted, history left", Reads.FAIL, 5, dir -> {
      Path state = plain(dir, 3);
      Files.delete(state);
      Files.delete(dir.resolve("state.json.backup"));
      return state;
    }));
    out.add(new Case("state file deleted, backup left", Reads.FAIL, 5, dir -> {
      Path state = plain(dir, 3);
      Files.delete(state);
      return state;
    }));
    out.add(new Case("state file replaced by its backup", Reads.FAIL, 5, dir -> {
      Path state = plain(dir, 3);
      Files.copy(dir.resolve("state.json.backup"), state, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return state;
    }));
    out.add(new Case("a dangling symbolic link as the state file", Reads.FAIL, 5, dir -> {
      Path state = dir.resolve("state.json");
      Files.createSymbolicLink(state, dir.resolve("gone.json"));
      return state;
    }));
    out.add(new Case("a missing directory", Reads.FAIL, 1, dir -> dir.resolve("not-mounted").resolve("state.json")));
    // Special files, links, sizes.
    out.add(new Case("a FIFO as the state file", Reads.FAIL, 5, dir -> fifo(dir.resolve("state.json"))));
    out.add(new Case("a FIFO as the journal", Reads.FAIL, 5, dir -> {
      Path state = journaled(dir, 2);
      Files.delete(dir.resolve("state.json.journal"));
      fifo(dir.resolve("state.json.journal"));
      return state;
    }));
    out.add(new Case("a symbolic link to a FIFO as the state file", Reads.FAIL, 5, dir -> {
      Path state = dir.resolve("state.json");
      Files.createSymbolicLink(state, fifo(dir.resolve("pipe")));
      return state;
    }));
    out.add(new Case("a socket as the state file", Reads.FAIL, 5, dir -> {
      Path state = dir.resolve("state.json");
      try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        s.bind(UnixDomainSocketAddress.of(state));
      }
      return state;
    }));
    out.add(new Case("a directory as the state file", Reads.FAIL, 1, dir -> Files.createDirectory(dir.resolve("state.json"))));
    out.add(new Case("a link to /dev/zero as the state file", Reads.FAIL, 5, dir -> Files.createSymbolicLink(dir.resolve("state.json"), Path.of("/dev/zero"))));
    out.add(new Case("a link to /dev/urandom as the state file", Reads.FAIL, 5, dir -> Files.createSymbolicLink(dir.resolve("state.json"), Path.of("/dev/urandom"))));
    out.add(new Case("a link to /dev/zero as the journal", Reads.FAIL, 5, dir -> {
      Path state = journaled(dir, 2);
      Files.delete(dir.resolve("state.json.journal"));
      Files.createSymbolicLink(dir.resolve("state.json.journal"), Path.of("/dev/zero"));
      return state;
    }));
    out.add(new Case("a 3 GB sparse state file", Reads.FAIL, 1, dir -> sparse(dir.resolve("state.json"), 3L << 30)));
    out.add(new Case("a 3 GB sparse journal", Reads.FAIL, 1, dir -> {
      Path state = journaled(dir, 2);
      sparse(dir.resolve("state.json.journal"), 3L << 30);
      return state;
    }));
    out.add(new Case("a symbolic link as the history directory", Reads.SUCCEED, 5, dir -> {
      Path state = plain(dir, 2);
      Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
      Files.move(dir.resolve("state.json.history"), elsewhere.resolve("h"));
      Files.createSymbolicLink(dir.resolve("state.json.history"), elsewhere.resolve("h"));
      return state;
    }));
    out.add(new Case("serial 2^63-1", Reads.SUCCEED, 1, dir -> {
      Path state = dir.resolve("state.json");
      Files.writeString(state, "{\"metadata\": {\"version\": \"1.0\", \"serial\": 9223372036854775807, \"lineage\": \"3f0e0c84-8d1c-4a53-9b0e-6a3c7b2f1a10\"}}");
      return state;
    }));
    return out;
  }

  private static void content(List<Case> out, String name, byte[] bytes) {
    out.add(new Case(name, Reads.FAIL, 5, dir -> {
      Path state = dir.resolve("state.json");
      Files.write(state, bytes);
      return state;
    }));
  }

  /** A state written by FileBackend: versions 1..n, a backup and history. */
  static Path plain(Path dir, int versions) {
    Path state = dir.resolve("state.json");
    try (FileBackend b = FileBackend.at(state); State s = State.load(b)) {
      for (int i = 1; i <= versions; i++) {
        s.addHost(HostState.builder("web" + i).address("10.0.0." + i).build());
      }
    }
    return state;
  }

  /** A state written in journal mode: version 1 in state.json, versions 2..n in the journal. */
  static Path journaled(Path dir, int versions) {
    Path state = dir.resolve("state.json");
    try (FileBackend b = FileBackend.builder(state).journal(true).backgroundCompaction(false).build(); State s = State.load(b)) {
      for (int i = 1; i <= versions; i++) {
        s.addHost(HostState.builder("web" + i).address("10.0.0." + i).build());
      }
    }
    return state;
  }

  /** Where the journal's frame number {@code index} starts (0 is the header). */
  static int frameOffset(byte[] journal, int index) {
    int p = 0;
    for (int i = 0; i < index; i++) {
      p += 12 + ByteBuffer.wrap(journal, p, 4).getInt();
    }
    return p;
  }

  private static int crc(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes);
    return (int) c.getValue();
  }

  static Path fifo(Path p) throws IOException, InterruptedException {
    Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
    if (mk.waitFor() != 0) {
      throw new IOException("mkfifo " + p + " failed");
    }
    return p;
  }

  static Path sparse(Path p, long size) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(size);
    }
    return p;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /**
   * What a directory holds, without following links: each entry's type and, for regular files,
   * their content's checksum (size and times for files over 16 MiB, such as sparse ones).
   */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String what;
        if (a.isSymbolicLink()) {
          what = "link to " + Files.readSymbolicLink(p);
        } else if (a.isDirectory()) {
          what = "directory";
        } else if (a.isOther()) {
          what = "special";
        } else if (a.size() > (16 << 20)) {
          what = "file of " + a.size() + " bytes modified " + a.lastModifiedTime();
        } else {
          CRC32C c = new CRC32C();
          c.update(Files.readAllBytes(p));
          what = "file " + Long.toHexString(c.getValue());
        }
        out.put(dir.relativize(p).toString(), what);
      }
    }
    return out;
  }
}
