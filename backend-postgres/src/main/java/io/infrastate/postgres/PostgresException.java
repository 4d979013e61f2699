package io.infrastate.postgres;

import io.infrastate.model.BackendException;
import java.util.Objects;

/**
 * PostgreSQL refused or failed an operation of {@link PostgresBackend} or {@link
 * PostgresLockProvider}. {@link #problem()} says which kind of failure it was, so that a caller can
 * act on it (wait for the server, fix the credentials, point at the primary); the message says what
 * to check. Messages name the server, database and schema, never a password.
 *
 * <p>When thrown by a write, nothing was stored, unless the message says that the outcome could
 * not be learned ({@link Problem#OUTCOME_UNKNOWN}); the next load shows the truth.
 */
public final class PostgresException extends BackendException {
  private static final long serialVersionUID = 1L;

  /** The kinds of failure a caller can act on. */
  public enum Problem {
    /** The server could not be reached: refused, unreachable, or it closed the connection. */
    CONNECTION,
    /** The server rejected the user name or password. */
    AUTHENTICATION,
    /** The server accepts only reads: a hot standby (replica) or a read-only transaction setting. */
    READ_ONLY,
    /** The schema or its tables do not exist and the backend may not create them. */
    SCHEMA_MISSING,
    /** The schema was created by a newer version of this library. */
    SCHEMA_TOO_NEW,
    /** The server aborted a transaction to keep concurrent ones serializable (retry it). */
    SERIALIZATION,
    /** The role lacks a privilege on the schema or its tables. */
    PERMISSION,
    /** The connection failed after a write was sent; whether it was stored is unknown. */
    OUTCOME_UNKNOWN,
    /** Any other failure reported by the server or the driver. */
    OTHER
  }

  /** The kind of failure. */
  private final Problem problem;

  /** The SQLSTATE, or empty. */
  private final String sqlState;

  /**
   * Creates an exception.
   *
   * @param problem the kind of failure
   * @param sqlState the SQLSTATE reported by the driver, or empty
   * @param message what failed, where, and what to do
   * @param cause the underlying failure
   * @param retryable whether the same call may succeed later
   */
  public PostgresException(Problem problem, String sqlState, String message, Throwable cause, boolean retryable) {
    super(message, cause, retryable);
    this.problem = Objects.requireNonNull(problem, "problem");
    this.sqlState = sqlState == null ? "" : sqlState;
  }

  /**
   * The kind of failure.
   *
   * @return the problem
   */
  public Problem problem() {
    return problem;
  }

  /**
   * The SQLSTATE code the server or driver reported, such as {@code 28P01} for a wrong password.
   *
   * @return the code, or empty if there was none
   */
  public String sqlState() {
    return sqlState;
  }
}
