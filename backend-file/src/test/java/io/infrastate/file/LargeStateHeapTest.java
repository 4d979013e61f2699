package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import io.infrastate.testkit.JvmProcess;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A state of 1,000,000 hosts and 1,000,000 resources (about 0.9 KB of state.json per pair) loads
 * from its file through the stream decoder in a JVM of 1,200 MB of heap: the load holds the decoded
 * state, never the file's bytes as well. Long (the file is generated first), so only with {@code
 * -Ptorture}; the child prints the load's time and heap.
 */
@Tag("torture")
class LargeStateHeapTest {
  private static final int N = Integer.getInteger("infrastate.heap.entities", 1_000_000);

  @TempDir Path tmp;

  @Test
  void aMillionHostsAndAMillionResourcesLoadInAHeapOf1200Megabytes() throws Exception {
    Path file = tmp.resolve("state.json");
    write(file, N);
    try (JvmProcess child = JvmProcess.start(Loader.class, tmp.resolve("loader.log"),
        List.of("-Xmx1200m", "-XX:+UseG1GC"), file.toString(), String.valueOf(N))) {
      assertThat(child.await(20, TimeUnit.MINUTES)).as(child.output()).isZero();
      String output = child.output();
      System.out.println("LargeStateHeapTest: " + Files.size(file) + " bytes; " + output.strip());
      assertThat(output).contains("hosts=" + N + " resources=" + N + " ok");
    }
  }

  /** Writes a state.json of {@code n} hosts and as many resources, sorted, as the encoder lays it out. */
  static void write(Path file, int n) throws IOException {
    Instant t0 = Instant.parse("2026-01-15T10:30:00Z");
    try (Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8), 1 << 16)) {
      w.write("{\n  \"metadata\": {\n    \"version\": \"1.0\",\n    \"created_at\": \"2026-01-15T10:30:00Z\",\n"
          + "    \"updated_at\": \"2026-01-15T10:30:00Z\",\n    \"serial\": 1,\n    \"lineage\": \"6f1c1d2e-0000-4000-8000-00000000b00c\"\n  },\n");
      w.write("  \"hosts\": {\n");
      for (int i = 0; i < n; i++) {
        String t = StateCodec.formatTime(t0.plusSeconds(i));
        w.write("    \"" + hostName(i) + "\": {\n      \"name\": \"" + hostName(i) + "\",\n      \"address\": \"" + address(i) + "\",\n"
            + "      \"port\": 22,\n      \"user\": \"deploy\",\n      \"vars\": {\n        \"env\": \"" + (i % 3 == 0 ? "staging" : "production")
            + "\",\n        \"http_port\": 8080,\n        \"roles\": [\n          \"web\",\n          \"app\"\n        ]\n      },\n"
            + "      \"group\": \"" + (i % 2 == 0 ? "webservers" : "appservers") + "\",\n      \"created_at\": \"" + t + "\",\n"
            + "      \"updated_at\": \"" + t + "\"\n    }" + (i == n - 1 ? "\n" : ",\n"));
      }
      w.write("  },\n  \"resources\": {\n");
      for (int i = 0; i < n; i++) {
        String t = StateCodec.formatTime(t0.plusSeconds(i));
        w.write("    \"linode:" + (10_000_000 + i) + "\": {\n      \"type\": \"linode\",\n      \"id\": \"" + (10_000_000 + i) + "\",\n"
            + "      \"name\": \"" + hostName(i) + "\",\n      \"data\": {\n        \"disk_gb\": 80,\n        \"ipv4\": [\n          \"" + address(i)
            + "\"\n        ],\n        \"label\": \"" + hostName(i) + "\",\n        \"region\": \"us-east\",\n        \"type\": \"g6-standard-2\"\n"
            + "      },\n      \"tags\": {\n        \"environment\": \"production\",\n        \"role\": \"webserver\"\n      },\n"
            + "      \"created_at\": \"" + t + "\",\n      \"updated_at\": \"" + t + "\"\n    }" + (i == n - 1 ? "\n" : ",\n"));
      }
      w.write("  }\n}\n");
    }
  }

  static String hostName(int i) {
    return String.format("host-%07d", i);
  }

  static String address(int i) {
    return "10." + ((i >> 16) & 255) + "." + ((i >> 8) & 255) + "." + (i & 255);
  }

  /** Loads the file through the stream decoder and prints what it loaded, the time and the heap. */
  public static final class Loader {
    private Loader() {}

    /**
     * Runs the load.
     *
     * @param args the state file and the number of hosts (and of resources) it holds
     * @throws Exception if the load fails
     */
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      int n = Integer.parseInt(args[1]);
      long t0 = System.nanoTime();
      Snapshot s;
      try (InputStream in = Files.newInputStream(file)) {
        s = StateCodec.decode(in, file.toString(), "");
      }
      long millis = (System.nanoTime() - t0) / 1_000_000;
      long peak = 0;
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP) {
          peak += p.getPeakUsage().getUsed();
        }
      }
      System.gc();
      long retained = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
      HostState last = s.getHost(hostName(n - 1)).orElseThrow();
      ResourceState resource = s.getResource("linode:" + (10_000_000 + n - 1)).orElseThrow();
      boolean ok = last.address().equals(address(n - 1)) && resource.data().get("label").equals(hostName(n - 1))
          && last.vars().get("roles").equals(List.of("web", "app"));
      System.out.println("hosts=" + s.hosts().size() + " resources=" + s.resources().size() + (ok ? " ok" : " WRONG") + " load_ms=" + millis
          + " heap_retained_mb=" + retained / (1 << 20) + " heap_peak_mb=" + peak / (1 << 20) + " max_heap_mb=" + Runtime.getRuntime().maxMemory() / (1 << 20));
    }
  }
}
