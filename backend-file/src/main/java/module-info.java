/**
 * The file backend ({@code file:} URIs): a state in a local file, with or without a journal, and
 * its file lock provider.
 */
module io.infrastate.file {
  requires transitive io.infrastate.core;
  requires tools.jackson.core;
  requires org.slf4j;

  exports io.infrastate.file;

  provides io.infrastate.spi.BackendProvider with io.infrastate.file.FileBackendProvider;
}
