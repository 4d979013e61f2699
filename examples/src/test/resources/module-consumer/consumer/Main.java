package consumer;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.spi.BackendRegistry;

/** Writes a host through a state URI, then reads it back through a second handle. */
public final class Main {
  private Main() {}

  /**
   * Runs the consumer.
   *
   * @param args the state's URI
   */
  public static void main(String[] args) {
    System.out.println("schemes " + BackendRegistry.defaultRegistry().schemes());
    try (State state = State.open(args[0])) {
      state.addHost(HostState.builder("web01").address("10.0.0.1").port(22).group("webservers").build());
    }
    try (State state = State.open(args[0])) {
      HostState h = state.getHost("web01").orElseThrow();
      System.out.println("read " + h.name() + " " + h.address() + ":" + h.port() + " (" + h.group() + ")"
          + " serial " + state.metadata().serial()
          + " from " + State.class.getModule().getName());
    }
  }
}
