package io.infrastate.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.Infrastate;
import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.model.VersionInfo;
import io.infrastate.model.WorkspaceException;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.spi.BackendRegistry;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of workspaces and of the locks beside them, as an abstract JUnit 5 suite: extend it
 * in a backend's tests and implement {@link #newHome()}. It checks: the default workspace is the
 * state the URI named before workspaces existed ({@link State#open(String)} and {@code
 * store.open()} are one state); workspaces are isolated from each other and from the default;
 * listing shows the default first and then the created workspaces by name, and not deleted ones;
 * deleting refuses a workspace with hosts unless forced, refuses the default and a missing one,
 * and writes its record into the default workspace's history; names are validated with the rule
 * named; a missing workspace is never created by opening or locking it; a lock in one workspace
 * does not block the same lock name in another, while it does block it in its own.
 *
 * <p>Not thread-safe: JUnit creates one instance per test method.
 */
public abstract class WorkspaceContract {
  /** The URI of the default workspace of a fresh home, for the current test. */
  protected String uri;

  /** The store {@link Infrastate#at(String, BackendRegistry)} resolved from {@link #uri}. */
  protected StateStore store;

  /** Creates the suite. */
  protected WorkspaceContract() {}

  /**
   * A URI naming a state in a home of its own, where no state exists yet.
   *
   * @return the URI of a fresh home's default workspace
   * @throws Exception if the storage cannot be prepared
   */
  protected abstract String newHome() throws Exception;

  /**
   * The registry the URI is resolved with; the default registry unless overridden.
   *
   * @return the registry
   */
  protected BackendRegistry registry() {
    return BackendRegistry.defaultRegistry();
  }

  /**
   * Opens a fresh home.
   *
   * @throws Exception if the storage cannot be prepared
   */
  @BeforeEach
  void openHome() throws Exception {
    uri = newHome();
    store = Infrastate.at(uri, registry());
  }

  /** Closes the store. */
  @AfterEach
  void closeHome() {
    if (store != null) {
      store.close();
    }
  }

  private static AuditEntry audit(String what) {
    return new AuditEntry("tester@ci", what, "contract test");
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").build();
  }

  @Test
  void theDefaultWorkspaceIsTheStateTheUriNamed() {
    try (State old = State.open(uri)) {
      old.addHost(host("web01"));
    }
    try (State viaStore = store.open(); State viaName = store.workspace("default").open()) {
      assertThat(viaStore.hasHost("web01")).isTrue();
      assertThat(viaName.hasHost("web01")).isTrue();
    }
    assertThat(store.workspace()).isEqualTo("default");
    assertThat(store.workspaces()).containsExactly("default");
  }

  @Test
  void workspacesAreIsolatedFromEachOtherAndFromTheDefault() {
    try (State def = store.open()) {
      def.addHost(host("default-host"));
    }
    StateStore staging = store.createWorkspace("staging", audit(""));
    store.createWorkspace("prod-eu", audit(""));
    try (State s = staging.open()) {
      s.addHost(host("staging-host"));
    }
    try (State def = State.open(uri); State prod = store.workspace("prod-eu").open();
        State s = store.workspace("staging").open()) {
      assertThat(def.snapshot().hosts().keySet()).containsExactly("default-host");
      assertThat(prod.snapshot().hosts()).isEmpty();
      assertThat(s.snapshot().hosts().keySet()).containsExactly("staging-host");
      assertThat(s.metadata().lineage()).isNotEqualTo(def.metadata().lineage());
    }
  }

  @Test
  void listingShowsTheDefaultFirstThenCreatedWorkspacesByName() {
    assertThat(store.workspaces()).containsExactly("default");
    store.createWorkspace("uat", audit(""));
    store.createWorkspace("prod", audit(""));
    store.createWorkspace("test_1", audit(""));
    assertThat(store.workspaces()).containsExactly("default", "prod", "test_1", "uat");
    store.deleteWorkspace("test_1", false, audit(""));
    assertThat(store.workspaces()).containsExactly("default", "prod", "uat");
    assertThat(store.workspace("uat").exists()).isTrue();
    assertThat(store.workspace("test_1").exists()).isFalse();
  }

