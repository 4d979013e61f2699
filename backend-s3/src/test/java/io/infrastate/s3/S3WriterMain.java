package io.infrastate.s3;

import io.infrastate.testkit.Commits;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;

/**
 * A child JVM that opens the state by URI (credentials from the SDK's default chain, here system
 * properties) and makes N updates, each adding its own resource and incrementing a shared counter.
 * Prints {@code COMMITTED <serial> <writer>-<i>} per update, then {@code attempts N}, the most
 * attempts one update took. Default options. Args: uri writer count.
 */
public final class S3WriterMain {
  private S3WriterMain() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("aws.accessKeyId", S3TestServer.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", S3TestServer.SECRET_KEY);
    String writer = args[1];
    int count = Integer.parseInt(args[2]);
    StateOptions options = StateOptions.builder().operator(writer + "@child").build();
    try (State state = State.open(args[0], options)) {
      int maxRuns = 0;
      for (int i = 0; i < count; i++) {
        int[] runs = {0};
        Snapshot s = S3ConcurrencyTest.increment(state, writer, i, runs);
        maxRuns = Math.max(maxRuns, runs[0]);
        System.out.println(Commits.line(s.metadata().serial(), writer + "-" + i));
      }
      // how often one write was applied at most: its attempts
      System.out.println("attempts " + maxRuns);
    }
    System.out.println("DONE " + writer);
  }

}
