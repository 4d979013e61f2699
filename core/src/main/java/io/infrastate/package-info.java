/**
 * API: infrastate's entry point. {@link io.infrastate.State} opens a state (by URI through the
 * backends on the module or class path, or over a given {@link io.infrastate.spi.Backend}), reads
 * it and writes it atomically; the values it holds ({@link io.infrastate.model.HostState}, {@link
 * io.infrastate.model.ResourceState}, {@link io.infrastate.model.Snapshot}, {@link io.infrastate.model.Metadata}) are
 * immutable, and every failure is a {@link io.infrastate.model.StateException}.
 *
 * <h2>Layers</h2>
 *
 * Core's packages depend on each other in one direction only, from the bottom up (a test runs
 * jdeps on the compiled classes and fails on a cycle):
 *
 * <ol>
 *   <li>{@code io.infrastate.model}: values and exceptions; depends on no other infrastate package;
 *   <li>{@code io.infrastate.internal}: helpers over the model (structural rules, environment);
 *   <li>{@code io.infrastate.codec}: state.json;
 *   <li>{@code io.infrastate.lock}: locks and their providers;
 *   <li>{@code io.infrastate.spi}: what backends implement;
 *   <li>{@code io.infrastate.crypto} and {@code io.infrastate.memory}: encryption at rest, and the
 *       in-memory backend and lock provider;
 *   <li>{@code io.infrastate}: this package, the entry point and the write engine.
 * </ol>
  */
package io.infrastate;