  @Test
  void deleteRefusesAWorkspaceWithHostsUnlessForcedAndRecordsIt() {
    StateStore staging = store.createWorkspace("staging", audit(""));
    try (State s = staging.open()) {
      s.addHost(host("web01"));
    }
    assertThatThrownBy(() -> store.deleteWorkspace("staging", false, audit("")))
        .isInstanceOfSatisfying(WorkspaceException.class, e -> {
          assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.NOT_EMPTY);
          assertThat(e.getMessage()).contains("'staging'").contains("1 host(s)");
        });
    try (State s = staging.open()) {
      assertThat(s.hasHost("web01")).as("a refused delete keeps everything").isTrue();
    }
    store.deleteWorkspace("staging", true, new AuditEntry("alice@ops", "", "project closed"));
    assertThat(store.workspaces()).containsExactly("default");
    try (State def = store.open()) {
      List<VersionInfo> history = def.history();
      assertThat(history).isNotEmpty();
      VersionInfo record = history.get(0);
      assertThat(record.operation()).startsWith("delete workspace staging (serial 2,").contains("1 host(s)");
      assertThat(record.operator()).isEqualTo("alice@ops");
      assertThat(record.reason()).isEqualTo("project closed");
      assertThat(def.snapshot().hosts()).isEmpty();
    }
  }

  @Test
  void aDeletedWorkspaceIsGoneAndCanBeCreatedAgainEmpty() {
    StateStore qa = store.createWorkspace("qa", audit(""));
    try (State s = qa.open()) {
      s.addHost(host("web01"));
    }
    store.deleteWorkspace("qa", true, audit(""));
    assertThatThrownBy(qa::open).isInstanceOfSatisfying(WorkspaceException.class,
        e -> assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.NOT_FOUND));
    StateStore again = store.createWorkspace("qa", audit(""));
    try (State s = again.open()) {
      assertThat(s.snapshot().hosts()).isEmpty();
      assertThat(s.metadata().serial()).isEqualTo(1);
    }
  }

  @Test
  void theDefaultWorkspaceCannotBeCreatedOrDeleted() {
    assertThatThrownBy(() -> store.deleteWorkspace("default", true, audit("")))
        .isInstanceOfSatisfying(WorkspaceException.class,
            e -> assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.DEFAULT_WORKSPACE));
    assertThatThrownBy(() -> store.createWorkspace("default", audit("")))
        .isInstanceOfSatisfying(WorkspaceException.class,
            e -> assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.DEFAULT_WORKSPACE));
  }

  @Test
  void deletingOrOpeningAMissingWorkspaceIsRefusedAndCreatesNothing() {
    assertThatThrownBy(() -> store.deleteWorkspace("nope", true, audit("")))
        .isInstanceOfSatisfying(WorkspaceException.class,
            e -> assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.NOT_FOUND));
    assertThatThrownBy(() -> store.workspace("nope").open())
        .isInstanceOfSatisfying(WorkspaceException.class, e -> {
          assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.NOT_FOUND);
          assertThat(e.getMessage()).contains("'nope'").contains("workspace new nope");
        });
    assertThatThrownBy(() -> store.workspace("nope").locks())
        .isInstanceOfSatisfying(WorkspaceException.class,
            e -> assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.NOT_FOUND));
    assertThat(store.workspaces()).containsExactly("default");
  }

  @Test
  void creatingAnExistingWorkspaceIsRefused() {
    StateStore uat = store.createWorkspace("uat", audit(""));
    try (State s = uat.open()) {
      s.addHost(host("web01"));
    }
    assertThatThrownBy(() -> store.createWorkspace("uat", audit("")))
        .isInstanceOfSatisfying(WorkspaceException.class,
            e -> assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.EXISTS));
    try (State s = uat.open()) {
      assertThat(s.hasHost("web01")).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Staging", "../prod", "a/b", ".hidden", "-x", "a b", "prod.eu",
      "x123456789x123456789x123456789x123456789x123456789x123456789xxxx"})
  void invalidNamesAreRefusedNamingTheRule(String name) {
    assertThatThrownBy(() -> store.workspace(name))
        .isInstanceOfSatisfying(WorkspaceException.class, e -> {
          assertThat(e.problem()).isEqualTo(WorkspaceException.Problem.INVALID_NAME);
          assertThat(e.getMessage()).contains(StateStore.WORKSPACE_NAME_RULE);
        });
    assertThatThrownBy(() -> store.createWorkspace(name, audit(""))).isInstanceOf(WorkspaceException.class);
    assertThat(store.workspaces()).containsExactly("default");
  }

  @Test
  void aLockInOneWorkspaceDoesNotBlockAnother() {
    StateStore staging = store.createWorkspace("staging", audit(""));
    try (LockProvider defaultLocks = store.locks();
        LockProvider defaultLocks2 = store.locks();
        LockProvider stagingLocks = staging.locks()) {
      Lock held = defaultLocks.acquire("deploy", LockRequest.of("deploy api"), java.time.Duration.ZERO);
      try {
        Optional<Lock> other = stagingLocks.tryAcquire("deploy", LockRequest.of("deploy api"));
        assertThat(other).as("the same lock name in another workspace is free").isPresent();
        other.get().close();
        assertThat(defaultLocks2.tryAcquire("deploy", LockRequest.of("deploy api")))
            .as("the same lock name in the same workspace is held").isEmpty();
        assertThat(stagingLocks.inspect("deploy")).isEmpty();
      } finally {
        held.close();
      }
    }
  }
}
