package io.infrastate.model;

import java.util.Objects;

/**
 * A write was refused because the stored state was changed outside infrastate and the backend's
 * {@link ExternalEditPolicy} is {@link ExternalEditPolicy#REFUSE}. Nothing was written. The message
 * names what changed and the two ways on: accept the edit (the command line's {@code infrastate
 * state accept-external}, or {@link io.infrastate.spi.ExternalEditBackend#acceptExternalEdit}),
 * which records it as a version of its own, or restore the version it replaced.
 */
public class ExternalEditException extends StateException {
  private static final long serialVersionUID = 1L;

  /** The edit; not serialized (a StateDiff is not serializable). */
  private final transient ExternalEdit edit;

  /**
   * Creates the error.
   *
   * @param edit the external edit found
   * @param restoreHint how to restore the replaced version, such as {@code "cp
   *     state.json.history/00000000000000000004.json state.json"}; empty if it is not kept
   * @throws NullPointerException if an argument is null
   */
  public ExternalEditException(ExternalEdit edit, String restoreHint) {
    super(message(edit, Objects.requireNonNull(restoreHint, "restoreHint")));
    this.edit = edit;
  }

  private static String message(ExternalEdit edit, String restoreHint) {
    return "Refusing to write: " + edit.description() + ". External edits are refused here (external=refuse), so nothing"
        + " was written. Review it (infrastate state diff " + edit.replacedSerial() + " current), then either accept it as"
        + " version " + edit.serial() + " (infrastate state accept-external) or restore version " + edit.replacedSerial()
        + (restoreHint.isEmpty() ? " from a copy" : " (" + restoreHint + ")") + ".";
  }

  /**
   * The external edit that stopped the write.
   *
   * @return the edit; empty only for an exception that was serialized and read back
   */
  public java.util.Optional<ExternalEdit> edit() {
    return java.util.Optional.ofNullable(edit);
  }
}
