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
  /**
   * A raw parse of the load's floor: its kind (for {@link #load}), what the report calls it, and how
   * it parses (databind when {@code times} is null, else streaming with these timestamps and with or
   * without Jackson's table of member names).
   */
  private record Parse(String kind, String description, Floors.Times times, boolean nameTable) {}

  private static final List<Parse> PARSES = List.of(
      new Parse("databind", "read + Jackson databind parse", null, true),
      new Parse("streaming", "read + Jackson streaming parse, java.time parser", Floors.Times.JAVA_TIME, true),
      new Parse("streaming-fast", "read + Jackson streaming parse, infrastate's RFC 3339 parser", Floors.Times.FAST, true),
      new Parse("streaming-fast-no-name-table", "read + Jackson streaming parse, infrastate's RFC 3339 parser, no name table",
          Floors.Times.FAST, false));

  /** The raw parses of the load's floor, as kinds of {@link #load}; the floor is their fastest. */
  static final List<String> FLOORS = floors();

  /** What the floor is, as the report names it (with {@link #FLOORS}' rows below it). */
  static final String FLOOR = "read + raw Jackson parse (fastest of the four below)";

  /** The kinds a child can load: infrastate's file backend, then the {@link #FLOORS}. */
  static final List<String> KINDS = kinds();

  private ColdLoad() {}

  private static List<String> floors() {
    List<String> kinds = new ArrayList<>();
    for (Parse p : PARSES) {
      kinds.add(p.kind());
    }
    return List.copyOf(kinds);
  }

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
    if (kind.equals("infrastate")) {
      try (FileBackend b = FileBackend.at(file)) {
        return b.load().orElseThrow();
      }
    }
    Parse p = parse(kind, "unknown kind " + kind + "; use one of " + KINDS);
    byte[] bytes = Files.readAllBytes(file);
    return p.times() == null ? Floors.parse(bytes) : Floors.parseStreaming(bytes, p.times(), p.nameTable());
  }

  /** The floor parse of a kind, or IllegalArgumentException with {@code otherwise}. */
  private static Parse parse(String kind, String otherwise) {
    for (Parse p : PARSES) {
      if (p.kind().equals(kind)) {
        return p;
      }
    }
    throw new IllegalArgumentException(otherwise);
  }

  /**
   * What one of the {@link #FLOORS} does, as the report names it.
   *
   * @param kind one of {@link #FLOORS}
   * @return its description
   */
  static String describe(String kind) {
    return parse(kind, "not a floor: " + kind + "; use one of " + FLOORS).description();
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
