package io.infrastate.spi;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;

/**
 * One change of a write, as handed to {@link Backend#save(SaveRequest)} next to the complete new
 * snapshot, so that a backend may persist only the change (an append-only journal, a log object)
 * instead of the whole state. Applying a save's changes in order to its base snapshot gives the new
 * snapshot's hosts and resources.
 */
public sealed interface Change {
  /**
   * A host was added or replaced.
   *
   * @param host the host as stored, with timestamps
   */
  record PutHost(HostState host) implements Change {}

  /**
   * A host was removed.
   *
   * @param name the host name
   */
  record RemoveHost(String name) implements Change {}

  /**
   * A resource was added or replaced.
   *
   * @param key the resource key
   * @param resource the resource as stored, with timestamps
   */
  record PutResource(String key, ResourceState resource) implements Change {}

  /**
   * A resource was removed.
   *
   * @param key the resource key
   */
  record RemoveResource(String key) implements Change {}

  /**
   * The whole content was replaced (a rollback, a push of a state file): the new snapshot is the
   * change.
   *
   * @param content the new content
   */
  record ReplaceAll(Snapshot content) implements Change {}
}
