package io.infrastate.model;

/**
 * No backend can open a state URI: its scheme is unknown (the module that provides it is not on the
 * class path), several providers claim it, or the URI is malformed for its scheme.
 */
public class UnknownBackendException extends StateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the error.
   *
   * @param message what is wrong with the URI and what to do
   */
  public UnknownBackendException(String message) {
    super(message);
  }
}
