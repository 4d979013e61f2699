/**
 * API: infrastate's entry point. {@link io.infrastate.State} opens a state (by URI through the
 * backends on the module or class path, or over a given {@link io.infrastate.spi.Backend}), reads
 * it and writes it atomically; the values it holds ({@link io.infrastate.HostState}, {@link
 * io.infrastate.ResourceState}, {@link io.infrastate.Snapshot}, {@link io.infrastate.Metadata}) are
 * immutable, and every failure is a {@link io.infrastate.StateException}.
 *
 * <h2>Package cycles</h2>
 *
 * This package and three of its neighbours still depend on each other:
 *
 * <ul>
 *   <li>with {@code io.infrastate.spi}: {@code State} (and {@code RetriedWrite}) drive the backend
 *       SPI from here, while the SPI's types carry this package's values and exceptions;
 *   <li>with {@code io.infrastate.codec}: {@code StateDiff} formats timestamps with {@code
 *       StateCodec}, which encodes this package's values;
 *   <li>with {@code io.infrastate.internal}: the value types build on {@code Json} and {@code
 *       PersistentMap}, while {@code StructuralRules} checks those value types;
 *   <li>with {@code io.infrastate.lock}: fenced writes ({@code Fencing}) take a {@code Lock},
 *       while the lock exceptions extend {@code StateException}.
 * </ul>
 *
 * Breaking them means moving the write loop out of this package and the value checks next to the
 * values; all four packages ship in the same module, so the cycles do not cross a module boundary.
 */
package io.infrastate;
