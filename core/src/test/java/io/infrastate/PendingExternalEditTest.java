package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.memory.InMemoryBackend;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateDiff;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.ExternalEditBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link State#pendingExternalEdit()}: asks the backend, not the handle's snapshot; reads only; a
 * backend that cannot tell edits apart has none; damage is reported, not hidden.
 */
class PendingExternalEditTest {

  /** The in-memory backend with an external edit (or damage) injected, as a real backend reports it. */
  static final class Edited extends OverInMemoryBackend implements ExternalEditBackend {
    volatile ExternalEdit edit;
    volatile RuntimeException damage;
    volatile int saves;

    @Override
    public SaveResult save(SaveRequest request) {
      saves++;
      return storage.save(request);
    }

    @Override
    public ExternalEditPolicy externalEditPolicy() {
      return ExternalEditPolicy.RECORD;
    }

    @Override
    public Optional<ExternalEdit> externalEdit() {
      RuntimeException d = damage;
      if (d != null) {
        throw d;
      }
      return Optional.ofNullable(edit);
    }

    @Override
    public Optional<VersionInfo> acceptExternalEdit(AuditEntry audit) {
      throw new UnsupportedOperationException("not used here");
    }
  }

  static HostState host(String name, String address) {
    return HostState.builder(name).address(address).build();
  }

  @Test
  void aBackendThatCannotTellEditsApartHasNone() {
    State state = State.load(InMemoryBackend.create());
    state.addHost(host("web01", "10.0.0.1"));
    assertThat(state.pendingExternalEdit()).isEmpty();
  }

  @Test
  void thePendingEditIsTheBackendsAndAskingWritesNothing() {
    Edited backend = new Edited();
    State state = State.load(backend);
    state.addHost(host("web01", "10.0.0.1"));
    assertThat(state.pendingExternalEdit()).isEmpty();

    Snapshot before = state.snapshot();
    java.util.Map<String, HostState> hosts = new java.util.TreeMap<>(before.hosts());
    hosts.put("web01", host("web01", "10.9.9.9"));
    Snapshot after = Snapshot.of(before.metadata(), hosts, before.resources());
    backend.edit = new ExternalEdit(backend.location(), 1, before.metadata().lineage(), StateDiff.between(before, after),
        List.of(), List.of());
    int saves = backend.saves;

    Optional<ExternalEdit> pending = state.pendingExternalEdit();
    assertThat(pending).containsSame(backend.edit);
    assertThat(pending.get().serial()).isEqualTo(2);
    assertThat(pending.get().diff().orElseThrow().entries()).hasSize(1);
    assertThat(pending.get().description()).contains("~ host web01: address").doesNotContain("10.9.9.9");
    // a read: nothing written, the handle's snapshot untouched
    assertThat(backend.saves).isEqualTo(saves);
    assertThat(state.snapshot()).isEqualTo(before);

    backend.edit = null;
    assertThat(state.pendingExternalEdit()).isEmpty();
  }

  @Test
  void damageIsReportedNotHidden() {
    Edited backend = new Edited();
    State state = State.load(backend);
    backend.damage = new CorruptStateException(backend.location(), "$", "damaged for the test", null);
    assertThatThrownBy(state::pendingExternalEdit).isInstanceOf(CorruptStateException.class).hasMessageContaining("damaged");
  }
}
