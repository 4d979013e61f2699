package io.infrastate.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until a test moves it, for lease and TTL tests that need no sleeping
 * (as JGit's {@code MockSystemReader}). Copies made by {@link #withZone(ZoneId)} share the time.
 *
 * <p>Instances are thread-safe: any thread may read or move the time.
 */
public final class MutableClock extends Clock {
  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  private MutableClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /**
   * A clock standing at an instant, in UTC.
   *
   * @param start the initial time
   * @return a new clock
   */
  public static MutableClock at(Instant start) {
    return new MutableClock(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
  }

  /**
   * A clock standing at 2026-01-01T00:00:00Z.
   *
   * @return a new clock
   */
  public static MutableClock create() {
    return at(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /**
   * Moves the time forward (or back, with a negative duration).
   *
   * @param d how far
   * @return the new time
   */
  public Instant advance(Duration d) {
    Objects.requireNonNull(d, "d");
    return now.updateAndGet(t -> t.plus(d));
  }

  /**
   * Sets the time.
   *
   * @param t the new time
   */
  public void set(Instant t) {
    now.set(Objects.requireNonNull(t, "t"));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId newZone) {
    return new MutableClock(now, Objects.requireNonNull(newZone, "zone"));
  }

  @Override
  public String toString() {
    return "MutableClock[" + now.get() + "]";
  }
}
