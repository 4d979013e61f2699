package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.memory.InMemoryBackend;
import io.infrastate.model.HostState;
import io.infrastate.model.Queries;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import org.junit.jupiter.api.Test;

/** The query, diff and allocation shortcuts on State and Snapshot agree with their engines. */
class StateQueriesTest {
  @Test
  void shortcutsDelegateToQueriesDiffAndAllocator() {
    State state = State.load(InMemoryBackend.create());
    state.update(tx -> {
      tx.addHost(HostState.builder("web01").group("web").build());
      tx.addHost(HostState.builder("web02").group("web").build());
      tx.addHost(HostState.builder("db01").group("db").build());
      tx.addResource("svc:a", ResourceState.builder("service", "a").tag("env", "prod").data("port", 8001).build());
      tx.addResource("svc:b", ResourceState.builder("service", "b").tag("env", "uat").build());
      tx.addResource("vm:1", ResourceState.builder("droplet", "1").tag("env", "prod").build());
    });
    Snapshot before = state.snapshot();
    assertThat(state.getHostsByGroup("web")).extracting(HostState::name).containsExactly("web01", "web02");
    assertThat(state.getResourcesByTag("env", "prod")).extracting(ResourceState::id).containsExactly("a", "1");
    assertThat(state.getResourcesByType("service")).hasSize(2);
    assertThat(state.summary()).isEqualTo(Queries.of(before).summary());
    int port = state.allocatePort("svc:b", "port", 8000, 1000);
    assertThat(port).isEqualTo(Allocator.port(before, "svc:b", "port", 8000, 1000)).isBetween(8000, 8999).isNotEqualTo(8001);
    assertThat(state.allocatePort("svc:a", "port", 8000, 1000)).isEqualTo(8001);
    state.removeHost("db01");
    assertThat(before.diff(state.snapshot()).toString()).contains("- host db01");
    assertThat(state.diff(before).toString()).contains("+ host db01");
    assertThat(state.diff(state.snapshot()).isEmpty()).isTrue();
  }
}
