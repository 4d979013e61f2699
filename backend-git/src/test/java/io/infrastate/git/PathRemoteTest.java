package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote that is a path is written through JGit's in-process receive-pack; no push from
 * infrastate starts JGit's gc there, whose pack-directory cleanup can delete the index of a pack
 * another process is writing (and so lose its objects).
 */
class PathRemoteTest {
  @TempDir Path tmp;

  @Test
  void pushesToAPathRemoteStartNoGcThereAndLeaveItsConfigFileAlone() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    // With JGit's defaults a push past the 50th pack would start a gc; in the foreground here, so
    // that a gc would have finished (packed the refs) by the time the last push returns.
    Cli.git(remote, "config", "gc.autoDetach", "false");
    byte[] config = Files.readAllBytes(remote.resolve("config"));
    int writes = 60;
    try (GitBackend clone = GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve("clone")).build();
        State state = State.load(clone, StateOptions.builder().operator("ci@test").build())) {
      for (int i = 0; i < writes; i++) {
        state.addHost(HostState.builder("web" + i).address("10.0.0." + (i + 1)).build());
      }
    }
    assertThat(remote.resolve("packed-refs")).doesNotExist();
    try (Stream<Path> packs = Files.list(remote.resolve("objects/pack"))) {
      assertThat(packs.filter(p -> p.toString().endsWith(".pack")).count()).isEqualTo(writes);
    }
    assertThat(Files.readAllBytes(remote.resolve("config"))).isEqualTo(config);
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
    assertThat(Cli.git(remote, "rev-list", "--count", "main").trim()).isEqualTo(String.valueOf(writes));
    // Whoever runs the remote gcs it with the git CLI, as servers do.
    Cli.git(remote, "gc", "--quiet");
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }
}
