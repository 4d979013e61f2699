package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.examples.Processes;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reading is harmless: a user who may only read the state, and anyone on a read-only file system,
 * can open it and read every host through the API, list hosts and print the Ansible inventory
 * through the CLI; and nothing is created (no write lock, no directory).
 */
class ReadOnlyTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"file", "journal"})
  void aUserWhoMayOnlyReadTheStateReadsItAndCreatesNothing(String mode) throws Exception {
    assumeTrue(isRootOnLinux(), "needs root on Linux to run a child JVM as the user nobody (setpriv)");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path dir = Files.createDirectory(tmp.resolve("state"));
    Path file = dir.resolve("state.json");
    String uri = uri(mode, file);
    write(uri, 3);
    // the operator lets others read the state (its files are the owner's alone by default); the
    // write lock stays the owner's, unreadable by the reader
    for (Path p : list(dir)) {
      if (!p.getFileName().toString().endsWith(".writelock")) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> before = HostileStates.snapshot(dir);
    String classpath = readableClasspath(Files.createDirectory(tmp.resolve("cp")));

    Processes.Result r = Processes.run(tmp, Map.of(), List.of("setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
        Processes.java(), "-Xmx256m", "-XX:+UseSerialGC", "-cp", classpath, ReadOnlyMain.class.getName(), uri));

    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).as(r.toString()).contains("API 3\n").contains("CLI host 0 4 \n").contains("CLI inventory 0 ");
    assertThat(HostileStates.snapshot(dir)).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"file", "journal"})
  void aStateOnAReadOnlyFileSystemIsReadAndNothingIsCreated(String mode) throws Exception {
    assumeTrue(isRootOnLinux(), "needs root on Linux to mount a small tmpfs read-only");
    Path mount = Files.createDirectory(tmp.resolve("mnt"));
    assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString()) == 0, "mount -t tmpfs is not permitted here");
    try {
      Path dir = Files.createDirectory(mount.resolve("state"));
      Path file = dir.resolve("state.json");
      String uri = uri(mode, file);
      write(uri, 3);
      // a fresh reader: not the JVM's writer, which already holds the write lock open
      Map<String, String> before = HostileStates.snapshot(mount);
      assertThat(run("mount", "-o", "remount,ro", mount.toString())).isZero();
      assertThat(Files.isWritable(dir)).isFalse();

      try (State s = State.open(uri)) {
        assertThat(s.allHosts()).hasSize(3);
      }
      for (String[] verb : new String[][] {{"host", "list"}, {"inventory", "--list"}}) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = InfrastateCli.execute(new String[] {"--state", uri, verb[0], verb[1]}, new PrintWriter(out, true), new PrintWriter(err, true), Map.of());
        assertThat(code).as("%s: %s", String.join(" ", verb), err).isZero();
        assertThat(out.toString()).contains("web3");
      }
      assertThat(HostileStates.snapshot(mount)).isEqualTo(before);
    } finally {
      run("umount", mount.toString());
    }
  }

  private static String uri(String mode, Path file) {
    return mode.equals("file") ? file.toString() : file.toUri() + "?journal=true";
  }

  private static void write(String uri, int hosts) {
    try (State s = State.open(uri)) {
      for (int i = 1; i <= hosts; i++) {
        s.addHost(HostState.builder("web" + i).address("10.0.0." + i).build());
      }
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !p.equals(dir)).toList();
    }
  }

  private static boolean isRootOnLinux() throws Exception {
    return System.getProperty("os.name").equals("Linux") && "root".equals(System.getProperty("user.name"));
  }

  private static int run(String... command) throws Exception {
    return Processes.run(Path.of("/"), Map.of(), List.of(command)).code();
  }

  /** The test class path copied where the user nobody may read it (the build's is the owner's). */
  private static String readableClasspath(Path into) throws IOException {
    List<String> out = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = into.resolve((n++) + "-" + from.getFileName());
      if (Files.isDirectory(from)) {
        try (Stream<Path> walk = Files.walk(from)) {
          for (Path p : walk.toList()) {
            Path q = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
              Files.createDirectories(q);
            } else {
              Files.copy(p, q);
            }
          }
        }
      } else {
        Files.copy(from, to);
      }
      out.add(to.toString());
    }
    try (Stream<Path> walk = Files.walk(into)) {
      for (Path p : walk.toList()) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
    return String.join(java.io.File.pathSeparator, out);
  }
}
