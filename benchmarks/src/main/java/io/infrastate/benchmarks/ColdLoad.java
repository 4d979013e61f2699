package io.infrastate.benchmarks;

import io.infrastate.file.FileBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the first load of a state in a fresh JVM, as a command-line tool does once per run: the
 * time from just before the load to just after it, so the JVM's own start is not counted but the
 * loading of the classes the load needs and the code it runs before the JIT compiles it are.
 *
 * <p>Stateless and thread-safe.
 */
public final class ColdLoad {
  /** The raw parses of the load's floor, as kinds of {@link #load}; the floor is their fastest. */
  static final List<String> FLOORS = List.of("databind", "streaming", "streaming-fast", "streaming-fast-no-name-table");

  /** What the floor is, as the report names it (with {@link #FLOORS}' rows below it). */
  static final String FLOOR = "read + raw Jackson parse (fastest of the four below)";

  /** The kinds a child can load: infrastate's file backend, then the {@link #FLOORS}. */
  static final List<String> KINDS = kinds();

  private ColdLoad() {}

  private static List<String> kinds() {
    List<String> kinds = new ArrayList<>();
    kinds.add("infrastate");
    kinds.addAll(FLOORS);
    return List.copyOf(kinds);
  }

  /**
   * Child entry point: loads once and prints {@code nanos=<time>}.
   *
   * @param args the kind (one of {@link #KINDS}) and the file
   * @throws Exception if loading fails
   */
  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[1]);
    long t0 = System.nanoTime();
    Object loaded = load(args[0], file);
    long t = System.nanoTime() - t0;
    System.out.println("nanos=" + t + (loaded != null ? " ok" : ""));
  }

  /**
   * Loads a file one of the {@link #KINDS} ways: the one definition of each, which the harness's
   * warm load scenario uses too.
   *
   * @param kind one of {@link #KINDS}
   * @param file the state file (for the floors, the same data in the floor's file)
   * @return what was loaded
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if {@code kind} is not one of {@link #KINDS}
   */
  static Object load(String kind, Path file) throws IOException {
    switch (kind) {
      case "infrastate":
        try (FileBackend b = FileBackend.at(file)) {
          return b.load().orElseThrow();
        }
      case "databind":
        return Floors.parse(Files.readAllBytes(file));
      case "streaming":
        return Floors.parseStreaming(Files.readAllBytes(file));
      case "streaming-fast":
        return Floors.parseStreaming(Files.readAllBytes(file), Floors.Times.FAST);
      case "streaming-fast-no-name-table":
        return Floors.parseStreaming(Files.readAllBytes(file), Floors.Times.FAST, false);
      default:
        throw new IllegalArgumentException("unknown kind " + kind + "; use one of " + KINDS);
    }
  }

  /**
   * What one of the {@link #FLOORS} does, as the report names it.
   *
   * @param kind one of {@link #FLOORS}
   * @return its description
   */
  static String describe(String kind) {
    switch (kind) {
      case "databind": return "read + Jackson databind parse";
      case "streaming": return "read + Jackson streaming parse, java.time parser";
      case "streaming-fast": return "read + Jackson streaming parse, infrastate's RFC 3339 parser";
      case "streaming-fast-no-name-table": return "read + Jackson streaming parse, infrastate's RFC 3339 parser, no name table";
      default: throw new IllegalArgumentException("not a floor: " + kind + "; use one of " + FLOORS);
    }
  }

  /**
   * Runs one first load in a child JVM (default collector, the heap of this JVM).
   *
   * @param kind one of {@link #KINDS}
   * @param file the state file (for the floors, the same data in the floor's file)
   * @return the load's time in nanoseconds
   * @throws IOException if the child fails
   * @throws InterruptedException if interrupted
   */
  static long measureInChild(String kind, Path file) throws IOException, InterruptedException {
    String line = ChildJvm.run(ColdLoad.class, List.of("-Xmx" + Runtime.getRuntime().maxMemory() / (1 << 20) + "m"), "nanos=", kind, file.toString());
    return Long.parseLong(line.substring(6).split(" ")[0]);
  }
}
