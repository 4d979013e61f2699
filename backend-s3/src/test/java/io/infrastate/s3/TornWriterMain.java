package io.infrastate.s3;

import io.infrastate.model.HostState;
import io.infrastate.State;
import java.net.URI;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A child JVM that commits one version and is killed ({@code Runtime.halt}, as by kill -9) the
 * moment the server has stored the commit, before it writes the readable copy or the checkpoint.
 * Args: endpoint bucket key checkpointInterval.
 */
public final class TornWriterMain {
  private TornWriterMain() {}

  public static void main(String[] args) throws Exception {
    FaultInterceptor fault = new FaultInterceptor();
    fault.arm("PUT", "/log/", () -> {
      System.out.println("committed; halting");
      System.out.flush();
      Runtime.getRuntime().halt(137);
    });
    try (S3Client client = S3TestServer.client(URI.create(args[0]), S3TestServer.SECRET_KEY, fault);
        S3Backend backend = S3Backend.builder().client(client).bucket(args[1]).key(args[2])
            .checkpointInterval(Integer.parseInt(args[3])).build();
        State state = State.load(backend)) {
      state.addHost(HostState.builder("torn").address("10.9.9.9").build());
    }
    System.out.println("not halted");
    System.exit(3);
  }
}
