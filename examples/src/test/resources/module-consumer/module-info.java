/** An application on the module path that needs infrastate's core and nothing else by name. */
module consumer {
  requires io.infrastate.core;
}
