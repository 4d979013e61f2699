package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AllocatorTest {
  static final List<String> KEYS = List.of("hostomatic-prod", "hostomatic-uat", "togather-production", "ünïcödé-key", "");

  /** The slot, derived independently: SHA-256, first 8 bytes as an unsigned number, mod range. */
  static int expectedPort(String key, int base, int range) throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    return base + new BigInteger(1, Arrays.copyOf(digest, 8)).mod(BigInteger.valueOf(range)).intValueExact();
  }

  @Test
  void portsAreTheSha256SlotOfTheKey() throws Exception {
    for (String key : KEYS) {
      assertThat(Allocator.hashBasedPort(key, 8000, 1000)).as(key).isEqualTo(expectedPort(key, 8000, 1000));
      assertThat(Allocator.hashBasedPort(key, 1, 65535)).as(key).isEqualTo(expectedPort(key, 1, 65535));
      assertThat(Allocator.hash(key)).isEqualTo(String.format("%064x", new BigInteger(1,
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)))));
    }
  }

  @Test
  void collisionsProbeLinearlyAndWrapAround() throws Exception {
    String key = "hostomatic-prod";
    int home = expectedPort(key, 8000, 10);
    int next = 8000 + (home - 8000 + 1) % 10;
    assertThat(Allocator.port(key, 8000, 10, p -> false)).isEqualTo(home);
    assertThat(Allocator.port(key, 8000, 10, p -> p == home)).isEqualTo(next);
    Set<Integer> allButOne = new HashSet<>();
    for (int p = 8000; p < 8010; p++) {
      allButOne.add(p);
    }
    int free = 8000 + (home - 8000 + 9) % 10; // the slot just before home: reached last
    allButOne.remove(free);
    assertThat(Allocator.port(key, 8000, 10, allButOne::contains)).isEqualTo(free);
    allButOne.add(free);
    assertThatThrownBy(() -> Allocator.port(key, 8000, 10, allButOne::contains))
        .isInstanceOf(StateException.class).hasMessageContaining("8000..8009").hasMessageContaining("all 10 are taken");
  }

  @Test
  void againstTheStateARecordedPortIsReusedAndOthersAreAvoided() throws Exception {
    String key = "service:hostomatic-prod-backend";
    int home = expectedPort(key, 8000, 1000);
    Metadata m = new Metadata(Metadata.FORMAT_VERSION, 1, "l", Instant.EPOCH, Instant.EPOCH);
    TreeMap<String, ResourceState> res = new TreeMap<>();
    res.put("service:other", ResourceState.builder("service", "other").data("port", home).build());
    TreeMap<String, HostState> hosts = new TreeMap<>();
    hosts.put("web01", HostState.builder("web01").port(home + 1 >= 9000 ? 8000 : home + 1).var("port", home + 1 >= 9000 ? 8000 : home + 1).build());
    Snapshot s = Snapshot.of(m, hosts, res);
    int expected = home + 2 >= 9000 ? home + 2 - 1000 : home + 2;
    int allocated = Allocator.port(s, key, "port", 8000, 1000);
    assertThat(allocated).isEqualTo(expected);
    assertThat(Allocator.takenPorts(s, "port")).containsExactlyInAnyOrder(home, home + 1 >= 9000 ? 8000 : home + 1);

    res.put(key, ResourceState.builder("service", "hostomatic-prod-backend").data("port", allocated).build());
    res.remove("service:other"); // even when the home slot becomes free, the recorded port stays
    assertThat(Allocator.port(Snapshot.of(m, hosts, res), key, "port", 8000, 1000)).isEqualTo(allocated);
  }

  @Test
  void namesAreHashPrefixesAndCollisionsRehash() throws Exception {
    String h = Allocator.hash("hostomatic-prod");
    assertThat(Allocator.hashBasedName("hostomatic", "hostomatic-prod", 8)).isEqualTo("hostomatic-" + h.substring(0, 8));
    assertThat(Allocator.hashBasedName("", "hostomatic-prod", 12)).isEqualTo(h.substring(0, 12));
    String first = Allocator.hashBasedName("db", "k", 8);
    assertThat(Allocator.name("db", "k", 8, n -> false)).isEqualTo(first);
    assertThat(Allocator.name("db", "k", 8, n -> n.equals(first))).isEqualTo("db-" + Allocator.hash("k#1").substring(0, 8));
    assertThatThrownBy(() -> Allocator.hashBasedName("x", "k", 3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rangesMustStayInsideThePortSpace() {
    assertThatThrownBy(() -> Allocator.hashBasedPort("k", 65000, 1000)).hasMessageContaining("leave 0..65535");
    assertThatThrownBy(() -> Allocator.hashBasedPort("k", 8000, 0)).hasMessageContaining("at least one port");
    assertThat(Allocator.hashBasedPort("k", 65535, 1)).isEqualTo(65535);
  }

  /** Prints allocations, for the cross-JVM stability test. */
  public static void main(String[] args) {
    for (String key : KEYS) {
      System.out.println(Allocator.hashBasedPort(key, 8000, 1000) + " " + Allocator.hashBasedName("n", key, 16));
    }
  }

  @Test
  void anotherJvmWithAnotherDefaultCharsetAndLocaleAllocatesTheSame() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Dfile.encoding=ISO-8859-1", "-Duser.language=tr", "-Duser.country=TR",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), AllocatorTest.class.getName())
        .redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(out, StandardCharsets.UTF_8)).isZero();
    List<String> expected = new ArrayList<>();
    for (String key : KEYS) {
      expected.add(Allocator.hashBasedPort(key, 8000, 1000) + " " + Allocator.hashBasedName("n", key, 16));
    }
    assertThat(new String(out, StandardCharsets.ISO_8859_1).lines().toList()).isEqualTo(expected);
  }
}
