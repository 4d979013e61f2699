package io.infrastate;

import io.infrastate.model.WorkspaceException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.memory.InMemoryBackend;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendProvider;
import io.infrastate.spi.BackendRegistry;
import java.net.URI;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link Infrastate#at} with a provider written before workspaces existed: its URIs keep working,
 * with only the default workspace and no locks, and every refusal is a typed exception.
 */
class StateStoreTest {
  /** A provider that implements only what BackendProvider had before home(URI). */
  static final class OldProvider implements BackendProvider {
    final InMemoryBackend backend = InMemoryBackend.create();

    @Override
    public Set<String> schemes() {
      return Set.of("mem");
    }

    @Override
    public Backend open(URI uri) {
      return new Backend() {
        @Override
        public String location() {
          return backend.location();
        }

        @Override
        public java.util.Optional<io.infrastate.spi.StoredState> load() {
          return backend.load();
        }

        @Override
        public io.infrastate.spi.SaveResult save(io.infrastate.spi.SaveRequest request) {
          return backend.save(request);
        }
      };
    }
  }

  @Test
  void anOldProvidersStateOpensAsTheDefaultWorkspace() {
    OldProvider provider = new OldProvider();
    try (StateStore store = Infrastate.at("mem://x/state", BackendRegistry.of(provider))) {
      try (State s = store.open()) {
        s.addHost(HostState.builder("web01").build());
      }
      try (State s = store.workspace("default").open()) {
        assertThat(s.hasHost("web01")).isTrue();
      }
      assertThat(store.workspaces()).containsExactly("default");
      assertThat(store.exists()).isTrue();
      assertThat(store.location()).isEqualTo("mem://x/state");
    }
  }

  @Test
  void anOldProviderHasNoOtherWorkspacesAndNoLocks() {
    try (StateStore store = Infrastate.at("mem://x/state", BackendRegistry.of(new OldProvider()))) {
      assertThatThrownBy(() -> store.workspace("staging")).isInstanceOfSatisfying(WorkspaceException.class, e -> {
        assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.UNSUPPORTED);
        assertThat(e.getMessage()).contains("keeps one state per URI");
      });
      assertThatThrownBy(() -> store.createWorkspace("staging", AuditEntry.of("")))
          .isInstanceOf(WorkspaceException.class);
      assertThatThrownBy(store::locks).isInstanceOf(UnknownBackendException.class)
          .hasMessageContaining("keeps no locks beside its state");
    }
  }

  @Test
  void anUnknownSchemeIsRefusedWhenTheUriIsResolved() {
    assertThatThrownBy(() -> Infrastate.at("nosuch://x/y", BackendRegistry.of(new OldProvider())))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("No backend for URI scheme 'nosuch'")
        .hasMessageContaining("[mem]");
    assertThatThrownBy(() -> Infrastate.at(" ", BackendRegistry.of(new OldProvider())))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("State URI is empty");
  }

  @Test
  void workspaceNamesFollowOneRule() {
    assertThat(StateStore.isValidName("prod-eu_2")).isTrue();
    assertThat(StateStore.isValidName("0day")).isTrue();
    for (String bad : new String[] {null, "", "Prod", "_x", "a.b", "a/b", "é", "x".repeat(64)}) {
      assertThat(StateStore.isValidName(bad)).as(String.valueOf(bad)).isFalse();
      assertThatThrownBy(() -> StateStore.validateName(bad)).isInstanceOfSatisfying(WorkspaceException.class,
          e -> assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.INVALID_NAME));
    }
    assertThat(StateStore.validateName("x".repeat(63))).hasSize(63);
  }
}
