/**
 * Examples, not API: the reference command-line tool ({@code infrastate}), built on the public API
 * only; {@link io.infrastate.examples.cli.InfrastateCli} is its entry point.
 */
package io.infrastate.examples.cli;
