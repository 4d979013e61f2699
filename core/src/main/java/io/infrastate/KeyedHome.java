package io.infrastate;

import io.infrastate.crypto.Keyring;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StateHome;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * A home whose URI named a key provider ({@code ?key=…}): every workspace's backend it opens is
 * protected by that keyring; everything else is the home's own.
 */
final class KeyedHome implements StateHome {
  private final StateHome home;
  private final Keyring keys;

  KeyedHome(StateHome home, Keyring keys) {
    this.home = Objects.requireNonNull(home, "home");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  @Override
  public URI uri(String workspace) {
    return home.uri(workspace);
  }

  @Override
  public String location(String workspace) {
    return home.location(workspace);
  }

  @Override
  public Backend open(String workspace) {
    return keys.protect(home.open(workspace));
  }

  @Override
  public LockProvider locks(String workspace, LockOptions options) {
    return home.locks(workspace, options);
  }

  @Override
  public List<String> workspaces() {
    return home.workspaces();
  }

  @Override
  public void remove(String workspace) {
    home.remove(workspace);
  }

  @Override
  public void close() {
    home.close();
  }
}
