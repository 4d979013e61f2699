package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.HostState;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.util.sha1.Sha1CollisionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A state file large enough to be hashed beside its deflation ({@link LooseBlobInserter}) is the
 * loose object git would write: git reads it, {@code git fsck --strict} is clean, its id is {@code
 * git hash-object}'s, and nothing is left behind.
 */
class GitLargeBlobTest {
  @TempDir Path tmp;

  private static final StateOptions BOT = StateOptions.builder().operator("bot@ci").build();

  /** Enough hosts for a state file of about twice {@link LooseBlobInserter#PARALLEL_FROM}. */
  private static final int HOSTS = 2000;

  /**
   * The first 320 bytes of the SHAttered PDF (shattered.io): its prefix and the two blocks of the
   * collision with its twin, which collision detection flags.
   */
  private static final byte[] SHATTERED = HexFormat.of().parseHex(
      "255044462d312e330a25e2e3cfd30a0a0a312030206f626a0a3c3c2f57696474682032203020522f486569676874"
      + "2033203020522f547970652034203020522f537562747970652035203020522f46696c7465722036203020522f43"
      + "6f6c6f7253706163652037203020522f4c656e6774682038203020522f42697473506572436f6d706f6e656e7420"
      + "383e3e0a73747265616d0affd8fffe00245348412d3120697320646561642121212121852fec092339759c39b1a1"
      + "c63c4c97e1fffe017346dc9166b67e118f029ab621b2560ff9ca67cca8c7f85ba84c79030c2b3de218f86db3a909"
      + "01d5df45c14f26fedfb3dc38e96ac22fe7bd728f0e45bce046d23c570feb141398bb552ef5a0a82be331fea48037"
      + "b8b5d71f0e332edf93ac3500eb4ddc0decc1a864790c782c76215660dd309791d06bd0af3f98cda4bc4629b1");

  private static void fill(State s, String prefix) {
    s.update(t -> {
      for (int i = 0; i < HOSTS; i++) {
        t.addHost(HostState.builder(prefix + i).address("10.0." + (i / 250) + "." + (i % 250)).port(22)
            .user("deploy").group("web").var("rack", "r" + (i % 40)).build());
      }
    });
  }

  private static Path loose(Path gitDir, String id) {
    return gitDir.resolve("objects").resolve(id.substring(0, 2)).resolve(id.substring(2));
  }

  /** The files a write may have left in objects/ itself (git's and JGit's temporary files). */
  private static List<Path> leftovers(Path gitDir) throws Exception {
    try (Stream<Path> s = Files.list(gitDir.resolve("objects"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  /** Checks the state file's blob at {@code rev} the way git sees it. */
  private void checkBlob(Path gitDir, String rev) throws Exception {
    String id = Cli.git(gitDir, "rev-parse", rev).strip();
    byte[] content = Cli.show(gitDir, "main", "state.json");
    assertThat(content.length).isGreaterThan(LooseBlobInserter.PARALLEL_FROM);
    assertThat(hashObject(gitDir, content)).isEqualTo(id);
    Path loose = loose(gitDir, id);
    try (InputStream in = Files.newInputStream(loose)) {
      byte[] header = in.readNBytes(2);
      assertThat(header).as("zlib header, level 3").containsExactly(0x78, 0x5E);
    }
    assertThat(Files.getPosixFilePermissions(loose)).as("%s is read-only", loose)
        .doesNotContain(PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
  }

  @Test
  void aLargeStateFileIsTheLooseObjectGitWouldWrite() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    byte[] config = Files.readAllBytes(repo.resolve("config"));
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b, BOT)) {
      fill(s, "web");
      checkBlob(repo, "main:state.json");
      s.addHost(HostState.builder("db01").address("10.1.0.1").build());
      checkBlob(repo, "main:state.json");
    }
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
    assertThat(Cli.git(repo, "log", "--format=%s", "--", "state.json").lines().count()).isEqualTo(2);
    assertThat(leftovers(repo)).isEmpty();
    assertThat(Files.readAllBytes(repo.resolve("config"))).isEqualTo(config);
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b, BOT)) {
      assertThat(s.snapshot().hosts()).hasSize(HOSTS + 1);
    }
  }

