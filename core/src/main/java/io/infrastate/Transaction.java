package io.infrastate;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The view a function passed to {@link State#update(AuditEntry, java.util.function.Consumer)} works
 * on: the same getters and mutators as {@link State}, applied to a private copy of the latest
 * version. Nothing is visible to others, in memory or in storage, until the function returns and
 * the whole transaction is persisted as one version.
 *
 * <p>The function may run more than once: when another writer changed the state in between, the
 * change is re-applied to the fresh version. It must therefore not have side effects outside the
 * transaction that cannot be repeated, and it must not call the {@link State} itself.
 *
 * <p>Not thread-safe: use it only in the thread that runs the function, and not after it returns.
 */
public interface Transaction {
  /**
   * Adds or updates a host: a new host gets {@code createdAt = updatedAt = now}; an existing one
   * keeps its {@code createdAt}.
   *
   * @param host the host
   * @return the host as it will be stored, with timestamps
   */
  HostState addHost(HostState host);

  /**
   * A host by name, as changed by this transaction so far.
   *
   * @param name the host name
   * @return the host, or empty
   */
  Optional<HostState> getHost(String name);

  /**
   * Whether a host exists.
   *
   * @param name the host name
   * @return {@code true} if present
   */
  boolean hasHost(String name);

  /**
   * Removes a host.
   *
   * @param name the host name
   * @return {@code true} if it existed
   */
  boolean removeHost(String name);

  /**
   * All hosts in name order.
   *
   * @return an unmodifiable list
   */
  List<HostState> allHosts();

  /**
   * Adds or updates a resource under a key; an existing one keeps its {@code createdAt}.
   *
   * @param key the key, conventionally {@code type:id}
   * @param resource the resource
   * @return the resource as it will be stored, with timestamps
   */
  ResourceState addResource(String key, ResourceState resource);

  /**
   * A resource by key.
   *
   * @param key the key
   * @return the resource, or empty
   */
  Optional<ResourceState> getResource(String key);

  /**
   * Whether a resource exists.
   *
   * @param key the key
   * @return {@code true} if present
   */
  boolean hasResource(String key);

  /**
   * Removes a resource.
   *
   * @param key the key
   * @return {@code true} if it existed
   */
  boolean removeResource(String key);

  /**
   * The resources of one type, in key order.
   *
   * @param type the resource type
   * @return an unmodifiable list
   */
  List<ResourceState> getResourcesByType(String type);

  /**
   * All resources by key, in key order, as changed so far.
   *
   * @return an unmodifiable map
   */
  Map<String, ResourceState> allResources();

  /**
   * The metadata of the version this transaction started from.
   *
   * @return the base metadata
   */
  Metadata metadata();
}
