package io.infrastate.file;

import java.nio.file.Path;

/**
 * The file backend's two modes, for the tests that run in both: one parametrization
 * ({@code @EnumSource(FileMode.class)}, or an argument of a child JVM) instead of a copied test
 * class per mode.
 */
enum FileMode {
  /** Each save writes the whole file. */
  FILE(false),
  /** Each save appends its change to the journal. */
  JOURNAL(true);

  final boolean journal;

  FileMode(boolean journal) {
    this.journal = journal;
  }

  /**
   * A builder in this mode with the default options.
   *
   * @param file the state file
   * @return a new builder
   */
  FileBackend.Builder builder(Path file) {
    return FileBackend.builder(file).journal(journal);
  }

  /**
   * A backend in this mode with the default options.
   *
   * @param file the state file
   * @return a new backend
   */
  FileBackend open(Path file) {
    return builder(file).build();
  }

  /**
   * A backend in this mode whose files change only inside saves: in journal mode, compaction runs
   * on the writing thread.
   *
   * @param file the state file
   * @return a new backend
   */
  FileBackend openInline(Path file) {
    return journal ? builder(file).backgroundCompaction(false).build() : open(file);
  }

  /**
   * What {@code State.open} takes for the state in this mode.
   *
   * @param file the state file
   * @return the bare path, or the file URI with {@code ?journal=true}
   */
  String uri(Path file) {
    return journal ? file.toUri() + "?journal=true" : file.toString();
  }
}
