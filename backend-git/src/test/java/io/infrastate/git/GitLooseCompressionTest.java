package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.HostState;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes deflate their loose objects at level 3 unless the repository chose a level, and never
 * change the repository's config file for it.
 */
class GitLooseCompressionTest {
  @TempDir Path tmp;

  private static final StateOptions BOT = StateOptions.builder().operator("bot@ci").build();

  /** The second byte of a zlib stream's header: 0x01 for level 1, 0x5E for 2 to 5, 0x9C for 6, 0xDA for 7 to 9. */
  private static int zlibLevelFlags(Path gitDir, String object) throws Exception {
    String id = Cli.git(gitDir, "rev-parse", object).strip();
    Path loose = gitDir.resolve("objects").resolve(id.substring(0, 2)).resolve(id.substring(2));
    try (InputStream in = Files.newInputStream(loose)) {
      byte[] header = in.readNBytes(2);
      assertThat(header[0]).as("zlib header of %s", object).isEqualTo((byte) 0x78);
      return header[1] & 0xff;
    }
  }

  private static void write(Path repo) {
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b, BOT)) {
      s.addHost(HostState.builder("web01").address("10.0.0.7").build());
    }
  }

  @Test
  void aWriteDeflatesItsLooseObjectsAtLevelThreeAndLeavesTheConfigFileAlone() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    byte[] config = Files.readAllBytes(repo.resolve("config"));
    write(repo);
    assertThat(zlibLevelFlags(repo, "main:state.json")).isEqualTo(0x5E);
    assertThat(zlibLevelFlags(repo, "main")).isEqualTo(0x5E);
    assertThat(Files.readAllBytes(repo.resolve("config"))).isEqualTo(config);
  }

  @Test
  void aLevelTheRepositorySetsIsKept() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    Cli.git(repo, "config", "core.compression", "9");
    write(repo);
    assertThat(zlibLevelFlags(repo, "main:state.json")).isEqualTo(0xDA);
  }

  @Test
  void aCloneDeflatesItsLooseObjectsAtLevelThree() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path clone = tmp.resolve("clone");
    try (GitBackend b = GitBackend.builder().remote(remote.toString()).cloneDirectory(clone).build();
        State s = State.load(b, BOT)) {
      s.addHost(HostState.builder("web01").address("10.0.0.7").build());
    }
    assertThat(zlibLevelFlags(clone, "refs/remotes/origin/main:state.json")).isEqualTo(0x5E);
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }
}
