/** Internal, not published: JMH benchmarks of the hot paths. */
package io.infrastate.benchmarks.jmh;
