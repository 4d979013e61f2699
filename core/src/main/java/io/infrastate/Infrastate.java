package io.infrastate;

import io.infrastate.crypto.KeyParameter;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.BackendRegistry;
import java.util.Objects;

/**
 * The entry point from a state URI: {@link #at(String)} resolves it, through the backends that
 * {@link java.util.ServiceLoader} finds, into a {@link StateStore} that gives the state, the lock
 * provider that lives beside it, and the other workspaces of the same home.
 *
 * <pre>{@code
 * try (StateStore store = Infrastate.at("file:///srv/infra/state.json");
 *     State state = store.open();
 *     LockProvider locks = store.locks()) {
 *   try (Lock lock = locks.acquire("deploy", LockRequest.of("deploy api"), Duration.ofMinutes(1))) {
 *     state.update(lock, AuditEntry.of("deploy api"), tx -> tx.addHost(HostState.builder("api01").build()));
 *   }
 * }
 * }</pre>
 *
 * <p>The URI grammar is the one of {@link State#open(String)}: a bare path is a file, and a {@code
 * key} parameter ({@link KeyParameter}) names the key provider that opens an encrypted state.
 */
public final class Infrastate {
  private Infrastate() {}

  /**
   * Resolves a state URI with the backends found on the class path ({@link
   * BackendRegistry#defaultRegistry()}). Contacts no storage until the store is used.
   *
   * @param uri a state URI or a file path, such as {@code state.json} or {@code s3://bucket/state.json}
   * @return the store of the URI's default workspace; the caller closes it
   * @throws UnknownBackendException if no backend handles the scheme, or a parameter is unknown or
   *     invalid for it
   */
  public static StateStore at(String uri) {
    return at(uri, BackendRegistry.defaultRegistry());
  }

  /**
   * Resolves a state URI with the given registry (explicit registration, no discovery).
   *
   * @param uri a state URI or a file path
   * @param registry the backends to choose from
   * @return the store of the URI's default workspace; the caller closes it
   * @throws UnknownBackendException if no backend handles the scheme, or a parameter is unknown or
   *     invalid for it
   * @throws io.infrastate.model.MissingKeyException if the URI's {@code key} parameter names a
   *     passphrase that is not set
   */
  public static StateStore at(String uri, BackendRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    KeyParameter.Split keyed = KeyParameter.split(Objects.requireNonNull(uri, "uri"), System::getenv);
    if (keyed == null) {
      return StateStore.root(registry.home(uri));
    }
    return StateStore.root(new KeyedHome(registry.home(keyed.uri().toString()), keyed.keyring()));
  }
}
