/**
 * Internal, not published: the comparison harness that measures infrastate against its
 * contenders (run with {@code java -jar benchmarks/target/benchmarks.jar}).
 */
package io.infrastate.benchmarks;
