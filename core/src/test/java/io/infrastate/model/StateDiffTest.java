package io.infrastate.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.model.StateDiff.FieldChange;
import io.infrastate.model.StateDiff.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class StateDiffTest {
  static final Metadata META = new Metadata(Metadata.FORMAT_VERSION, 1, "lin", Instant.EPOCH, Instant.EPOCH);
  static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant T2 = Instant.parse("2026-02-01T00:00:00Z");

  static Snapshot snap(List<HostState> hosts, Map<String, ResourceState> resources) {
    TreeMap<String, HostState> h = new TreeMap<>();
    hosts.forEach(x -> h.put(x.name(), x));
    return Snapshot.of(META, h, resources);
  }

  static HostState web01() {
    return HostState.builder("web01").address("10.0.0.5").port(22).user("deploy").group("webservers")
        .var("http_port", 80).var("nginx", Map.of("workers", 4, "gzip", true)).build().withTimestamps(T1, T1);
  }

  static ResourceState vm(String id) {
    return ResourceState.builder("linode", id).name("vm" + id).data("region", "us-east").tag("env", "prod").build().withTimestamps(T1, T1);
  }

  @Test
  void identicalContentHasNoDifferenceWhateverTheMetadataAndTimestamps() {
    Snapshot a = snap(List.of(web01()), Map.of("linode:1", vm("1")));
    Snapshot b = Snapshot.of(META.withSerial(9, T2), Map.of("web01", web01().withTimestamps(T2, T2)), Map.of("linode:1", vm("1").withTimestamps(T2, T2)));
    StateDiff d = StateDiff.between(a, b);
    assertThat(d.isEmpty()).isTrue();
    assertThat(d.toString()).isEqualTo("no differences");
    assertThat(StateDiff.betweenIncludingTimestamps(a, b).host("web01").orElseThrow().fields())
        .containsExactly(
            new FieldChange("created_at", Kind.CHANGED, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
            new FieldChange("updated_at", Kind.CHANGED, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"));
  }

  @Test
  void reportsAddedRemovedAndChangedFieldByFieldInStableOrder() {
    HostState changed = web01().toBuilder().port(2222).var("http_port", 8080).var("tls", true)
        .var("nginx", Map.of("workers", 8, "gzip", true)).group("").build();
    HostState web03 = HostState.builder("web03").address("10.0.0.7").port(22).user("deploy").build();
    Snapshot recorded = snap(List.of(web01(), HostState.builder("web02").address("10.0.0.6").build()),
        Map.of("linode:1", vm("1"), "linode:2", vm("2")));
    Snapshot observed = snap(List.of(changed, web03),
        Map.of("linode:2", vm("2").withTag("env", "staging").withData("region", "eu-west"), "dns:a", ResourceState.builder("dns", "a").build()));

    StateDiff d = StateDiff.between(recorded, observed);

    assertThat(d.hosts(Kind.ADDED)).containsExactly("web03");
    assertThat(d.hosts(Kind.REMOVED)).containsExactly("web02");
    assertThat(d.hosts(Kind.CHANGED)).containsExactly("web01");
    assertThat(d.resources(Kind.ADDED)).containsExactly("dns:a");
    assertThat(d.resources(Kind.REMOVED)).containsExactly("linode:1");
    assertThat(d.resources(Kind.CHANGED)).containsExactly("linode:2");
    assertThat(d.host("web01").orElseThrow().fields()).containsExactly(
        new FieldChange("port", Kind.CHANGED, 22, 2222),
        new FieldChange("group", Kind.REMOVED, "webservers", null),
        new FieldChange("vars.http_port", Kind.CHANGED, 80, 8080),
        new FieldChange("vars.nginx.workers", Kind.CHANGED, 4, 8),
        new FieldChange("vars.tls", Kind.ADDED, null, true));
    assertThat(d.host("web01").orElseThrow().field("vars.tls")).isPresent();
    assertThat(d.host("web01").orElseThrow().field("address")).isEmpty();
    assertThat(d.host("nope")).isEmpty();

    assertThat(d.toString()).isEqualTo(String.join("\n",
        "6 differences: 1 host added, 1 host removed, 1 host changed, 1 resource added, 1 resource removed, 1 resource changed",
        "~ host web01",
        "    ~ port: 22 -> 2222",
        "    - group: \"webservers\"",
        "    ~ vars.http_port: 80 -> 8080",
        "    ~ vars.nginx.workers: 4 -> 8",
        "    + vars.tls: true",
        "- host web02",
        "    - address: \"10.0.0.6\"",
        "    - port: 0",
        "    - user: \"\"",
        "+ host web03",
        "    + address: \"10.0.0.7\"",
        "    + port: 22",
        "    + user: \"deploy\"",
        "+ resource dns:a",
        "    + type: \"dns\"",
        "    + id: \"a\"",
        "    + name: \"\"",
        "- resource linode:1",
        "    - type: \"linode\"",
        "    - id: \"1\"",
        "    - name: \"vm1\"",
        "    - data.region: \"us-east\"",
        "    - tags.env: \"prod\"",
        "~ resource linode:2",
        "    ~ data.region: \"us-east\" -> \"eu-west\"",
        "    ~ tags.env: \"prod\" -> \"staging\""));
    assertThat(StateDiff.between(recorded, observed)).isEqualTo(d).hasSameHashCodeAs(d);
  }

  @Test
  void numbersCompareByValueAndOddKeysAreQuoted() {
    HostState a = HostState.builder("h").var("ratio", 2).var("a.b", "x").var("list", List.of(1, 2)).build();
    HostState b = HostState.builder("h").var("ratio", 2.0).var("a.b", "y").var("list", List.of(1, 2, 3)).build();
    StateDiff d = StateDiff.between(snap(List.of(a), Map.of()), snap(List.of(b), Map.of()));
    assertThat(d.host("h").orElseThrow().fields()).extracting(FieldChange::field).containsExactly("vars['a.b']", "vars.list");
    assertThat(d.toString()).contains("~ vars.list: [1, 2] -> [1, 2, 3]");
  }

  @Test
  void reviewsHistoryVersionByVersion() {
    try (State state = State.load(io.infrastate.memory.InMemoryBackend.create())) {
      state.addHost(HostState.builder("web01").address("10.0.0.5").build());
      Snapshot v1 = state.snapshot();
      state.update(tx -> {
        tx.addHost(HostState.builder("web01").address("10.0.0.9").build());
        tx.addResource("linode:1", vm("1"));
      });
      StateDiff d = StateDiff.between(v1, state.snapshot());
      assertThat(d.summary()).isEqualTo("2 differences: 1 host changed, 1 resource added");
      assertThat(d.host("web01").orElseThrow().fields()).containsExactly(new FieldChange("address", Kind.CHANGED, "10.0.0.5", "10.0.0.9"));
    }
  }

  @Provide
  Arbitrary<Snapshot> snapshots() {
    Arbitrary<HostState> hosts = Arbitraries.of("a", "b", "c", "d").flatMap(n ->
        Arbitraries.integers().between(1, 3).flatMap(port ->
            Arbitraries.of("x", "y").map(v -> HostState.builder(n).address("10.0.0." + port).port(port).var("v", v).build())));
    Arbitrary<ResourceState> res = Arbitraries.of("1", "2", "3").flatMap(id ->
        Arbitraries.of("p", "q").map(t -> ResourceState.builder("vm", id).tag("env", t).build()));
    return hosts.list().ofMaxSize(4).flatMap(hs -> res.list().ofMaxSize(3).map(rs -> {
      TreeMap<String, ResourceState> m = new TreeMap<>();
      rs.forEach(r -> m.put(r.key(), r));
      return snap(hs.stream().collect(java.util.stream.Collectors.toMap(HostState::name, h -> h, (x, y) -> y)).values().stream().toList(), m);
    }));
  }

  @Property(tries = 300)
  void diffIsEmptyExactlyWhenContentIsEqualAndReversesCleanly(@ForAll("snapshots") Snapshot a, @ForAll("snapshots") Snapshot b) {
    StateDiff d = StateDiff.between(a, b);
    assertThat(d.isEmpty()).isEqualTo(a.hosts().equals(b.hosts()) && a.resources().equals(b.resources()));
    StateDiff back = StateDiff.between(b, a);
    assertThat(back.hosts(Kind.ADDED)).isEqualTo(d.hosts(Kind.REMOVED));
    assertThat(back.resources(Kind.REMOVED)).isEqualTo(d.resources(Kind.ADDED));
    assertThat(back.hosts(Kind.CHANGED)).isEqualTo(d.hosts(Kind.CHANGED));
    assertThat(d.hosts()).extracting(StateDiff.Entry::key).isSorted();
  }
}
