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

  /** The last CPU this process may run on (not always availableProcessors() - 1). */
  static int lastAllowedCpu() {
    int[] allowed = Affinity.allowedCpus();
    assertThat(allowed).as("the kernel lists the CPUs this process may run on").isNotEmpty();
    return allowed[allowed.length - 1];
  }

  @Test
  void theAllowedCpusAreTheKernelsList() throws IOException {
    assertThat(Affinity.allowedCpus()).isEqualTo(Affinity.parseCpuList(allowedCpus()));
    assertThat(Affinity.parseCpuList("0-3,8,10-11")).containsExactly(0, 1, 2, 3, 8, 10, 11);
    assertThat(Affinity.parseCpuList("5")).containsExactly(5);
  }

  /** What a test runs in a thread of its own (pinning changes the thread that pins). */
  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body} in a new thread, waits for it, and fails if it threw. */
  static void inThreadOfItsOwn(Body body) throws InterruptedException {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    t.start();
    t.join();
    assertThat(failure.get()).isNull();
  }

  @Test
  void aThreadPinnedToACpuRunsOnlyThereAndItsChildrenInheritIt() throws Exception {
    int last = lastAllowedCpu();
    String before = allowedCpus();
    AtomicReference<String> pinned = new AtomicReference<>();
    AtomicReference<String> child = new AtomicReference<>();
    inThreadOfItsOwn(() -> {
      Affinity.pinCurrentThread(last);
      pinned.set(allowedCpus());
      inThreadOfItsOwn(() -> child.set(allowedCpus()));
    });
    assertThat(pinned.get()).isEqualTo(Integer.toString(last));
    assertThat(child.get()).isEqualTo(Integer.toString(last));
    assertThat(allowedCpus()).as("the test's own thread is not pinned").isEqualTo(before);
  }

  @Test
  void aCpuTheMachineLacksIsRefusedWithTasksetsReason() {
    int absent = lastAllowedCpu() + 100_000;
    assertThatThrownBy(() -> Affinity.pinCurrentThread(absent))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot pin to a CPU: 'taskset -p -c " + absent + " ");
  }

  @Test
  void everyCpuTheKernelListsHasACountOfDeviceInterrupts() throws IOException {
    Affinity.Interrupts reading = Affinity.deviceInterrupts();
    String header = Files.readAllLines(Path.of("/proc/interrupts")).get(0).trim();
    assertThat(reading.cpus()).hasSize(header.split("\\s+").length).contains(Affinity.allowedCpus());
    assertThat(reading.counts()).hasSameSizeAs(reading.cpus());
    assertThat(Arrays.stream(reading.counts()).min().orElseThrow()).isNotNegative();
    assertThat(Arrays.stream(reading.counts()).sum()).as("a running machine has taken device interrupts").isPositive();
  }

  @Test
  void theInterruptsBetweenTwoReadingsAreCountedPerCpuByItsNumber() {
    Affinity.Interrupts before = new Affinity.Interrupts(new int[] {4, 6}, new long[] {5, 100});
    Affinity.Interrupts after = new Affinity.Interrupts(new int[] {4, 6}, new long[] {7, 148_452});
    assertThat(Affinity.interruptsBetween(before, after)).contains("CPU 4 2; CPU 6 148,352");
    assertThat(Affinity.interruptsBetween(Affinity.Interrupts.NONE, after)).isEmpty();
    assertThat(Affinity.interruptsBetween(before, new Affinity.Interrupts(new int[] {4}, new long[] {9}))).isEmpty();
  }
}
