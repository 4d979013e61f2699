package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Pinning goes through the real {@code taskset}; the kernel's view of the thread is checked. */
class AffinityTest {
  /** The calling thread's allowed CPUs as the kernel lists them ({@code Cpus_allowed_list}). */
  static String allowedCpus() throws IOException {
    return Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
        .filter(l -> l.startsWith("Cpus_allowed_list:"))
        .map(l -> l.substring(l.indexOf(':') + 1).trim())
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aThreadPinnedToACpuRunsOnlyThereAndItsChildrenInheritIt() throws Exception {
    int last = Runtime.getRuntime().availableProcessors() - 1;
    String before = allowedCpus();
    AtomicReference<String> pinned = new AtomicReference<>();
    AtomicReference<String> child = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        Affinity.pinCurrentThread(last);
        pinned.set(allowedCpus());
        Thread c = new Thread(() -> {
          try {
            child.set(allowedCpus());
          } catch (IOException e) {
            failure.set(e);
          }
        });
        c.start();
        c.join();
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    t.start();
    t.join();
    assertThat(failure.get()).isNull();
    assertThat(pinned.get()).isEqualTo(Integer.toString(last));
    assertThat(child.get()).isEqualTo(Integer.toString(last));
    assertThat(allowedCpus()).as("the test's own thread is not pinned").isEqualTo(before);
  }

  @Test
  void aCpuTheMachineLacksIsRefusedWithTasksetsReason() {
    int count = Runtime.getRuntime().availableProcessors();
    assertThatThrownBy(() -> Affinity.pinCurrentThread(count + 1000))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot pin to a CPU: 'taskset -p -c " + (count + 1000) + " ");
  }

  @Test
  void everyCpuHasACountOfDeviceInterrupts() {
    long[] counts = Affinity.deviceInterrupts();
    assertThat(counts).hasSize(Runtime.getRuntime().availableProcessors());
    assertThat(Arrays.stream(counts).min().orElseThrow()).isNotNegative();
    assertThat(Arrays.stream(counts).sum()).as("a running machine has taken device interrupts").isPositive();
  }

  @Test
  void theInterruptsBetweenTwoReadingsAreCountedPerCpu() {
    assertThat(Affinity.interruptsBetween(new long[] {5, 100}, new long[] {7, 148_452})).contains("CPU 0 2; CPU 1 148,352");
    assertThat(Affinity.interruptsBetween(new long[0], new long[] {1})).isEmpty();
    assertThat(Affinity.interruptsBetween(new long[] {1}, new long[] {1, 2})).isEmpty();
  }
}