  @Test
  void aCloneWritesAndPushesALargeStateFile() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path clone = tmp.resolve("clone");
    try (GitBackend b = GitBackend.builder().remote(remote.toString()).cloneDirectory(clone).build();
        State s = State.load(b, BOT)) {
      fill(s, "web");
      s.addHost(HostState.builder("db01").address("10.1.0.1").build());
    }
    String id = Cli.git(clone, "rev-parse", "refs/remotes/origin/main:state.json").strip();
    assertThat(Cli.git(remote, "rev-parse", "main:state.json").strip()).isEqualTo(id);
    assertThat(Files.exists(loose(clone, id))).isTrue();
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
    Cli.git(clone, "fsck", "--strict", "--no-dangling");
    assertThat(leftovers(clone)).isEmpty();
    try (GitBackend b = GitBackend.builder().repository(remote).build(); State s = State.load(b, BOT)) {
      assertThat(s.snapshot().hosts()).hasSize(HOSTS + 1);
    }
  }

  @Test
  void aLevelTheRepositorySetsIsKeptForLargeBlobs() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    Cli.git(repo, "config", "core.compression", "9");
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b, BOT)) {
      fill(s, "web");
    }
    String id = Cli.git(repo, "rev-parse", "main:state.json").strip();
    try (InputStream in = Files.newInputStream(loose(repo, id))) {
      assertThat(in.readNBytes(2)).containsExactly(0x78, 0xDA);
    }
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aBlobTheRepositoryHoldsIsNotWrittenAgain() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    byte[] data = new byte[LooseBlobInserter.PARALLEL_FROM + 1000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) ('a' + i % 23);
    }
    try (Repository r = Repositories.open(repo)) {
      ObjectId first;
      try (ObjectInserter ins = LooseBlobInserter.of(r)) {
        first = ins.insert(Constants.OBJ_BLOB, data);
        assertThat(ins.insert(Constants.OBJ_BLOB, data)).isEqualTo(first);
        assertThat(LooseBlobInserter.insertEncodedState(ins, data)).isEqualTo(first);
      }
      assertThat(first.name()).isEqualTo(hashObject(repo, data));
      Path loose = loose(repo, first.name());
      // packed: a further insert neither fails nor writes a loose copy
      Cli.git(repo, "tag", "kept", first.name());
      Cli.git(repo, "gc", "-q", "--prune=now");
      assertThat(Files.exists(loose)).isFalse();
      try (ObjectInserter ins = LooseBlobInserter.of(r)) {
        assertThat(ins.insert(Constants.OBJ_BLOB, data)).isEqualTo(first);
      }
      assertThat(Files.exists(loose)).isFalse();
    }
    assertThat(leftovers(repo)).isEmpty();
    Cli.git(repo, "fsck", "--strict");
  }

  @Test
  void smallObjectsGoToJgitAsBefore() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    byte[] small = "{\"hosts\": {}}\n".getBytes(StandardCharsets.UTF_8);
    try (Repository r = Repositories.open(repo); ObjectInserter ins = LooseBlobInserter.of(r)) {
      ObjectId id = ins.insert(Constants.OBJ_BLOB, small);
      assertThat(id.name()).isEqualTo(hashObject(repo, small));
      assertThat(LooseBlobInserter.insertEncodedState(ins, small)).isEqualTo(id);
    }
    Cli.git(repo, "fsck", "--strict");
  }

  @Test
  void blobsFromElsewhereAreHashedWithCollisionDetection() {
    byte[] prefix = Arrays.copyOf(SHATTERED, 192);
    byte[] rest = Arrays.copyOfRange(SHATTERED, 192, SHATTERED.length);
    assertThatThrownBy(() -> LooseBlobInserter.detectingSha1(prefix, rest, 0, rest.length))
        .isInstanceOf(Sha1CollisionException.class);
  }

  private String hashObject(Path repo, byte[] data) throws Exception {
    Path file = Files.write(tmp.resolve("data-" + System.nanoTime()), data);
    return Cli.git(repo, "hash-object", file.toString()).strip();
  }
}
