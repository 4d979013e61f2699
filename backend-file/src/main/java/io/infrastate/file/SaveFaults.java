package io.infrastate.file;

import java.io.IOException;

/**
 * Faults that tests inject into a save, at the steps that a real file system cannot be made to fail
 * on demand: just before the step that publishes a version (the rename, the journal record) and
 * just after it. Production code uses {@link #NONE}.
 */
@FunctionalInterface
interface SaveFaults {
  /** Where in a save a fault is injected. */
  enum Step {
    /** After everything else that can fail, just before the version is published. */
    BEFORE_PUBLISH,
    /** Just after the version was published, before the steps that follow it. */
    AFTER_PUBLISH
  }

  /** Injects nothing. */
  SaveFaults NONE = step -> {};

  /**
   * Called at each step; throws to inject a fault there.
   *
   * @param step the step reached
   * @throws IOException the injected fault
   */
  void at(Step step) throws IOException;
}
