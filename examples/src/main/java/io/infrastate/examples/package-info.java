/**
 * Examples, not API: runnable programs that show infrastate at work in the settings of its users,
 * each run by a test. The quick start is {@link io.infrastate.examples.QuickStart}.
 */
package io.infrastate.examples;
