package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.spi.Backend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Loss is never a new state: every part of a state (state file, backup, journal, history, the
 * write lock sidecar) deleted alone and in every combination, in both file modes. Deleting the
 * state file while anything else survives stops loads and writes with the names of the survivors;
 * deleting the journal stops them too (the sidecar records the last version written, and the
 * history keeps a second name of the live journal); deleting only what the latest version does
 * not need (backup, history, sidecar) loses nothing; deleting everything is a new state.
 */
class LossTest {
  @TempDir Path tmp;

  enum Part {
    STATE(""), BACKUP(".backup"), JOURNAL(".journal"), HISTORY(".history"), WRITELOCK(".writelock");

    final String suffix;

    Part(String suffix) {
      this.suffix = suffix;
    }

    Path in(Path dir) {
      return dir.resolve("state.json" + suffix);
    }
  }

  static Stream<Arguments> deletions() {
    List<Arguments> out = new ArrayList<>();
    for (FileMode mode : FileMode.values()) {
      List<Part> parts = new ArrayList<>(List.of(Part.values()));
      if (mode == FileMode.FILE) {
        parts.remove(Part.JOURNAL);
      }
      for (int mask = 1; mask < (1 << parts.size()); mask++) {
        EnumSet<Part> deleted = EnumSet.noneOf(Part.class);
        for (int i = 0; i < parts.size(); i++) {
          if ((mask & (1 << i)) != 0) {
            deleted.add(parts.get(i));
          }
        }
        out.add(Arguments.of(mode, deleted));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: delete {1}")
  @MethodSource("deletions")
  void loadsAndWritesTellLossFromANewState(FileMode mode, Set<Part> deleted) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Path file = dir.resolve("state.json");
    try (Backend b = backend(mode, file); State s = State.load(b)) {
      for (int i = 1; i <= 5; i++) {
        s.addHost(HostState.builder("web" + i).address("10.0.0." + i).build());
      }
    }
    for (Part p : Part.values()) {
      if (!(mode == FileMode.FILE && p == Part.JOURNAL)) {
        assertThat(p.in(dir)).as("%s exists before the deletion", p).exists();
      }
    }
    for (Part p : deleted) {
      delete(p.in(dir));
    }
    Set<Part> survivors = EnumSet.complementOf(EnumSet.copyOf(deleted));
    survivors.removeIf(p -> !Files.exists(p.in(dir), LinkOption.NOFOLLOW_LINKS));
    Map<String, String> before = snapshot(dir);

    if (survivors.isEmpty()) {
      try (Backend b = backend(mode, file)) {
        assertThat(b.load()).as("nothing of the state exists: a new state").isEmpty();
      }
      return;
    }
    boolean stateLost = deleted.contains(Part.STATE);
    // The journal holds versions 5 (journal mode); with it gone, the write lock's record or the
    // history's link to the journal tells. Without either, nothing on disk remembers them.
    boolean journalLost = mode == FileMode.JOURNAL && deleted.contains(Part.JOURNAL)
        && !(deleted.contains(Part.WRITELOCK) && deleted.contains(Part.HISTORY));
    if (!stateLost && !journalLost) {
      try (Backend b = backend(mode, file); State s = State.load(b)) {
        if (!(mode == FileMode.JOURNAL && deleted.contains(Part.JOURNAL))) {
          assertThat(s.metadata().serial()).isEqualTo(5);
          assertThat(s.allHosts()).hasSize(5);
        }
        s.addHost(HostState.builder("web6").build());
      }
      return;
    }
    try (Backend b = backend(mode, file)) {
      assertThatThrownBy(b::load)
          .isInstanceOf(CorruptStateException.class)
          .satisfies(e -> {
            String m = e.getMessage();
            if (stateLost) {
              assertThat(m).contains("State file " + file + " is missing, but ");
              for (Part p : survivors) {
                assertThat(m).as("names the surviving %s", p).contains(p.in(dir).toString());
              }
            } else {
              assertThat(m).contains("holds version 4, but version 5 of the same state was written");
            }
            for (Part p : deleted) {
              if (p != Part.STATE && p != Part.JOURNAL) {
                assertThat(m).as("names no deleted %s", p).doesNotContain(p.in(dir) + " ").doesNotContain(p.in(dir) + ",");
              }
            }
          });
      Snapshot next = Snapshot.empty(new Metadata(Metadata.FORMAT_VERSION, 1, "", null, null));
      VersionToken expected = stateLost ? VersionToken.absent() : VersionToken.of(4, "");
      assertThatThrownBy(() -> b.save(new SaveRequest(expected, next, List.of(), AuditEntry.DEFAULT)))
          .isInstanceOf(CorruptStateException.class);
    }
    Map<String, String> after = snapshot(dir);
    if (!before.containsKey("state.json.writelock") && Files.size(Part.WRITELOCK.in(dir)) == 0) {
      after.remove("state.json.writelock"); // the refused write took the write lock, and recorded nothing
    }
    assertThat(after).as("nothing was written, pruned or created").isEqualTo(before);
  }

  private static Backend backend(FileMode mode, Path file) {
    return mode.journal ? mode.builder(file).compactEvery(3).backgroundCompaction(false).build() : mode.open(file);
  }

  private static void delete(Path p) throws IOException {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(q);
        }
      }
    } else {
      Files.delete(p);
    }
  }

  /** Every file under a directory with its bytes (as text of their hash). */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.toList()) {
        out.put(dir.relativize(p).toString(), Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
            ? Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(p))) : "dir");
      }
    }
    return out;
  }
}
