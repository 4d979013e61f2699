/**
 * API: the file backend and file lock provider, for {@code file:} URIs and bare paths: a state in
 * a local {@code state.json} (optionally with a journal of changes beside it) written with
 * atomic, fsynced replaces and compare-and-swap under a file lock, and locks as files beside the
 * state. Classes that are not public are the backend's internal parts.
 */
package io.infrastate.file;
