package io.infrastate.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The comparison harness's markdown report: the run, the targets checked against it, the tables. Not thread-safe. */
final class Report {
  private final Compare c;

  Report(Compare c) {
    this.c = c;
  }

  /**
   * The report: the run's conditions, the targets checked, then every table.
   *
   * @param took the run's duration
   * @return markdown
   * @throws IOException if the work directory's file store cannot be read
   */
  String render(Duration took) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("## Run\n\n");
    sb.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
    sb.append("- command: `").append(c.command).append("`\n");
    sb.append("- machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (nproc), ")
        .append(memory()).append(", ").append(cpuModel()).append('\n');
    sb.append("- load average (1/5/15 min) at start: ").append(c.loadStart).append(", at end: ").append(c.loadEnd)
        .append(" (other processes on this machine compete for its CPUs and disk)\n");
    sb.append("- disk: ").append(Files.getFileStore(c.work.getParent() == null ? c.work : c.work.getParent()).type())
        .append(" at ").append(c.work.toAbsolutePath()).append('\n');
    sb.append("- java: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
        .append(", heap max ").append(Runtime.getRuntime().maxMemory() / (1 << 20)).append(" MiB, GC ")
        .append(ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).reduce((a, b) -> a + "/" + b).orElse("?"))
        .append(", JVM options `").append(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())).append("`\n");
    sb.append("- sizes: ");
    for (int i = 0; i < c.sizes.length; i++) {
      double bytes = c.metrics.getOrDefault("size/" + c.sizes[i], Double.NaN);
      sb.append(i > 0 ? ", " : "").append("N=").append(Compare.label(c.sizes[i])).append(" → state.json ")
          .append(Double.isNaN(bytes) ? "size not measured (no scenario that writes it ran)" : Stats.bytes(bytes));
    }
    sb.append('\n');
    sb.append("- run time: ").append(took.toMinutes()).append(" min ").append(took.toSecondsPart()).append(" s").append(c.quick ? " (quick mode: 1 sample each — not a measurement)" : "").append('\n');
    for (String note : c.notes) {
      sb.append("- ").append(note).append('\n');
    }
    sb.append('\n');
    sb.append(targets());
    for (Table t : c.tables.values()) {
      sb.append('\n').append(t.render(c.sizes));
    }
    return sb.toString();
  }

  private String targets() {
    StringBuilder sb = new StringBuilder("### Targets (from the issue), checked against this run\n\n| target | N | measured | verdict |\n|---|---:|---|---|\n");
    for (int n : c.sizes) {
      double floorW = c.metrics.getOrDefault("floor-write/" + n, Double.NaN);
      double file = c.metrics.getOrDefault("single/infrastate file (whole file, history 20)/" + n, Double.NaN);
      double fileNoHist = c.metrics.getOrDefault("single/infrastate file (whole file, no history)/" + n, Double.NaN);
      target(sb, "whole-file write ≤ 1.3× (raw serialize + durable replace)", n, file / floorW, 1.3, true,
          Stats.time(file) + " vs floor " + Stats.time(floorW) + "; without history " + Stats.ratio(fileNoHist / floorW));
      double parse = c.metrics.getOrDefault("floor-parse/" + n, Double.NaN);
      double load = c.metrics.getOrDefault("load/infrastate file/" + n, Double.NaN);
      target(sb, "load ≤ 1.3× raw parse (steady state)", n, load / parse, 1.3, true, Stats.time(load) + " vs " + Stats.time(parse));
      double coldParse = c.metrics.getOrDefault("cold-floor-parse/" + n, Double.NaN);
      double coldLoad = c.metrics.getOrDefault("load/first load in a fresh JVM, infrastate file/" + n, Double.NaN);
      target(sb, "load ≤ 1.3× raw parse (first load in a fresh JVM)", n, coldLoad / coldParse, 1.3, true, Stats.time(coldLoad) + " vs " + Stats.time(coldParse));
    }
    int big = c.sizes[c.sizes.length - 1];
    double bfloor = c.metrics.getOrDefault("batch-floor/" + big, Double.NaN);
    double bfile = c.metrics.getOrDefault("batch/infrastate file (one update)/" + big, Double.NaN);
    double bjournal = c.metrics.getOrDefault("batch/infrastate journal (one update)/" + big, Double.NaN);
    target(sb, "batch of N adds ≤ 1.5× floor (file)", big, bfile / bfloor, 1.5, true, Stats.time(bfile) + " vs " + Stats.time(bfloor));
    target(sb, "batch of N adds ≤ 1.5× floor (journal)", big, bjournal / bfloor, 1.5, true, Stats.time(bjournal) + " vs " + Stats.time(bfloor));
    for (int n : c.sizes) {
      for (String kind : new String[] {"file", "journal"}) {
        String floorKind = kind.equals("file") ? "floor-whole" : "floor-append";
        String floorName = kind.equals("file") ? "raw serialize + durable replace" : "bare durable small write";
        for (String pace : new String[] {"reads", "reads-paced"}) {
          double r = c.metrics.getOrDefault(pace + "/" + kind + "/" + n, Double.NaN);
          double f = c.metrics.getOrDefault(pace + "/" + floorKind + "/" + n, Double.NaN);
          target(sb, "reads while writing ≥ 0.9× reads alone (" + kind + ", writer " + (pace.equals("reads") ? "flat out" : "paced 20/s") + ")", n, r, 0.9, false,
              Stats.ratio(r) + "; with the floor's writer (" + floorName + ") instead: " + Stats.ratio(f));
        }
      }
    }
    for (int n : c.sizes) {
      for (String kind : new String[] {"file", "journal"}) {
        double r = c.metrics.getOrDefault("writers/" + kind + "/" + n, Double.NaN);
        String floors = kind.equals("journal")
            ? "; bare group commit instead: " + Stats.ratio(c.metrics.getOrDefault("writers/floor-group-park/" + n, Double.NaN)) + " parking, "
                + Stats.ratio(c.metrics.getOrDefault("writers/floor-group-yield/" + n, Double.NaN)) + " yielding"
            : "";
        target(sb, "8 writer threads ≥ 4× durable writes/s of 1 (" + kind + ")", n, r, 4, false, Stats.ratio(r) + floors);
      }
    }
    double sqlite = c.metrics.getOrDefault("single/SQLite WAL synchronous=FULL (one upsert)/" + big, Double.NaN);
    double jState = c.metrics.getOrDefault("single/infrastate journal (State.addHost)/" + big, Double.NaN);
    double jBackend = c.metrics.getOrDefault("single/infrastate journal (backend.save alone)/" + big, Double.NaN);
    target(sb, "journal durable write ≤ SQLite upsert (backend.save)", big, jBackend / sqlite, 1.0, true, Stats.time(jBackend) + " vs SQLite " + Stats.time(sqlite));
    target(sb, "journal durable write ≤ SQLite upsert (through State.addHost)", big, jState / sqlite, 1.0, true, Stats.time(jState) + " vs SQLite " + Stats.time(sqlite));
    for (int n : c.sizes) {
      double aj = c.metrics.getOrDefault("single/A/B interleaved: infrastate journal (State.addHost)/" + n, Double.NaN);
      double aq = c.metrics.getOrDefault("single/A/B interleaved: SQLite WAL FULL (one upsert)/" + n, Double.NaN);
      target(sb, "journal durable write ≤ SQLite upsert (State.addHost, A/B interleaved)", n, aj / aq, 1.0, true, Stats.time(aj) + " vs SQLite " + Stats.time(aq));
    }
    if (c.heap) {
      double h = c.metrics.getOrDefault("heap/infrastate/" + big, Double.NaN);
      target(sb, "loaded state ≤ 2× its JSON file on the heap", big, h, 2.0, true, Stats.ratio(h) + " of the file");
    }
    return sb.toString();
  }

  private static void target(StringBuilder sb, String what, int n, double value, double limit, boolean atMost, String measured) {
    String verdict;
    if (Double.isNaN(value)) {
      verdict = "not measured";
    } else if (atMost ? value <= limit : value >= limit) {
      verdict = "**hit** (" + Stats.ratio(value) + ")";
    } else {
      verdict = "**miss** (" + Stats.ratio(value) + ")";
    }
    sb.append("| ").append(what).append(" | ").append(Compare.label(n)).append(" | ").append(measured).append(" | ").append(verdict).append(" |\n");
  }

  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " / " + parts[1] + " / " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String memory() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return String.format(Locale.ROOT, "%.1f GiB RAM", sun.getTotalMemorySize() / (double) (1L << 30));
    }
    return "RAM unknown";
  }

  private static String cpuModel() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(Path.of("/proc/cpuinfo")), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }
}
