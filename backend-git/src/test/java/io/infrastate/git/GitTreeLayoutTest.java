package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.codec.StateCodec;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.UnsupportedFormatVersionException;
import io.infrastate.model.VersionInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tree layout in real repositories, read and checked with the real {@code git} CLI. */
class GitTreeLayoutTest {
  @TempDir Path tmp;

  private static HostState host(String name, String address) {
    return HostState.builder(name).address(address).port(22).user("deploy").build();
  }

  private static StateOptions as(String operator) {
    return StateOptions.builder().operator(operator).build();
  }

  private static GitBackend tree(Path repo) {
    return GitBackend.builder().repository(repo).layout(GitLayout.TREE).build();
  }

  private static String hostFile(String name) {
    return "hosts/" + EntryNames.path(name);
  }

  private static Path looseObject(Path repo, String id) {
    String hex = id.strip();
    return repo.resolve("objects").resolve(hex.substring(0, 2)).resolve(hex.substring(2));
  }

  private static List<String> lines(String out) {
    return out.isBlank() ? List.of() : List.of(out.strip().split("\n"));
  }

  @Test
  void eachHostIsAFileWhoseGitLogIsThatHostsHistory() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = tree(repo); State s = State.load(b, as("bot@ci"))) {
      s.addHost(host("web01", "10.0.0.1"));
      String c1 = Cli.tip(repo, "main");
      s.addHost(host("db01", "10.0.0.2"));
      s.addResource("dns:web", ResourceState.builder("dns", "web").name("web").data("ip", "10.0.0.1").build());
      s.addHost(host("web01", "10.0.0.9"));
      String c4 = Cli.tip(repo, "main");
      s.removeHost("db01");

      assertThat(lines(Cli.git(repo, "log", "--format=%H", "main", "--", hostFile("web01")))).containsExactly(c4, c1);
      assertThat(lines(Cli.git(repo, "log", "--format=%H", "main", "--", hostFile("db01")))).hasSize(2);
      // a one-host write changes that host's file and the metadata, nothing else
      assertThat(lines(Cli.git(repo, "show", "--format=", "--name-only", c4)))
          .containsExactlyInAnyOrder(hostFile("web01"), "metadata.json");
      assertThat(Cli.git(repo, "show", "--stat", "--format=", c4)).contains("2 files changed");
      Cli.git(repo, "fsck", "--strict", "--no-dangling");
      // the objects were written as a batch: each renamed into place, no temporary file left, and
      // with the permissions git gives its own objects (a shared repository's users read them)
      try (java.util.stream.Stream<Path> files = Files.walk(repo.resolve("objects"))) {
        assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("tmp_obj_"));
      }
      Path other = Files.writeString(tmp.resolve("other.txt"), "written by git\n");
      assertThat(Files.getPosixFilePermissions(looseObject(repo, Cli.git(repo, "rev-parse", "main:" + hostFile("web01")))))
          .isEqualTo(Files.getPosixFilePermissions(looseObject(repo, Cli.git(repo, "hash-object", "-w", other.toString()))));

      String entry = Cli.git(repo, "show", "main:" + hostFile("web01"));
      String single = new String(StateCodec.encode(s.snapshot()), StandardCharsets.UTF_8);
      // the entry file is the host's member of "hosts" in state.json, one level less indented
      assertThat(single).contains(entry.substring(2, entry.length() - 3).replace("\n", "\n  "));
      assertThat(entry).startsWith("{\n  \"web01\": {\n    \"name\": \"web01\",");
      assertThat(Cli.git(repo, "show", "main:resources/" + EntryNames.path("dns:web"))).contains("\"dns:web\": {");
      assertThat(Cli.git(repo, "show", "main:metadata.json")).contains("\"serial\": 5").contains("\"hosts\": {}");
      assertThat(Cli.show(repo, "main", "state.json")).isEqualTo(TreeLayout.MARKER);
    }
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b)) {
      assertThat(s.allHosts()).extracting(HostState::address).containsExactly("10.0.0.9");
      assertThat(s.metadata().serial()).isEqualTo(5);
    }
  }

  @Test
  void aRefreshAfterOneWriteDecodesOneEntry() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend writer = tree(repo); State w = State.load(writer, as("w"));
        GitBackend reader = tree(repo)) {
      w.update(t -> {
        for (int i = 0; i < 300; i++) {
          t.addHost(host("h" + i, "10.0.1." + (i % 250)));
        }
      });
      try (State r = State.load(reader)) {
        assertThat(r.allHosts()).hasSize(300);
        long first = reader.entriesDecoded();
        assertThat(first).isEqualTo(300);
        w.addHost(host("h7", "10.9.9.9"));
        w.removeHost("h8");
        Snapshot seen = r.refresh();
        assertThat(reader.entriesDecoded() - first).isEqualTo(1);
        assertThat(seen).isEqualTo(w.snapshot());
        // the writer's own writes are never decoded back
        assertThat(writer.entriesDecoded()).isZero();
      }
    }
  }

  @Test
  void namesThatAreNotFileNamesAreEncodedReversiblyAndApartInAnyCase() throws Exception {
    String longName = "n".repeat(300);
    String longOther = "n".repeat(299) + "m";
    List<String> names = List.of("web", "Web", "WEB", "a/b", "a\\b", "..", ".", ".hidden", "con", "CON.txt", "x%41",
        "ünïcødé", "tab\there", "", longName, longOther, "web~1");
    for (String n : names) {
      String file = EntryNames.fileName(n);
      assertThat(file).matches("[a-z0-9._%~A-F-]+\\.json").doesNotStartWith(".");
      assertThat(file.length()).isLessThanOrEqualTo(EntryNames.MAX_ENCODED + 22);
      if (file.indexOf('~') < 0) {
        assertThat(EntryNames.nameOf(file)).isEqualTo(n);
      }
    }
    List<String> stored = names.stream().filter(n -> !n.isEmpty() && !n.contains("\t")).toList();
    Set<String> folded = new HashSet<>();
    for (String n : names) {
      assertThat(folded.add(EntryNames.path(n).toLowerCase(Locale.ROOT))).as(n).isTrue();
    }

    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = tree(repo); State s = State.load(b)) {
      s.update(t -> {
        for (String n : stored) {
          t.addResource(n, ResourceState.builder("t", "id").name("r").build());
        }
        for (String n : List.of("web", "Web", longName, longOther)) {
          t.addHost(host(n, "10.0.0.1"));
        }
      });
    }
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
    Path checkout = Cli.personClone(repo, tmp.resolve("person"));
    try (var files = Files.walk(checkout.resolve("hosts"))) {
      assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(4);
    }
    try (GitBackend b = tree(repo); State s = State.load(b)) {
      assertThat(s.allResources().keySet()).containsExactlyInAnyOrderElementsOf(stored);
      assertThat(s.allHosts()).extracting(HostState::name).containsExactlyInAnyOrder("web", "Web", longName, longOther);
    }
  }

  @Test
  void migrationRoundTripGivesTheSameStateJsonAndOneCommitEachWay() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b, as("bot"))) {
      s.addHost(host("web01", "10.0.0.1"));
      s.addHost(host("db01", "10.0.0.2"));
      s.addResource("vpc:main", ResourceState.builder("vpc", "main").name("main").tag("env", "prod").build());
    }
    byte[] before = Cli.show(repo, "main", "state.json");
    String c0 = Cli.tip(repo, "main");
    try (GitBackend b = GitBackend.builder().repository(repo).build()) {
      assertThat(b.migrate(GitLayout.TREE, "ops")).isTrue();
      assertThat(b.migrate(GitLayout.TREE, "ops")).isFalse();
    }
    assertThat(lines(Cli.git(repo, "rev-list", c0 + "..main"))).hasSize(1);
    assertThat(Cli.show(repo, "main", "state.json")).isEqualTo(TreeLayout.MARKER);
    assertThat(Cli.show(repo, "main", hostFile("db01"))).isNotNull();
    Cli.git(repo, "fsck", "--strict", "--no-dangling");
    // a reader that knows only the single file refuses the marker with a typed error
    assertThatThrownBy(() -> StateCodec.decode(TreeLayout.MARKER, "state.json", ""))
        .isInstanceOf(UnsupportedFormatVersionException.class);
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b, as("bot"))) {
      assertThat(StateCodec.encode(s.snapshot())).isEqualTo(before);
      s.addHost(host("app01", "10.0.0.3"));
      assertThat(Cli.show(repo, "main", "state.json")).isEqualTo(TreeLayout.MARKER); // keeps its layout
      s.removeHost("app01");
      assertThat(s.at(3).orElseThrow().hosts()).containsOnlyKeys("web01", "db01");
      assertThat(s.history()).extracting(VersionInfo::serial).startsWith(5L, 4L, 3L);
    }
    String c1 = Cli.tip(repo, "main");
    try (GitBackend b = tree(repo)) {
      assertThat(b.migrate(GitLayout.SINGLE_FILE, "ops")).isTrue();
    }
    assertThat(lines(Cli.git(repo, "rev-list", c1 + "..main"))).hasSize(1);
    assertThat(Cli.show(repo, "main", "metadata.json")).isNull();
    assertThat(Cli.git(repo, "ls-tree", "--name-only", "main").strip()).isEqualTo("state.json");
    try (GitBackend b = tree(repo); State s = State.load(b)) {
      assertThat(StateCodec.encode(s.snapshot())).isEqualTo(Cli.show(repo, "main", "state.json"));
      assertThat(s.metadata().serial()).isEqualTo(5);
    }
  }

  @Test
  void singleToTreeToSingleIsByteIdentical() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b)) {
      s.update(t -> {
        for (int i = 0; i < 50; i++) {
          t.addHost(host("Host-" + i, "10.0.0." + i));
          t.addResource("r/" + i, ResourceState.builder("r", "" + i).name("n").data("k", List.of(1, 2)).build());
        }
      });
    }
    byte[] before = Cli.show(repo, "main", "state.json");
    try (GitBackend b = GitBackend.builder().repository(repo).build()) {
      b.migrate(GitLayout.TREE, "ops");
      b.migrate(GitLayout.SINGLE_FILE, "ops");
    }
    assertThat(Cli.show(repo, "main", "state.json")).isEqualTo(before);
  }

  @Test
  void historyAtRollbackAndAPersonsCommitWorkInTheTreeLayout() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = tree(repo); State s = State.load(b, as("bot"))) {
      s.addHost(host("web01", "10.0.0.1"));
      s.addHost(host("web02", "10.0.0.2"));
      s.rollback(1, new AuditEntry("bot", "roll back", "bad web02"));
      assertThat(s.snapshot().hosts()).containsOnlyKeys("web01");
      assertThat(s.metadata().serial()).isEqualTo(3);
      assertThat(Cli.show(repo, "main", hostFile("web02"))).isNull();

      // a person edits one host file with git and commits it
      Path person = Cli.personClone(repo, tmp.resolve("person"));
      Path file = person.resolve(hostFile("web01"));
      Files.writeString(file, Files.readString(file).replace("10.0.0.1", "10.0.0.5"));
      Cli.git(person, "commit", "-q", "-am", "Move web01 by hand");
      Cli.git(person, "push", "-q", "origin", "main");

      Snapshot seen = s.refresh();
      assertThat(seen.getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.5");
      assertThat(seen.metadata().serial()).isEqualTo(4);
      s.addHost(host("web03", "10.0.0.3"));
      assertThat(s.metadata().serial()).isEqualTo(5);
      assertThat(s.history()).extracting(VersionInfo::serial).containsExactly(5L, 4L, 3L, 2L, 1L);
      assertThat(s.at(2).orElseThrow().hosts()).containsOnlyKeys("web01", "web02");
    }
  }

  @Test
  void aPersonsCommitsThatEditOnlyEntryFilesAreVersionsOfTheirOwn() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = tree(repo); State s = State.load(b, as("bot"))) {
      s.addHost(host("web01", "10.0.0.1"));
      s.addResource("dns:web", ResourceState.builder("dns", "web").data("ip", "10.0.0.1").build());
      assertThat(s.metadata().serial()).isEqualTo(2);

      // two commits made with git, each to one entry file only: metadata.json is left alone
      Path person = Cli.personClone(repo, tmp.resolve("person"));
      Path web01 = person.resolve(hostFile("web01"));
      Files.writeString(web01, Files.readString(web01).replace("10.0.0.1", "10.0.0.7"));
      Cli.git(person, "commit", "-q", "-am", "Move web01 by hand");
      Path dns = person.resolve("resources/" + EntryNames.path("dns:web"));
      Files.writeString(dns, Files.readString(dns).replace("10.0.0.1", "10.0.0.7"));
      Cli.git(person, "commit", "-q", "-am", "Point dns:web at the new address");
      Cli.git(person, "push", "-q", "origin", "main");
      assertThat(lines(Cli.git(repo, "log", "--format=%s", "-2", "--", "metadata.json"))).doesNotContain(
          "Move web01 by hand", "Point dns:web at the new address");

      // the refresh sees the edits as a version of their own, numbered after the one before them
      Snapshot seen = s.refresh();
      assertThat(seen.getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.7");
      assertThat(seen.metadata().serial()).isEqualTo(4);
      List<VersionInfo> history = s.history();
      assertThat(history).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      assertThat(history).extracting(VersionInfo::operation).startsWith("Point dns:web at the new address",
          "Move web01 by hand");
      Snapshot three = s.at(3).orElseThrow();
      assertThat(three.getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.7");
      assertThat(three.getResource("dns:web").orElseThrow().data()).containsEntry("ip", "10.0.0.1");
      assertThat(s.at(4).orElseThrow().getResource("dns:web").orElseThrow().data()).containsEntry("ip", "10.0.0.7");

      s.addHost(host("web02", "10.0.0.2"));
      assertThat(s.metadata().serial()).isEqualTo(5);
      assertThat(s.history()).extracting(VersionInfo::serial).containsExactly(5L, 4L, 3L, 2L, 1L);
    }
    try (GitBackend b = tree(repo)) {
      assertThat(b.load().orElseThrow().snapshot().metadata().serial()).isEqualTo(5);
    }
  }

  @Test
  void commitsToAHostsDirectoryBesideASingleFileAreNotVersions() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b, as("bot"))) {
      s.addHost(host("web01", "10.0.0.1"));
      // an Ansible inventory beside the single file, in a hosts/ directory and a metadata.json
      Path person = Cli.personClone(repo, tmp.resolve("person"));
      Files.createDirectories(person.resolve("hosts"));
      Files.writeString(person.resolve("hosts/inventory.ini"), "[web]\nweb01\n");
      Files.writeString(person.resolve("metadata.json"), "{}\n");
      Cli.git(person, "add", "-A");
      Cli.git(person, "commit", "-q", "-m", "Add the inventory");
      Cli.git(person, "push", "-q", "origin", "main");
      s.addHost(host("web02", "10.0.0.2"));
      assertThat(s.history()).extracting(VersionInfo::serial).containsExactly(2L, 1L);
      assertThat(s.history()).extracting(VersionInfo::operation).doesNotContain("Add the inventory");
    }
  }

  @Test
  void aDamagedOrMisplacedEntryFileStopsReadsAndIsNotOverwritten() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = tree(repo); State s = State.load(b)) {
      s.addHost(host("web01", "10.0.0.1"));
    }
    Path person = Cli.personClone(repo, tmp.resolve("person"));
    Files.writeString(person.resolve(hostFile("web01")), "{\n  \"web01\": {\"name\": \"web01\", \"port\": \"x\"}\n}\n");
    Cli.git(person, "commit", "-q", "-am", "Break web01");
    Cli.git(person, "push", "-q", "origin", "main");
    String broken = Cli.tip(repo, "main");
    try (GitBackend b = tree(repo)) {
      assertThatThrownBy(() -> State.load(b)).isInstanceOf(CorruptStateException.class)
          .hasMessageContaining(hostFile("web01")).hasMessageContaining("port");
    }
    Cli.git(person, "revert", "--no-edit", "HEAD");
    Path misplaced = person.resolve("hosts/zz/web01.json");
    Files.createDirectories(misplaced.getParent());
    Files.copy(person.resolve(hostFile("web01")), misplaced);
    Cli.git(person, "add", "-A");
    Cli.git(person, "commit", "-q", "-m", "Copy web01");
    Cli.git(person, "push", "-q", "origin", "main");
    try (GitBackend b = tree(repo)) {
      assertThatThrownBy(() -> State.load(b)).isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("hosts/zz/web01.json").hasMessageContaining(hostFile("web01"));
    }
    assertThat(Cli.tip(repo, "main")).isNotEqualTo(broken);
  }

  @Test
  void theLayoutComesFromTheUri() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (State s = State.open("git+file://" + repo + "?layout=tree#main:state.json")) {
      s.addHost(host("web01", "10.0.0.1"));
    }
    assertThat(Cli.show(repo, "main", hostFile("web01"))).isNotNull();
    assertThatThrownBy(() -> State.open("git+file://" + repo + "?layout=flat#main:state.json"))
        .hasMessageContaining("layout must be 'single' or 'tree'");
  }

  @Test
  void aTreeLayoutInADirectoryKeepsToIt() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    Cli.commitFile(repo, "main", "README.md", "infra\n".getBytes(StandardCharsets.UTF_8), "Add a readme");
    try (GitBackend b = GitBackend.builder().repository(repo).path("prod/state.json").layout(GitLayout.TREE).build();
        State s = State.load(b)) {
      s.addHost(host("web01", "10.0.0.1"));
    }
    assertThat(Cli.git(repo, "ls-tree", "--name-only", "main").strip().split("\n")).containsExactly("README.md", "prod");
    assertThat(Cli.show(repo, "main", "prod/" + hostFile("web01"))).isNotNull();
    assertThat(Arrays.asList(Cli.git(repo, "ls-tree", "--name-only", "main:prod").strip().split("\n")))
        .containsExactly("hosts", "metadata.json", "state.json");
  }

  @Test
  void aTreeLayoutNeverTakesOverFilesThatAreNotItsOwn() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    String ansible = Cli.commitFile(repo, "main", "hosts", "[web]\nweb01\n".getBytes(StandardCharsets.UTF_8), "Add an inventory");
    try (GitBackend b = tree(repo); State s = State.load(b)) {
      assertThatThrownBy(() -> s.addHost(host("web01", "10.0.0.1"))).isInstanceOf(BackendException.class)
          .hasMessageContaining("hosts already exists").hasMessageContaining("directory of its own");
    }
    try (GitBackend b = GitBackend.builder().repository(repo).build(); State s = State.load(b)) {
      s.addHost(host("web01", "10.0.0.1"));
      String single = Cli.tip(repo, "main");
      assertThatThrownBy(() -> b.migrate(GitLayout.TREE, "ops")).isInstanceOf(BackendException.class)
          .hasMessageContaining("hosts already exists");
      assertThat(Cli.tip(repo, "main")).isEqualTo(single);
    }
    assertThat(Cli.git(repo, "show", "main:hosts")).isEqualTo("[web]\nweb01\n");
    assertThat(Cli.git(repo, "rev-list", "--count", "main").strip()).isEqualTo("2");
    assertThat(ansible).isNotEmpty();
  }

  @Test
  void anEncryptedStateIsRefusedInTheTreeLayout() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend b = tree(repo)) {
      b.storedForm(new io.infrastate.spi.StoredForm() {
        @Override
        public boolean seals(Snapshot version) {
          return true;
        }

        @Override
        public byte[] seal(Snapshot version, String part, byte[] plain) {
          return plain;
        }

        @Override
        public byte[] open(byte[] stored, String part, String location) {
          return stored;
        }
      });
      assertThatThrownBy(() -> State.load(b).addHost(host("web01", "10.0.0.1")))
          .isInstanceOf(BackendException.class).hasMessageContaining("encryption needs the single-file layout");
    }
    assertThat(Cli.tip(repo, "main")).isEmpty();
  }
}
