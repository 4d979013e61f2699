/**
 * API for the tests of backend and lock provider implementations: the contract suites every
 * implementation extends ({@link io.infrastate.testkit.BackendContract}, {@link
 * io.infrastate.testkit.LockProviderContract}) and the helpers they use (child JVMs, a mutable
 * clock, damaged states). Test scope only; not for production code.
 */
package io.infrastate.testkit;
