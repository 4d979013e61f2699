package io.infrastate;

import io.infrastate.internal.Environment;
import io.infrastate.model.AuditEntry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link State} handle behaves: its clock, default operator, retry policy and validators.
 * Immutable once built; build with {@link #builder()}.
 *
 * <pre>{@code
 * StateOptions options = StateOptions.builder()
 *     .operator("deploy-bot@ci")
 *     .maxAttempts(20)
 *     .validator(myRule)
 *     .build();
 * State state = State.load(backend, options);
 * }</pre>
 *
 * <p>Instances are thread-safe.
 */
public final class StateOptions {
  /**
   * The default cap on attempts per write. It is not what makes writers succeed under contention
   * (see {@link #maxAttempts()}); it stops a write that cannot make progress at all, such as one
   * racing a program that ignores the backend's write lock.
   */
  public static final int DEFAULT_MAX_ATTEMPTS = 100;

  private static final StateOptions DEFAULTS = builder().build();

  private final Clock clock;
  private final String operator;
  private final int maxAttempts;
  private final Duration retryBackoff;
  private final List<Validator> validators;
  private final boolean groupCommit;
  private final io.infrastate.crypto.Keyring keyring;

  private StateOptions(Builder b) {
    this.keyring = b.keyring;
    this.groupCommit = b.groupCommit == null || b.groupCommit;
    this.clock = b.clock == null ? Clock.systemUTC() : b.clock;
    this.operator = b.operator == null ? Environment.defaultOperator() : b.operator;
    this.maxAttempts = b.maxAttempts == 0 ? DEFAULT_MAX_ATTEMPTS : b.maxAttempts;
    this.retryBackoff = b.retryBackoff == null ? Duration.ofMillis(2) : b.retryBackoff;
    this.validators = List.copyOf(b.validators);
  }

  /**
   * The default options: system UTC clock, operator {@code user@hostname}, at most {@value
   * #DEFAULT_MAX_ATTEMPTS} attempts, 2 ms base backoff, no validators.
   *
   * @return the defaults
   */
  public static StateOptions defaults() {
    return DEFAULTS;
  }

  /**
   * The keyring the state is opened through ({@link io.infrastate.crypto.Keyring#protect}), if any.
   *
   * @return the keyring, or empty
   */
  public java.util.Optional<io.infrastate.crypto.Keyring> keyring() {
    return java.util.Optional.ofNullable(keyring);
  }

  /**
   * Starts a builder.
   *
   * @return a new builder with every setting unset
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The clock for timestamps.
   *
   * @return the clock
   */
  public Clock clock() {
    return clock;
  }

  /**
   * The operator recorded when an {@link AuditEntry} names none.
   *
   * @return the operator
   */
  public String operator() {
    return operator;
  }

  /**
   * How many times a write is applied before a conflict is reported: a cap for callers who prefer
   * to fail fast, not what makes writes succeed. With the default ({@value #DEFAULT_MAX_ATTEMPTS})
   * writers do not fail under contention: after a conflict, local backends (files, a local Git
   * repository) serialize the retry under their write lock, so the second attempt cannot conflict
   * with another writer, and remote ones (a Git remote, S3) back off by the cost of a write and
   * then take the state's write lease (see {@link State}).
   *
   * @return at least 1
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * The base delay between attempts on backends that cannot serialize writers; attempt {@code n}
   * waits a random time up to {@code unit * 2^n} (full jitter), where the unit is this base or the
   * measured cost of an attempt, whichever is longer, capped at 250 ms or eight attempts' cost.
   * Zero turns the backoff off.
   *
   * @return the base backoff
   */
  public Duration retryBackoff() {
    return retryBackoff;
  }

  /**
   * The user validators, in registration order.
   *
   * @return an unmodifiable list
   */
  public List<Validator> validators() {
    return validators;
  }

  /**
   * Whether concurrent writes through one handle are coalesced into one durable write (group
   * commit). On by default; each caller still returns only when its change is persisted.
   *
   * @return {@code true} if group commit is on
   */
  public boolean groupCommit() {
    return groupCommit;
  }

  /** Builds {@link StateOptions}. Each setting may be set once. Not thread-safe. */
  public static final class Builder {
    private Clock clock;
    private String operator;
    private int maxAttempts;
    private Duration retryBackoff;
    private final List<Validator> validators = new ArrayList<>();
    private Boolean groupCommit;
    private io.infrastate.crypto.Keyring keyring;

    private Builder() {}

    /**
     * Opens the state through a keyring, as {@code State.load(keys.protect(backend))} does: secret
     * values are sealed and revealed, and an encrypted state is read and written encrypted.
     *
     * @param keys the keyring
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder keyring(io.infrastate.crypto.Keyring keys) {
      requireUnset(keyring, "keyring");
      keyring = Objects.requireNonNull(keys, "keys");
      return this;
    }

    /**
     * Turns group commit on or off (on by default). With it on, writes that arrive while another
     * write of the same handle is being persisted are committed together as one version, whose
     * audit entry joins theirs.
     *
     * @param enabled whether to coalesce concurrent writes
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder groupCommit(boolean enabled) {
      requireUnset(this.groupCommit, "groupCommit");
      this.groupCommit = enabled;
      return this;
    }

    /**
     * Sets the clock (tests inject a fixed or fake clock).
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder clock(Clock clock) {
      requireUnset(this.clock, "clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the default operator.
     *
     * @param operator such as {@code deploy-bot@ci}
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder operator(String operator) {
      requireUnset(this.operator, "operator");
      Objects.requireNonNull(operator, "operator");
      if (operator.isBlank()) {
        throw new IllegalArgumentException("operator must not be blank");
      }
      this.operator = operator;
      return this;
    }

    /**
     * Sets how many times a conflicting write is attempted.
     *
     * @param attempts 1..1000
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder maxAttempts(int attempts) {
      if (this.maxAttempts != 0) {
        throw new IllegalStateException("maxAttempts was already set to " + this.maxAttempts);
      }
      if (attempts < 1 || attempts > 1000) {
        throw new IllegalArgumentException("maxAttempts must be within 1..1000: " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Sets the base retry backoff.
     *
     * @param backoff zero or positive
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder retryBackoff(Duration backoff) {
      requireUnset(this.retryBackoff, "retryBackoff");
      if (backoff.isNegative()) {
        throw new IllegalArgumentException("retryBackoff must not be negative: " + backoff);
      }
      this.retryBackoff = backoff;
      return this;
    }

    /**
     * Adds a validator; every write must pass all of them.
     *
     * @param validator the rule
     * @return this builder
     */
    public Builder validator(Validator validator) {
      validators.add(Objects.requireNonNull(validator, "validator"));
      return this;
    }

    /**
     * Builds the options.
     *
     * @return immutable options
     */
    public StateOptions build() {
      return new StateOptions(this);
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }
  }
}
