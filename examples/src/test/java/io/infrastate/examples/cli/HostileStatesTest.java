package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and damaged states, each through API load, API write, CLI read (host list, inventory
 * --list) and CLI write, in file and journal mode, in a child JVM with a 256 MB heap and a hang
 * guard: a typed error (or a one-line CLI message with exit 5 for damage, 1 otherwise, never a stack
 * trace), and the files byte-identical afterwards.
 */
class HostileStatesTest {
  @TempDir Path tmp;

  static List<HostileStates.Case> cases() {
    return HostileStates.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyWayInIsRefusedCleanlyAndChangesNothing(HostileStates.Case c) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("case"));
    Path state = c.build().build(dir);
    Map<String, String> before = HostileStates.snapshot(dir);
    Processes.Result r = Processes.run(dir, Map.of(), List.of(Processes.java(), "-Xmx256m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), HostileCaseMain.class.getName(), state.toString(), dir.toString()));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).as(r.toString()).contains("DONE");
    List<String> results = r.out().lines().filter(l -> l.startsWith("RESULT ")).collect(Collectors.toList());
    assertThat(results).as(r.toString()).hasSize(10);
    for (String line : results) {
      String[] f = line.split(" ", 6);
      String op = f[2];
      String outcome = f[3];
      assertThat(f[4]).as(line).isEqualTo("unchanged");
      boolean read = op.equals("api-load") || op.equals("cli-read") || op.equals("cli-inventory");
      if (read && c.reads() == HostileStates.Reads.SUCCEED) {
        assertThat(outcome).as(line).startsWith("ok");
      } else if (op.startsWith("api")) {
        assertThat(outcome).as(line).startsWith("typed:");
        assertThat(f.length > 5 ? f[5] : "").as(line).isNotBlank();
      } else {
        assertThat(outcome).as(line).startsWith("exit:" + c.exitCode() + ":1:notrace:infrastate:");
      }
    }
    assertThat(HostileStates.snapshot(dir)).isEqualTo(before);
    assertThat(Path.of("/dev/zero.writelock")).doesNotExist();
    assertThat(Path.of("/dev/urandom.writelock")).doesNotExist();
  }
}
