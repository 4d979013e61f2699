package io.infrastate.benchmarks;

import io.infrastate.State;
import io.infrastate.file.FileBackend;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;

/**
 * Measures the heap a loaded state retains, in a fresh JVM with the serial collector: the tenured
 * generation after full GCs before and after loading (the loaded object kept reachable), and the
 * peak of the heap pools during the load.
 *
 * <p>Stateless and thread-safe.
 */
public final class HeapProbe {
  private HeapProbe() {}

  /**
   * Child entry point: prints {@code retained=<bytes> peak=<bytes>}.
   *
   * @param args kind ({@code infrastate}, {@code go}, {@code jackson-tree}), the file, and a tiny
   *     file of the same kind to warm up on
   * @throws Exception if loading fails
   */
  public static void main(String[] args) throws Exception {
    String kind = args[0];
    Path file = Path.of(args[1]);
    // load a tiny file of the same kind first, so that classes and caches are not counted
    if (load(kind, Path.of(args[2])) == null) {
      throw new IllegalStateException("nothing loaded");
    }
    long before = usedAfterGc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      p.resetPeakUsage();
    }
    Object loaded = load(kind, file);
    long peak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        peak += p.getPeakUsage().getUsed();
      }
    }
    long after = usedAfterGc();
    System.out.println("retained=" + (after - before) + " peak=" + (peak - before) + " " + (loaded != null ? "ok" : ""));
  }

  private static Object load(String kind, Path file) throws IOException {
    switch (kind) {
      case "infrastate":
        try (FileBackend b = FileBackend.at(file); State s = State.load(b)) {
          return s.snapshot();
        }
      case "go":
        return GoFtl2.State.load(file, false);
      default:
        return JsonMapper.builder().build().readTree(Files.readAllBytes(file));
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(50);
    }
    // A full GC of the serial collector moves every live object into the tenured generation; eden
    // fills again with the probe's own allocations right after, so count the tenured pool only.
    long tenured = 0;
    boolean found = false;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && (p.getName().contains("Tenured") || p.getName().contains("Old"))) {
        tenured += p.getUsage().getUsed();
        found = true;
      }
    }
    return found ? tenured : ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * Runs the probe in a child JVM with the serial collector and this JVM's class path.
   *
   * @param kind what to load
   * @param file the file
   * @param tiny a tiny file of the same kind, to warm up on
   * @return {retained, peak} in bytes
   * @throws IOException if the child fails
   * @throws InterruptedException if interrupted
   */
  public static long[] measureInChild(String kind, Path file, Path tiny) throws IOException, InterruptedException {
    String[] parts = ChildJvm.run(HeapProbe.class, List.of("-XX:+UseSerialGC", "-Xmx6g"), "retained=", kind, file.toString(), tiny.toString()).split(" ");
    return new long[] {Long.parseLong(parts[0].substring(9)), Long.parseLong(parts[1].substring(5))};
  }
}
