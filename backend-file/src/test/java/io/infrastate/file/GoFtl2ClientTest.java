package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.infrastate.model.ExternalEdit;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.StateDiff;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Go-FTL2 client, built with {@code go build} from the seed's own state package (copied
 * unchanged into {@code src/test/resources/goftl2/state}) and a small main: Go reads everything
 * infrastate writes, infrastate reads everything Go writes, and Go and infrastate writing in turn
 * keep one lineage with a history in which every change is attributed. Skipped, with a message,
 * only where {@code go} is not installed ({@code .ci/run} installs Debian's golang-go). The build
 * uses the standard library only: no network.
 */
class GoFtl2ClientTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final StateOptions ALICE = StateOptions.builder().operator("alice@ops").build();

  @TempDir static Path build;
  @TempDir Path tmp;
  private static Path client;

  @BeforeAll
  static void buildClient() throws IOException, InterruptedException, URISyntaxException {
    assumeTrue(Shell.onPath("go"), "go is not installed (apt-get install golang-go; .ci/run installs it): the Go-FTL2 client is not tested here");
    Path sources = Path.of(GoFtl2ClientTest.class.getResource("/goftl2/go.mod").toURI()).getParent();
    Path src = build.resolve("src");
    try (Stream<Path> files = Files.walk(sources)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path to = src.resolve(sources.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    client = build.resolve("client");
    Shell.exec(src, Map.of("GOFLAGS", "-mod=mod", "GOCACHE", build.resolve("cache").toString(), "GOPATH",
        build.resolve("gopath").toString(), "GOPROXY", "off", "GO111MODULE", "on", "CGO_ENABLED", "0"),
        List.of("go", "build", "-o", client.toString(), "."));
  }

  /** Runs the Go client on a state file, as a user in a time zone east of UTC. */
  private static String go(Path file, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(client.toString(), file.toString()));
    command.addAll(Arrays.asList(args));
    return Shell.exec(file.getParent(), Map.of("TZ", "Asia/Kolkata"), command);
  }

  private static Map<String, Object> everyKindOfVar() {
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("http_port", 80);
    vars.put("big", 5_000_000_000L);
    vars.put("ratio", 0.25);
    vars.put("name", "web \"one\" ü");
    vars.put("tls", true);
    vars.put("debug", false);
    vars.put("none", null);
    vars.put("list", List.of(1, "a", true));
    vars.put("nested", Map.of("k", "v", "n", 2));
    return vars;
  }

  @Test
  void goReadsEverythingInfrastateWrites() throws Exception {
    Path file = tmp.resolve("state.json");
    Snapshot written;
    try (FileBackend b = FileBackend.at(file); State s = State.load(b, ALICE)) {
      s.addHost(HostState.builder("web01").address("192.168.1.10").port(2222).user("admin").group("webservers")
          .vars(everyKindOfVar()).build());
      s.addHost(HostState.builder("bare").address("10.0.0.9").build());
      s.addResource("linode:12345678", ResourceState.builder("linode", "12345678").name("web01")
          .data(Map.of("label", "web01", "ipv4", List.of("192.168.1.10"), "specs", Map.of("vcpus", 2, "disk_gb", 50.5)))
          .tag("environment", "production").tag("role", "webserver").build());
      written = s.snapshot();
    }
    JsonNode dump = JSON.readTree(go(file, "dump"));

    assertThat(dump.get("metadata").get("version").asString()).isEqualTo(written.metadata().version());
    assertTime(dump.get("metadata").get("created_at"), written.metadata().createdAt());
    assertTime(dump.get("metadata").get("updated_at"), written.metadata().updatedAt());
    assertThat(dump.get("hosts").size()).isEqualTo(2);
    for (HostState h : written.allHosts()) {
      JsonNode g = dump.get("hosts").get(h.name());
      assertThat(g.get("name").asString()).isEqualTo(h.name());
      assertThat(g.get("address").asString()).isEqualTo(h.address());
      assertThat(g.get("port").asInt()).isEqualTo(h.port());
      assertThat(g.get("user").asString()).isEqualTo(h.user());
      assertThat(g.get("group").asString()).isEqualTo(h.group());
      assertTime(g.get("created_at"), h.createdAt());
      assertTime(g.get("updated_at"), h.updatedAt());
      assertValues(g.get("vars"), h.vars());
    }
    ResourceState r = written.getResource("linode:12345678").orElseThrow();
    JsonNode g = dump.get("resources").get("linode:12345678");
    assertThat(g.get("type").asString()).isEqualTo(r.type());
    assertThat(g.get("id").asString()).isEqualTo(r.id());
    assertThat(g.get("name").asString()).isEqualTo(r.name());
    assertValues(g.get("data"), r.data());
    assertThat(JSON.treeToValue(g.get("tags"), Map.class)).isEqualTo(r.tags());
    assertTime(g.get("created_at"), r.createdAt());
    assertTime(g.get("updated_at"), r.updatedAt());
  }

  /** Go's view of each value: its type as Go's encoding/json decodes it into an any, and the value. */
  private static void assertValues(JsonNode typed, Map<String, Object> expected) {
    assertThat(typed.size()).isEqualTo(expected.size());
    expected.forEach((k, v) -> {
      JsonNode t = typed.get(k);
      assertThat(t).as(k).isNotNull();
      assertThat(t.get("type").asString()).as(k).isEqualTo(goType(v));
      assertThat(t.get("value")).as(k).isEqualTo(JSON.valueToTree(v));
    });
  }

  private static String goType(Object v) {
    if (v == null) {
      return "<nil>";
    }
    if (v instanceof Number) {
      return "float64";
    }
    if (v instanceof String) {
      return "string";
    }
    if (v instanceof Boolean) {
      return "bool";
    }
    return v instanceof List ? "[]interface {}" : "map[string]interface {}";
  }

  private static void assertTime(JsonNode goTime, Instant expected) {
    assertThat(Instant.parse(goTime.asString())).isEqualTo(expected);
  }

  @Test
  void infrastateReadsEverythingGoWrites() throws Exception {
    Path file = tmp.resolve("state.json");
    go(file, "add-host", "go01", "10.1.1.1", "2222", "deploy", "web",
        "{\"http_port\":80,\"big\":5000000000,\"ratio\":0.5,\"tls\":true,\"names\":[\"a\",\"b\"],\"nested\":{\"k\":\"v\"},\"none\":null}");
    go(file, "add-host", "go02", "10.1.1.2", "22", "root", "");
    go(file, "add-resource", "linode:1", "linode", "1", "web01", "{\"label\":\"web01\",\"ipv4\":[\"192.168.1.10\"],\"size\":2}",
        "{\"env\":\"prod\"}");
    go(file, "add-resource", "ip:1", "ip", "1", "vip", "{}");
    JsonNode dump = JSON.readTree(go(file, "dump"));
    assertThat(Files.readString(file)).contains("+05:30"); // Go wrote local times with an offset

    try (FileBackend b = FileBackend.at(file); State s = State.load(b, ALICE)) {
      Snapshot read = s.snapshot();
      assertThat(read.metadata().serial()).isZero();
      assertThat(read.metadata().lineage()).isEmpty();
      assertThat(read.metadata().version()).isEqualTo(dump.get("metadata").get("version").asString());
      assertTime(dump.get("metadata").get("created_at"), read.metadata().createdAt());
      assertTime(dump.get("metadata").get("updated_at"), read.metadata().updatedAt());
      assertThat(read.hosts().keySet()).containsExactlyInAnyOrder("go01", "go02");
      for (HostState h : read.allHosts()) {
        JsonNode g = dump.get("hosts").get(h.name());
        assertThat(h.address()).isEqualTo(g.get("address").asString());
        assertThat(h.port()).isEqualTo(g.get("port").asInt());
        assertThat(h.user()).isEqualTo(g.get("user").asString());
        assertThat(h.group()).isEqualTo(g.get("group").asString());
        assertTime(g.get("created_at"), h.createdAt());
        assertTime(g.get("updated_at"), h.updatedAt());
        assertValues(g.get("vars"), h.vars());
      }
      HostState go01 = read.getHost("go01").orElseThrow();
      assertThat(go01.vars()).containsEntry("http_port", 80).containsEntry("big", 5_000_000_000L).containsEntry("ratio", 0.5)
          .containsEntry("tls", true).containsEntry("names", List.of("a", "b")).containsEntry("nested", Map.of("k", "v"))
          .containsEntry("none", null);
      for (Map.Entry<String, ResourceState> e : read.resources().entrySet()) {
        JsonNode g = dump.get("resources").get(e.getKey());
        ResourceState r = e.getValue();
        assertThat(r.type()).isEqualTo(g.get("type").asString());
        assertThat(r.id()).isEqualTo(g.get("id").asString());
        assertThat(r.name()).isEqualTo(g.get("name").asString());
        assertValues(g.get("data"), r.data());
        assertThat(r.tags()).isEqualTo(g.get("tags").isNull() ? Map.of() : JSON.treeToValue(g.get("tags"), Map.class));
        assertTime(g.get("created_at"), r.createdAt());
        assertTime(g.get("updated_at"), r.updatedAt());
      }
      // A state Go created gets a lineage on its first infrastate write, and nothing it held changes.
      s.addHost(HostState.builder("web01").address("10.0.0.1").build());
      assertThat(s.metadata().serial()).isEqualTo(1);
      assertThat(s.metadata().lineage()).isNotEmpty();
      assertThat(StateDiff.between(read, s.snapshot()).hosts(StateDiff.Kind.ADDED)).containsExactly("web01");
      assertThat(StateDiff.between(read, s.snapshot()).entries()).hasSize(1);
    }
  }

  @Test
  void goAndInfrastateWritingInTurnKeepOneLineageAndAttributeEveryChange() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend b = FileBackend.at(file); State s = State.load(b, ALICE)) {
      s.addHost(HostState.builder("web01").address("10.0.0.1").var("http_port", 80).build()); // 1
      s.addHost(HostState.builder("web02").address("10.0.0.2").build()); // 2
      String lineage = s.metadata().lineage();

      go(file, "add-host", "go01", "10.1.1.1", "22", "root", "web"); // Go, behind this open handle's back
      s.addHost(HostState.builder("web03").address("10.0.0.3").build()); // 3: Go's edit, 4: this change
      go(file, "add-resource", "linode:7", "linode", "7", "go-vm", "{\"region\":\"us-east\"}");
      go(file, "remove-host", "web02"); // two Go writes in a row: one external edit
      s.removeHost("web01"); // 5: Go's edits, 6: this change
      try (FileBackend b2 = FileBackend.at(file); State fresh = State.load(b2, ALICE)) {
        assertThat(fresh.metadata().serial()).isEqualTo(6);
      }
      go(file, "add-host", "go02", "10.1.1.2", "22", "root", "web");
      try (FileBackend b2 = FileBackend.at(file); State other = State.load(b2, ALICE)) {
        other.addHost(HostState.builder("web04").address("10.0.0.4").build()); // 7: Go's edit, 8: from another handle
      }

      List<VersionInfo> history = s.history(100);
      assertThat(history).extracting(VersionInfo::serial).containsExactly(8L, 7L, 6L, 5L, 4L, 3L, 2L, 1L);
      assertThat(history).extracting(VersionInfo::operator).containsExactly(
          "alice@ops", ExternalEdit.OPERATOR, "alice@ops", ExternalEdit.OPERATOR, "alice@ops", ExternalEdit.OPERATOR,
          "alice@ops", "alice@ops");
      assertThat(history).extracting(VersionInfo::operation).containsExactly(
          "add host web04", ExternalEdit.OPERATION, "remove host web01", ExternalEdit.OPERATION, "add host web03",
          ExternalEdit.OPERATION, "add host web02", "add host web01");
      for (long serial = 1; serial <= 8; serial++) {
        assertThat(s.at(serial).orElseThrow().metadata().lineage()).as("lineage of %d", serial).isEqualTo(lineage);
      }
      // each external version holds exactly what Go changed
      StateDiff d23 = StateDiff.between(s.at(2).orElseThrow(), s.at(3).orElseThrow());
      assertThat(d23.hosts(StateDiff.Kind.ADDED)).containsExactly("go01");
      assertThat(d23.entries()).hasSize(1);
      StateDiff d45 = StateDiff.between(s.at(4).orElseThrow(), s.at(5).orElseThrow());
      assertThat(d45.resources(StateDiff.Kind.ADDED)).containsExactly("linode:7");
      assertThat(d45.hosts(StateDiff.Kind.REMOVED)).containsExactly("web02");
      assertThat(d45.entries()).hasSize(2);
      StateDiff d67 = StateDiff.between(s.at(6).orElseThrow(), s.at(7).orElseThrow());
      assertThat(d67.hosts(StateDiff.Kind.ADDED)).containsExactly("go02");
      assertThat(d67.entries()).hasSize(1);
      assertThat(history.get(5).reason()).contains("+ host go01").contains("no serial and lineage");
      assertThat(history.get(3).reason()).contains("+ resource linode:7").contains("- host web02");
      Snapshot last = s.refresh();
      assertThat(last.hosts().keySet()).containsExactlyInAnyOrder("web03", "go01", "go02", "web04");
      assertThat(last.resources().keySet()).containsExactly("linode:7");
      assertThat(last.getHost("web01")).isEmpty();
    }
  }
}
