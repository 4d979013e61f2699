/**
 * API: the values a state holds and the exceptions every operation throws. {@link
 * io.infrastate.model.Snapshot} is one version of a state, made of {@link
 * io.infrastate.model.HostState}s and {@link io.infrastate.model.ResourceState}s with their {@link
 * io.infrastate.model.Metadata}; {@link io.infrastate.model.Secret} is a var or data value stored
 * encrypted; every failure is an {@link io.infrastate.model.StateException}. All values are
 * immutable.
 *
 * <p>This is core's bottom layer: it depends on no other infrastate package. {@code Json},
 * {@code JsonPaths} and {@code PersistentMap} are the machinery the values are built from, public
 * because the codecs and backends build values with them; applications have no use for them.
 */
package io.infrastate.model;
