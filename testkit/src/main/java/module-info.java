/**
 * Contract tests every backend and lock provider runs ({@code io.infrastate.testkit}), and the
 * helpers they share: child JVMs, a mutable clock, damaged states.
 */
module io.infrastate.testkit {
  requires transitive io.infrastate.core;
  requires transitive org.junit.jupiter.api;
  requires org.junit.jupiter.params;
  requires org.assertj.core;

  exports io.infrastate.testkit;
}
