/**
 * API: a backend that keeps a state in memory ({@link io.infrastate.memory.InMemoryBackend}), for
 * fast tests of code that uses {@link io.infrastate.State}; it stores the same bytes a durable
 * backend would, so damage and conflicts behave as they do on disk.
 */
package io.infrastate.memory;
