package io.infrastate.examples.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of the CLI's class-data-sharing archive: the build runs it once under {@code
 * java -XX:DumpLoadedClassList=infrastate.classlist} and archives the classes listed with {@code
 * java -Xshare:dump}, so that the archive holds the classes the common verbs load (reads, writes,
 * JSON, errors, locks, inventory, the whole command tree of {@code --help}), and the launcher starts
 * the CLI with that archive. It works on a fresh state in a scratch directory, needs no network and prints
 * nothing. Not part of the CLI's interface.
 */
public final class CdsTraining {
  private CdsTraining() {}

  /**
   * Runs the common verbs against a fresh file state in {@code args[0]} (created, then deleted).
   *
   * @param args one argument: a scratch directory
   * @throws IOException if the scratch directory cannot be made or removed
   */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    String state = dir.resolve("state.json").toString();
    PrintWriter sink = new PrintWriter(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    List<List<String>> runs = List.of(
        List.of("host", "add", "web01", "--address", "10.0.0.1", "--port", "22", "--group", "web", "--var", "http_port=80"),
        List.of("host", "add", "web02", "--address", "10.0.0.2", "--var", "dns=[\"1.1.1.1\"]", "--var", "tls=true"),
        List.of("host", "set", "web02", "--var", "ratio=1.5", "--unset-var", "tls"),
        List.of("resource", "add", "linode:1", "--data", "disk_gb=80", "--tag", "env=prod"),
        List.of("host", "list"),
        List.of("--json", "host", "list"),
        List.of("state", "list"),
        List.of("--json", "state", "list", "web*"),
        List.of("state", "show", "web01"),
        List.of("state", "show"),
        List.of("state", "history"),
        List.of("state", "pull"),
        List.of("state", "diff", "1", "current"),
        List.of("inventory", "--list"),
        List.of("lock", "status", "deploy"),
        List.of("host", "rm", "nope"),
        List.of("--json", "host", "add", "x", "--var", "bad"),
        List.of("host", "--help"),
        List.of("workspace", "list"),
        List.of("version"),
        List.of("--help"));
    for (List<String> run : runs) {
      String[] argv = Stream.concat(Stream.of("--state", state), run.stream()).toArray(String[]::new);
      InfrastateCli.execute(argv, sink, sink, Map.of());
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
