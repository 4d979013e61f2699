package io.infrastate.benchmarks;

import io.infrastate.model.Snapshot;
import io.infrastate.file.FileBackend;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The start-up scenario: one command of the reference CLI (through its {@code ./infrastate}
 * launcher, as a user runs it) on a state of N hosts + N resources, against two floors: a JVM
 * running an empty {@code main}, and {@code jq} reading the same file. A read ({@code host list})
 * and a write ({@code host set NAME --var k=V}), wall-clock time of the whole process, in rounds so
 * that the machine's drift falls on all alike. Not thread-safe; one per run.
 */
final class Startup {
  private final Compare c;

  Startup(Compare c) {
    this.c = c;
  }

  /** The launcher: {@code -Dinfrastate.cli=PATH}, or {@code infrastate} in this directory or its parent. */
  static Path launcher() {
    String given = System.getProperty("infrastate.cli");
    if (given != null) {
      return Path.of(given);
    }
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isExecutable(p.resolve("infrastate")) && Files.isRegularFile(p.resolve("infrastate"))) {
        return p.resolve("infrastate");
      }
    }
    return null;
  }

  void run(int n, Snapshot s) throws Exception {
    c.table("startup", "CLI start-up",
        "One process from start to exit, wall clock: the reference CLI through ./infrastate (its AppCDS archive when"
            + " built) reading (host list) and writing (host set, one var) a file state of N hosts + N resources;"
            + " the floors are a JVM running an empty main and jq reading the same file (.hosts | length). Median"
            + " and p90 of interleaved rounds; ratio to the empty JVM.",
        "median", "p90", "×empty JVM");
    Path dir = c.fresh("startup").toAbsolutePath();
    Path file = dir.resolve("state.json");
    try (FileBackend b = FileBackend.at(file)) {
      Compare.create(b, s);
    }
    String host = s.hosts().keySet().iterator().next();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<List<String>> cmds = new ArrayList<>();
    List<String> names = new ArrayList<>();
    names.add("floor: JVM running an empty main");
    String cp = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(e -> Path.of(e).toAbsolutePath().toString()).collect(java.util.stream.Collectors.joining(File.pathSeparator));
    cmds.add(List.of(javaBin, "-cp", cp, EmptyMain.class.getName()));
    if (onPath("jq")) {
      names.add("jq counting .hosts (the tool the CLI replaces in scripts)");
      cmds.add(List.of("jq", ".hosts | length", file.toString()));
    } else {
      c.notes.add("start-up: jq is not installed, so its row is missing");
    }
    Path cli = launcher();
    if (cli != null && Files.isRegularFile(cli.toAbsolutePath().resolveSibling("examples/target/infrastate.jar"))) {
      names.add("infrastate host list (read)");
      cmds.add(List.of(cli.toAbsolutePath().toString(), "--state", file.toString(), "host", "list"));
      names.add("infrastate host set (write)");
      cmds.add(List.of(cli.toAbsolutePath().toString(), "--state", file.toString(), "host", "set", host, "--var", "k=1"));
    } else {
      c.notes.add("start-up: the CLI was not measured: build it first (mvn -B -q package -DskipTests), or give"
          + " -Dinfrastate.cli=PATH");
    }
    int samples = c.quick ? 1 : 15;
    long[][] t = new long[cmds.size()][samples];
    for (int w = 0; w < (c.quick ? 0 : 2); w++) {
      for (List<String> cmd : cmds) {
        time(cmd, dir);
      }
    }
    for (int r = 0; r < samples; r++) {
      for (int j = 0; j < cmds.size(); j++) {
        int k = (r + j) % cmds.size();
        t[k][r] = time(cmds.get(k), dir);
      }
    }
    double floor = Stats.median(t[0]);
    for (int k = 0; k < cmds.size(); k++) {
      double med = Stats.median(t[k]);
      c.metrics.put("startup/" + names.get(k) + "/" + n, med);
      c.tables.get("startup").put(names.get(k), n, Stats.time(med), Stats.time(Stats.percentile(t[k], 90)),
          Stats.ratio(med / floor));
      c.progress(String.format(java.util.Locale.ROOT, "startup  N=%-6s %-58s median %s", Compare.label(n), names.get(k),
          Stats.time(med)));
    }
    Compare.deleteTree(dir);
  }

  private static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Runs a command to its exit and returns the nanoseconds it took; a failure stops the run. */
  private static long time(List<String> cmd, Path dir) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException(cmd + " did not finish");
    }
    long t = System.nanoTime() - t0;
    if (p.exitValue() != 0) {
      throw new IllegalStateException(cmd + " exited " + p.exitValue());
    }
    return t;
  }
}
