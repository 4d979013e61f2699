package io.infrastate.lock;

import java.time.Duration;
import java.util.Objects;

/**
 * What a requester asks for when acquiring a lock: who (operator), what (operation), why (reason),
 * for how long (lease), and whether the lock renews itself while held.
 *
 * <pre>{@code
 * LockRequest req = LockRequest.builder()
 *     .operation("deploy api v2.1.0")
 *     .reason("ticket OPS-42")
 *     .lease(Duration.ofMinutes(10))
 *     .autoRenew(true)
 *     .build();
 * try (Lock lock = provider.acquire(LockNames.STATE, req, Duration.ofMinutes(2))) {
 *   // deploy
 * }
 * }</pre>
 *
 * <p>An empty operator is filled in by the provider ({@link LockOptions#operator()}, by default
 * {@code user@hostname}).
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param operator who asks, such as {@code alice@build-7}; empty for the provider's default
 * @param operation what the holder will do, such as {@code deploy}; may be empty
 * @param reason why, free text; may be empty
 * @param lease how long the lock stays valid without renewal; positive
 * @param renewEvery how often a held lock is renewed automatically (each renewal extends it by
 *     {@code lease} from the provider's clock), or {@link Duration#ZERO} for no automatic renewal;
 *     when set, it must be shorter than {@code lease}
 */
public record LockRequest(
    String operator, String operation, String reason, Duration lease, Duration renewEvery) {

  /** The default lease: 30 minutes, as the Togather deployment lock specifies. */
  public static final Duration DEFAULT_LEASE = Duration.ofMinutes(30);

  /**
   * Creates a request; {@code null} texts become empty.
   *
   * @param operator who asks, such as {@code alice@build-7}; empty for the provider's default
   * @param operation what the holder will do, such as {@code deploy}; may be empty
   * @param reason why, free text; may be empty
   * @param lease how long the lock stays valid without renewal; positive
   * @param renewEvery how often a held lock is renewed automatically (each renewal extends it by
   *     {@code lease} from the provider's clock), or {@link Duration#ZERO} for no automatic renewal;
   *     when set, it must be shorter than {@code lease}
   * @throws IllegalArgumentException if the lease is not positive, the renewal interval is
   *     negative or not shorter than the lease, or a text contains control characters
   */
  public LockRequest {
    operator = clean(operator, "operator");
    operation = clean(operation, "operation");
    reason = clean(reason, "reason");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(renewEvery, "renewEvery");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lock lease must be positive: " + lease);
    }
    if (renewEvery.isNegative()) {
      throw new IllegalArgumentException("lock renewEvery must not be negative: " + renewEvery);
    }
    if (!renewEvery.isZero() && renewEvery.compareTo(lease) >= 0) {
      throw new IllegalArgumentException(
          "lock renewEvery (" + renewEvery + ") must be shorter than the lease (" + lease
              + "), or the lock expires between renewals");
    }
  }

  /**
   * A request with an operation, the default operator, the default lease and no automatic
   * renewal.
   *
   * @param operation what the holder will do
   * @return a new request
   */
  public static LockRequest of(String operation) {
    return new LockRequest("", operation, "", DEFAULT_LEASE, Duration.ZERO);
  }

  /**
   * Starts a builder with the defaults: default operator, empty operation and reason, {@link
   * #DEFAULT_LEASE}, no automatic renewal.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder holding this request's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.operator = operator;
    b.operation = operation;
    b.reason = reason;
    b.lease = lease;
    b.renewEvery = renewEvery;
    return b;
  }

  /**
   * Whether a held lock renews itself.
   *
   * @return {@code true} if {@link #renewEvery()} is set
   */
  public boolean autoRenews() {
    return !renewEvery.isZero();
  }

  private static String clean(String value, String field) {
    if (value == null) {
      return "";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        throw new IllegalArgumentException(
            "lock " + field + " must be one line without control characters: " + value.strip());
      }
    }
    return value;
  }

  /** Builds a {@link LockRequest}. Not thread-safe; use one per thread. */
  public static final class Builder {
    private String operator = "";
    private String operation = "";
    private String reason = "";
    private Duration lease = DEFAULT_LEASE;
    private Duration renewEvery = Duration.ZERO;
    private boolean renewEveryThird;

    private Builder() {}

    /**
     * Sets who asks.
     *
     * @param value such as {@code alice@build-7}; empty for the provider's default
     * @return this builder
     */
    public Builder operator(String value) {
      this.operator = value;
      return this;
    }

    /**
     * Sets what the holder will do.
     *
     * @param value such as {@code deploy}
     * @return this builder
     */
    public Builder operation(String value) {
      this.operation = value;
      return this;
    }

    /**
     * Sets why.
     *
     * @param value free text
     * @return this builder
     */
    public Builder reason(String value) {
      this.reason = value;
      return this;
    }

    /**
     * Sets the lease (default {@link #DEFAULT_LEASE}).
     *
     * @param value positive
     * @return this builder
     */
    public Builder lease(Duration value) {
      this.lease = value;
      return this;
    }

    /**
     * Turns automatic renewal on, every third of the lease (whatever lease is set when building), or
     * off.
     *
     * @param on whether to renew automatically
     * @return this builder
     */
    public Builder autoRenew(boolean on) {
      this.renewEveryThird = on;
      this.renewEvery = Duration.ZERO;
      return this;
    }

    /**
     * Renews automatically at this interval ({@link Duration#ZERO} for never).
     *
     * @param value shorter than the lease
     * @return this builder
     */
    public Builder renewEvery(Duration value) {
      this.renewEvery = value;
      this.renewEveryThird = false;
      return this;
    }

    /**
     * Builds the request.
     *
     * @return a new request
     * @throws IllegalArgumentException if a value is out of range (the message names it)
     */
    public LockRequest build() {
      Objects.requireNonNull(lease, "lease");
      return new LockRequest(
          operator, operation, reason, lease, renewEveryThird ? lease.dividedBy(3) : renewEvery);
    }
  }
}
