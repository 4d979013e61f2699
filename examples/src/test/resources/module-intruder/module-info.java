/** An application that reaches into core's internal package, which core does not export to it. */
module intruder {
  requires io.infrastate.core;
}
