package io.infrastate.lock;

import io.infrastate.internal.Environment;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link LockProvider} behaves: the clock leases are measured on, who the default operator
 * is, where events go, and how often a waiting {@code acquire} polls. Immutable once built.
 *
 * <pre>{@code
 * LockOptions options = LockOptions.builder()
 *     .clock(Clock.systemUTC())
 *     .listener(LockListener.recordingTo(state::save))
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class LockOptions {
  private static final LockOptions DEFAULTS = builder().build();

  private final Clock clock;
  private final String operator;
  private final String hostname;
  private final long pid;
  private final LockListener listener;
  private final Duration minPoll;
  private final Duration maxPoll;

  private LockOptions(Builder b) {
    this.clock = b.clock;
    this.operator = b.operator != null ? b.operator : Environment.defaultOperator();
    this.hostname = b.hostname != null ? b.hostname : Environment.hostname();
    this.pid = b.pid >= 0 ? b.pid : Environment.pid();
    this.listener = b.listener;
    this.minPoll = b.minPoll;
    this.maxPoll = b.maxPoll;
  }

  /**
   * The defaults: system UTC clock, operator {@code user@hostname}, this process's pid and host
   * name, no listener, polling from 50 ms up to 1 s.
   *
   * @return the default options
   */
  public static LockOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Starts a builder with the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The clock leases are measured on.
   *
   * @return the clock
   */
  public Clock clock() {
    return clock;
  }

  /**
   * The operator written into locks whose request names none.
   *
   * @return such as {@code alice@build-7}
   */
  public String operator() {
    return operator;
  }

  /**
   * The host name written into locks.
   *
   * @return the host name
   */
  public String hostname() {
    return hostname;
  }

  /**
   * The process id written into locks.
   *
   * @return the pid
   */
  public long pid() {
    return pid;
  }

  /**
   * Where lock events go.
   *
   * @return the listener
   */
  public LockListener listener() {
    return listener;
  }

  /**
   * The first wait between attempts while a lock is held.
   *
   * @return the minimum poll interval
   */
  public Duration minPoll() {
    return minPoll;
  }

  /**
   * The longest wait between attempts while a lock is held.
   *
   * @return the maximum poll interval
   */
  public Duration maxPoll() {
    return maxPoll;
  }

  /** Builds {@link LockOptions}. Not thread-safe; use one per thread. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private String operator;
    private String hostname;
    private long pid = -1;
    private LockListener listener = LockListener.NONE;
    private Duration minPoll = Duration.ofMillis(50);
    private Duration maxPoll = Duration.ofSeconds(1);

    private Builder() {}

    /**
     * Sets the clock leases are measured on (inject a fixed or mutable clock in tests).
     *
     * @param value the clock
     * @return this builder
     */
    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /**
     * Sets the default operator.
     *
     * @param value such as {@code alice@build-7}
     * @return this builder
     */
    public Builder operator(String value) {
      this.operator = Objects.requireNonNull(value, "operator");
      return this;
    }

    /**
     * Sets the host name written into locks.
     *
     * @param value the host name
     * @return this builder
     */
    public Builder hostname(String value) {
      this.hostname = Objects.requireNonNull(value, "hostname");
      return this;
    }

    /**
     * Sets the process id written into locks.
     *
     * @param value the pid, not negative
     * @return this builder
     */
    public Builder pid(long value) {
      if (value < 0) {
        throw new IllegalArgumentException("pid must not be negative: " + value);
      }
      this.pid = value;
      return this;
    }

    /**
     * Sets where lock events go (default: nowhere; takeovers and force-unlocks are logged at WARN
     * regardless).
     *
     * @param value the listener
     * @return this builder
     */
    public Builder listener(LockListener value) {
      this.listener = Objects.requireNonNull(value, "listener");
      return this;
    }

    /**
     * Sets how often a waiting {@code acquire} polls: from {@code min}, doubling up to {@code max},
     * each wait jittered.
     *
     * @param min the first wait, positive
     * @param max the longest wait, at least {@code min}
     * @return this builder
     */
    public Builder pollInterval(Duration min, Duration max) {
      Objects.requireNonNull(min, "min");
      Objects.requireNonNull(max, "max");
      if (min.isNegative() || min.isZero()) {
        throw new IllegalArgumentException("pollInterval min must be positive: " + min);
      }
      if (max.compareTo(min) < 0) {
        throw new IllegalArgumentException("pollInterval max (" + max + ") must be at least min (" + min + ")");
      }
      this.minPoll = min;
      this.maxPoll = max;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return new options
     */
    public LockOptions build() {
      return new LockOptions(this);
    }
  }
}
