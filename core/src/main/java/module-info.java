/**
 * infrastate's core: the state API ({@code io.infrastate}), locks ({@code io.infrastate.lock}), the
 * state.json codec ({@code io.infrastate.codec}), the in-memory backend ({@code
 * io.infrastate.memory}) and the service-provider interface that backends implement ({@code
 * io.infrastate.spi}). Backends are found with {@link java.util.ServiceLoader}: a module that
 * {@code provides io.infrastate.spi.BackendProvider} is bound when it is on the module path, with no
 * {@code --add-modules}.
 *
 * <p>{@code io.infrastate.internal} is not API; it is exported only to the sibling modules that
 * share its helpers. Those modules are built after this one, hence the suppressed "module not
 * found" warning on the qualified export.
 */
@SuppressWarnings("module")
module io.infrastate.core {
  requires tools.jackson.core;
  requires org.slf4j;

  exports io.infrastate;
  exports io.infrastate.model;
  exports io.infrastate.codec;
  exports io.infrastate.crypto;
  exports io.infrastate.lock;
  exports io.infrastate.memory;
  exports io.infrastate.spi;
  exports io.infrastate.internal to io.infrastate.file, io.infrastate.s3, io.infrastate.inventory;

  uses io.infrastate.spi.BackendProvider;
  uses io.infrastate.crypto.KeyProvider;
}
