package io.infrastate.testkit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Waits for the tasks of a contention test and reports every failure, not only the first. */
final class Futures {
  private Futures() {}

  /**
   * Waits for every task. A task that failed does not hide the others: the first failure is thrown
   * with the later ones attached as suppressed exceptions, so that a waiter's timeout does not
   * hide the error that made the lock's holder give up.
   *
   * @param tasks the tasks, in submission order
   * @param timeout how long to wait for each task
   * @throws AssertionError naming how many tasks failed, with the first failure as cause
   */
  static void awaitAll(List<? extends Future<?>> tasks, Duration timeout) throws InterruptedException {
    AssertionError failed = null;
    int failures = 0;
    for (int i = 0; i < tasks.size(); i++) {
      Throwable error;
      try {
        tasks.get(i).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        continue;
      } catch (ExecutionException e) {
        error = e.getCause();
      } catch (java.util.concurrent.TimeoutException e) {
        error = e;
      }
      failures++;
      if (failed == null) {
        failed = new AssertionError("task " + i + " of " + tasks.size() + " failed: " + error, error);
      } else {
        failed.addSuppressed(new AssertionError("task " + i + " failed: " + error, error));
      }
    }
    if (failed != null) {
      if (failures > 1) {
        failed.addSuppressed(new AssertionError(failures + " of " + tasks.size() + " tasks failed"));
      }
      throw failed;
    }
  }
}
