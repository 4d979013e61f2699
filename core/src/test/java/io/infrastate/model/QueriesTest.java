package io.infrastate.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class QueriesTest {
  static Snapshot fleet() {
    Metadata m = new Metadata(Metadata.FORMAT_VERSION, 3, "lin", Instant.EPOCH, Instant.EPOCH);
    TreeMap<String, HostState> hosts = new TreeMap<>();
    hosts.put("web01", HostState.builder("web01").group("webservers").build());
    hosts.put("web02", HostState.builder("web02").group("webservers").build());
    hosts.put("db01", HostState.builder("db01").group("databases").build());
    hosts.put("bastion", HostState.builder("bastion").build());
    TreeMap<String, ResourceState> res = new TreeMap<>();
    res.put("linode:1", ResourceState.builder("linode", "1").tag("env", "prod").tag("team", "web").build());
    res.put("linode:2", ResourceState.builder("linode", "2").tag("env", "staging").build());
    res.put("linode:3", ResourceState.builder("linode", "3").tag("env", "prod").build());
    res.put("dns_record:a", ResourceState.builder("dns_record", "a").tag("team", "net").build());
    return Snapshot.of(m, hosts, res);
  }

  @Test
  void answersByTypeTagAndGroupInKeyOrder() {
    Queries q = Queries.of(fleet());
    assertThat(q.resourcesByType("linode")).extracting(ResourceState::key).containsExactly("linode:1", "linode:2", "linode:3");
    assertThat(q.resourcesByType("none")).isEmpty();
    assertThat(q.resourcesByTag("env", "prod")).extracting(ResourceState::key).containsExactly("linode:1", "linode:3");
    assertThat(q.resourcesByTag("env", "dev")).isEmpty();
    assertThat(q.resourcesByTag("owner", "x")).isEmpty();
    assertThat(q.resourcesWithTag("team")).extracting(ResourceState::key).containsExactly("dns_record:a", "linode:1");
    assertThat(q.resourcesWithTag("env")).extracting(ResourceState::key).containsExactly("linode:1", "linode:2", "linode:3");
    assertThat(q.tagValues("env")).containsExactly(Map.entry("prod", 2), Map.entry("staging", 1));
    assertThat(q.hostsInGroup("webservers")).extracting(HostState::name).containsExactly("web01", "web02");
    assertThat(q.hostsInGroup("")).extracting(HostState::name).containsExactly("bastion");
    assertThat(q.groups()).containsExactly("", "databases", "webservers");
  }

  @Test
  void summaryCountsByTypeAndGroup() {
    Queries.Summary s = Queries.Summary.of(fleet());
    assertThat(s.hosts()).isEqualTo(4);
    assertThat(s.resources()).isEqualTo(4);
    assertThat(s.resourcesByType()).containsExactly(Map.entry("dns_record", 1), Map.entry("linode", 3));
    assertThat(s.hostsByGroup()).containsExactly(Map.entry("", 1), Map.entry("databases", 1), Map.entry("webservers", 2));
    assertThat(s.toString()).isEqualTo("4 hosts, 4 resources\n"
        + "resources by type: dns_record 1, linode 3\n"
        + "hosts by group: (none) 1, databases 1, webservers 2");
    assertThat(Queries.Summary.of(Snapshot.empty(fleet().metadata())).toString()).isEqualTo("0 hosts, 0 resources");
  }

  @Test
  void theIndexIsBuiltOncePerSnapshotAndAnswersArePrecomputed() {
    Snapshot s = fleet();
    Queries q = Queries.of(s);
    assertThat(Queries.of(s)).isSameAs(q);
    assertThat(q.resourcesByTag("env", "prod")).isSameAs(q.resourcesByTag("env", "prod"));
    assertThat(q.hostsInGroup("webservers")).isSameAs(q.hostsInGroup("webservers"));
    Snapshot equalButDistinct = fleet();
    assertThat(equalButDistinct).isEqualTo(s);
    assertThat(Queries.of(equalButDistinct)).isNotSameAs(q); // identity-keyed: never hashes a snapshot
  }
}
