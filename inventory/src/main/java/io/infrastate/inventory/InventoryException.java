package io.infrastate.inventory;

import io.infrastate.model.StateException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An inventory could not be read or written: the file is not a valid Ansible inventory, or the
 * inventory cannot be expressed in the requested format. The {@link #kind()} says what is wrong so
 * that a caller can act on it; {@link #file()} and {@link #line()} say where, when known.
 *
 * <p>The message reads {@code "<file>:<line>: <problem>"} (parts omitted when unknown), in the style
 * of Ansible's own inventory errors. Never retryable: the same input fails the same way.
 */
public class InventoryException extends StateException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with an inventory. */
  public enum Kind {
    /** The input is not well-formed YAML or INI (scanner or syntax error). */
    SYNTAX,
    /** The file is empty; Ansible refuses it too ("Parsed empty YAML file"). */
    EMPTY,
    /** Something that must be a mapping is not: the document, a group, {@code hosts}, {@code vars}, {@code children} or a host's vars. */
    NOT_A_MAPPING,
    /** A key Ansible does not know, e.g. a group key other than {@code hosts}, {@code vars}, {@code children}, or an INI section type other than {@code vars} and {@code children}. */
    UNKNOWN_KEY,
    /** Adding a child group would create a cycle; the message names the cycle. */
    CHILD_CYCLE,
    /** A group name that Ansible warns about, under {@link GroupNamePolicy#REJECT}. */
    INVALID_GROUP_NAME,
    /** A host name that the target format cannot carry unchanged (e.g. a range or {@code :port} in YAML). */
    INVALID_HOST_NAME,
    /** A group, host or variable name that is used for two things, or a reserved name. */
    NAME_CONFLICT,
    /** A group that is referenced but never defined (INI {@code :children} and {@code :vars}). */
    UNDEFINED_GROUP,
    /** A value that has no JSON form (NaN, infinity, complex numbers, sets, bytes, vault data, non-string keys). */
    UNSUPPORTED_VALUE,
    /** A key that appears twice in one YAML mapping (Ansible warns and keeps the last). */
    DUPLICATE_KEY,
    /** The file could not be read or written. */
    IO,
    /** A vault value that cannot be decrypted: a wrong vault password, altered or truncated text. */
    VAULT,
    /**
     * A secret value ({@link io.infrastate.model.Secret}) that this output would have to print in
     * clear: give a vault password ({@link AnsibleVault}), or reveal secrets explicitly.
     */
    SECRET_VALUE
  }

  /** What is wrong. */
  private final Kind kind;
  /** The file the inventory was read from or written to, {@code null} if the input was not a file. */
  private final String file;
  /** The 1-based line of the problem, 0 if unknown. */
  private final int line;
  /** What is wrong, without the location prefix. */
  private final String problem;

  /**
   * Creates an exception.
   *
   * @param kind what is wrong
   * @param file the file name, or {@code null} if not from a file
   * @param line the 1-based line, or 0 if unknown
   * @param problem what is wrong, without location
   */
  public InventoryException(Kind kind, String file, int line, String problem) {
    this(kind, file, line, problem, null);
  }

  /**
   * Creates an exception with a cause.
   *
   * @param kind what is wrong
   * @param file the file name, or {@code null} if not from a file
   * @param line the 1-based line, or 0 if unknown
   * @param problem what is wrong, without location
   * @param cause the underlying failure, may be {@code null}
   */
  public InventoryException(Kind kind, String file, int line, String problem, Throwable cause) {
    super(format(file, line, problem), cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.file = file;
    this.line = Math.max(0, line);
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  private static String format(String file, int line, String problem) {
    StringBuilder sb = new StringBuilder();
    if (file != null) {
      sb.append(file).append(':');
      if (line > 0) {
        sb.append(line).append(':');
      }
      sb.append(' ');
    } else if (line > 0) {
      sb.append("line ").append(line).append(": ");
    }
    return sb.append(problem).toString();
  }

  /**
   * What is wrong.
   *
   * @return the kind, never null
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The file the inventory was read from or written to.
   *
   * @return the file name as given to the reader, or empty if the input was not a file
   */
  public Optional<String> file() {
    return Optional.ofNullable(file);
  }

  /**
   * The 1-based line of the problem.
   *
   * @return the line, or empty if unknown
   */
  public OptionalInt line() {
    return line > 0 ? OptionalInt.of(line) : OptionalInt.empty();
  }

  /**
   * What is wrong, without the location prefix.
   *
   * @return the problem text
   */
  public String problem() {
    return problem;
  }

  /**
   * Returns a copy located in a file, for readers that learn the location after the model refused
   * something.
   *
   * @param newFile the file name, may be {@code null}
   * @param newLine the line, or 0
   * @return a new exception with the same kind, problem and cause
   */
  InventoryException at(String newFile, int newLine) {
    InventoryException e = new InventoryException(kind, newFile, newLine, problem, getCause());
    e.setStackTrace(getStackTrace());
    return e;
  }
}
