package io.infrastate.examples.cli;

/**
 * A failure the CLI reports as one line on standard error with a chosen exit code (see {@link
 * InfrastateCli}). Immutable.
 */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }

  static CliException usage(String message) {
    return new CliException(InfrastateCli.USAGE, message);
  }

  static CliException error(String message) {
    return new CliException(InfrastateCli.ERROR, message);
  }
}
