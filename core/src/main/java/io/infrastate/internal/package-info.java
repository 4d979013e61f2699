/**
 * Internal: helpers shared by core's packages and infrastate's own modules (immutable JSON values,
 * the persistent map behind snapshots, structural rules, the process environment, chunked bytes).
 * Not API: the module exports this package only to {@code io.infrastate.file}, {@code
 * io.infrastate.s3} and {@code io.infrastate.inventory}, and it may change in any release.
 */
package io.infrastate.internal;
