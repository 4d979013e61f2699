package io.infrastate.spi;

/**
 * A backend that stores every version through a {@link StoredForm}, so that whole-state
 * encryption reaches all of its stored forms. {@code Keyring.protect} sets the form on such a
 * backend before wrapping it.
 */
public interface StoredFormBackend extends Backend {
  /**
   * Sets the form of every later write and read; {@link StoredForm#PLAIN} until set. Set it before
   * the first load.
   *
   * @param form the form
   */
  void storedForm(StoredForm form);

  /**
   * Called after a version that changes the stored form (encryption on or off, new keys): a
   * backend that stores versions as changes to a base rewrites its base from the newest version, so
   * that the current state is wholly in the new form. Earlier versions keep theirs.
   *
   * @throws io.infrastate.model.BackendException on storage failure
   */
  default void settle() {}
}
