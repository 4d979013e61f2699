package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.model.StateException;
import io.infrastate.spi.Backend;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A symbolic link planted at every path the file backends create, pointing out of the state's
 * directory: writes, compactions and loads either refuse (a typed error) or replace the link
 * itself; nothing is ever written, created or pruned where it points.
 */
class SymlinkPlantingTest {
  @TempDir Path tmp;

  static Stream<Arguments> plants() {
    List<Arguments> out = new ArrayList<>();
    // every name each mode creates after the first three versions (the journal mode compacts
    // every two records: bases 3, 5 and 7, each journal linked into the history when it starts)
    for (String path : List.of("state.json.backup", "state.json.writelock", "state.json.journal", "state.json.history",
        "state.json.history/00000000000000000004.json", "state.json.history/00000000000000000004.audit.json")) {
      out.add(Arguments.of(FileMode.FILE, path));
    }
    for (String path : List.of("state.json.backup", "state.json.writelock", "state.json.journal", "state.json.history",
        "state.json.history/00000000000000000003.json", "state.json.history/00000000000000000003.journal",
        "state.json.history/00000000000000000005.json", "state.json.history/00000000000000000005.journal")) {
      out.add(Arguments.of(FileMode.JOURNAL, path));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("plants")
  void nothingIsWrittenWhereAPlantedLinkPoints(FileMode mode, String planted) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Path file = dir.resolve("state.json");
    Path victims = Files.createDirectory(tmp.resolve("victims"));
    Path victimFile = Files.writeString(victims.resolve("precious"), "precious\n");
    Path victimDir = Files.createDirectory(victims.resolve("dir"));
    Files.writeString(victimDir.resolve("inside"), "inside\n");
    try (Backend b = backend(mode, file); State s = State.load(b)) {
      for (int i = 1; i <= 3; i++) {
        s.addHost(HostState.builder("web" + i).build());
      }
    }
    Path plant = dir.resolve(planted);
    if (Files.isDirectory(plant, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> walk = Files.walk(plant)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.deleteIfExists(plant);
    Files.createDirectories(plant.getParent());
    Files.createSymbolicLink(plant, planted.endsWith(".history") ? victimDir : victimFile);
    Map<String, String> before = LossTest.snapshot(victims);

    boolean refused = false;
    try (Backend b = backend(mode, file); State s = State.load(b)) {
      for (int i = 4; i <= 8; i++) {
        s.addHost(HostState.builder("web" + i).build());
      }
      assertThat(s.allHosts()).hasSize(8);
    } catch (StateException e) {
      refused = true;
      assertThat(e.getMessage()).contains(dir.toString());
    }
    assertThat(LossTest.snapshot(victims)).as("what the link points to").isEqualTo(before);
    assertThat(Files.readString(victimFile)).isEqualTo("precious\n");
    if (!refused) {
      assertThat(Files.isSymbolicLink(plant)).as("the link was replaced, not followed").isFalse();
      try (Backend b = backend(mode, file); State s = State.load(b)) {
        assertThat(s.allHosts()).hasSize(8);
      }
    }
  }

  private static Backend backend(FileMode mode, Path file) {
    FileBackend.Builder b = mode.builder(file).historyRetention(3);
    return (mode.journal ? b.compactEvery(2).backgroundCompaction(false) : b).build();
  }
}
