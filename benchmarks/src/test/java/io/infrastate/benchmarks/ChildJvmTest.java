package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A child JVM run in the foreground does not outlive the JVM that started it. */
class ChildJvmTest {
  /** Starts {@link Sleeper} in the foreground and waits for it, as {@code compare} does. */
  public static final class Parent {
    public static void main(String[] args) throws Exception {
      System.exit(ChildJvm.runInForeground(Sleeper.class, List.of()));
    }
  }

  /** Prints its pid, then sleeps far longer than the test runs. */
  public static final class Sleeper {
    public static void main(String[] args) throws Exception {
      System.out.println("child pid " + ProcessHandle.current().pid());
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(30));
    }
  }

  @Test
  void theChildIsDestroyedWhenItsParentIsTerminated() throws Exception {
    Process parent = new ProcessBuilder(
            ProcessHandle.current().info().command().orElseThrow(), "-cp", System.getProperty("java.class.path"), Parent.class.getName())
        .redirectErrorStream(true)
        .start();
    Optional<ProcessHandle> child = Optional.empty();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while (child.isEmpty() && (line = out.readLine()) != null) {
        if (line.startsWith("child pid ")) {
          child = ProcessHandle.of(Long.parseLong(line.substring("child pid ".length())));
        }
      }
      assertThat(child).as("the child started and printed its pid").isPresent();
      assertThat(child.get().isAlive()).isTrue();
      parent.destroy(); // SIGTERM: the parent's shutdown hooks run
      assertThat(parent.waitFor(2, TimeUnit.MINUTES)).isTrue();
      ProcessHandle c = child.get();
      c.onExit().get(2, TimeUnit.MINUTES);
      assertThat(c.isAlive()).as("the child outlived its parent").isFalse();
    } finally {
      child.ifPresent(ProcessHandle::destroyForcibly);
      parent.destroyForcibly();
    }
  }
}
