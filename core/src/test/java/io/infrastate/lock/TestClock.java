package io.infrastate.lock;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock the test moves, so that leases end without sleeping. Thread-safe. */
public final class TestClock extends Clock {
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-28T10:30:00Z"));

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  /**
   * Moves the time forward.
   *
   * @param d how far
   */
  public void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }
}
