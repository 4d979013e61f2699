package io.infrastate.file;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Snapshot;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import io.infrastate.spi.StoredForm;
import java.util.function.Supplier;

/**
 * The files that make up one state in a directory, shared by both modes of the file backend: where they are,
 * whether a state is new or lost, and the checks that keep reads harmless and writes inside the
 * state's directory.
 *
 * <h2>New or lost</h2>
 *
 * A state is new only when nothing of it exists: no state file, backup, journal, history, and no
 * version recorded in the write lock sidecar; and its directory exists (a missing directory is an
 * unmounted share or a typo, not an empty state, unless the caller asked to create it). When the
 * state file is missing but any of the others survive, the state was lost: loads and writes stop
 * with a {@link CorruptStateException} that names what is missing and what survives, so that a
 * write never starts a new lineage over the survivors and never prunes them.
 *
 * <h2>Reading is harmless</h2>
 *
 * Nothing here creates a file or directory except {@link #prepareWrite()} and {@link
 * #sidecarDirectory(Path)}, which only writers call.
 *
 * <p>Immutable and thread-safe.
 */
final class StateParts {
  final Path given;
  final Path file;
  final Path dir;
  final String name;
  final Path backup;
  final Path journal;
  final Path historyDir;
  final Path writelock;
  final boolean create;
  final long maxSize;
  /** The form of every stored version ({@link StoredForm#PLAIN} unless a keyring set another). */
  volatile StoredForm form = StoredForm.PLAIN;

  private StateParts(Path given, Path file, boolean create, long maxSize) {
    this.given = given;
    this.file = file;
    this.dir = file.getParent();
    this.name = file.getFileName().toString();
    this.backup = dir.resolve(name + ".backup");
    this.journal = dir.resolve(name + ".journal");
    this.historyDir = dir.resolve(name + ".history");
    this.writelock = dir.resolve(name + ".writelock");
    this.create = create;
    this.maxSize = maxSize;
  }

  /**
   * The parts of the state at {@code path}. A symbolic link at the path is followed (once, here):
   * the state and its sidecars live where it points. Reads nothing but links.
   */
  static StateParts of(Path path, boolean create, long maxSize) throws IOException {
    Path given = path.toAbsolutePath().normalize();
    Path p = given;
    for (int hops = 0; Files.isSymbolicLink(p); hops++) {
      if (hops == 40) {
        throw new IOException(path + " is a chain of more than 40 symbolic links");
      }
      p = p.resolveSibling(Files.readSymbolicLink(p)).toAbsolutePath().normalize();
    }
    if (p.getParent() == null) {
      throw new IOException(path + " has no directory; give the path of the state file");
    }
    if (Files.isDirectory(p)) {
      throw new IOException(p + " is a directory; give the path of the state file");
    }
    return new StateParts(given, p, create, maxSize);
  }

  // ------------------------------------------------------------------ reads

  /**
   * Checks that the state's directory exists, for a load.
   *
   * @return false if it is missing and the caller asked to create it (then nothing is stored)
   * @throws BackendException if it is missing and may not be created
   */
  boolean directoryReady() {
    if (Files.isDirectory(dir)) {
      return true;
    }
    checkNotDangling();
    if (create) {
      return false;
    }
    throw missingDirectory();
  }

  /** Refuses a state path that is a link to a file that does not exist (it is not a new state). */
  private void checkNotDangling() {
    String link = danglingLink();
    if (link != null) {
      throw lost(List.of(link), "Restore what it points to, or mount the file system it is on.");
    }
  }

  private String danglingLink() {
    if (!file.equals(given) && Files.isSymbolicLink(given) && !exists(file)) {
      return "the symbolic link " + given + " (it points to " + file + ", which does not exist)";
    }
    return null;
  }

  private BackendException missingDirectory() {
    return new BackendException(
        "The directory " + dir + " of state file " + file + " does not exist (not mounted, or a typo?), so"
            + " nothing was read or written. Create it, or ask for it to be created: the builder option"
            + " createDirectories(true), or ?create=true on the file URI.",
        null,
        false);
  }

  /**
   * Checks, for a state file that was found missing, that nothing else of the state survives. A
   * writer creating a state renames the state file into place before it creates any other part,
   * so parts found while the state file is still missing are survivors of a loss; if the state
   * file exists again, a writer created it meanwhile and the caller reads again.
   *
   * @param mark the version the write lock sidecar records, or null
   * @param restore how to restore the state from the survivors
   * @return true if the state file exists now (read again); false if nothing of the state exists
   * @throws CorruptStateException if anything survives: the state was lost
   */
  boolean checkNothingSurvives(Sidecar.Mark mark, String restore) throws IOException {
    List<String> survivors = survivors(mark);
    if (survivors.isEmpty()) {
      return false;
    }
    if (exists(file)) {
      return true;
    }
    throw lost(survivors, restore);
  }

  /** The error for a state file that appeared while a writer held the lock: someone ignores it. */
  BackendException appeared() {
    return new BackendException("State file " + file + " appeared while the write lock was held (is a process writing it"
        + " without the lock?); nothing was written. Retry.", null, true);
  }

  /** What exists of the state besides the state file. */
  List<String> survivors(Sidecar.Mark mark) throws IOException {
    List<String> out = new ArrayList<>();
    String link = danglingLink();
    if (link != null) {
      out.add(link);
    }
    if (exists(backup)) {
      out.add("the backup " + backup);
    }
    if (exists(journal)) {
      out.add("the journal " + journal);
    }
    long newest = newestInHistory();
    if (newest >= 0) {
      out.add("the history " + historyDir + " (newest version " + newest + ")");
    }
    // an empty history directory holds nothing to lose: a first write that failed before its
    // rename leaves one behind (it prepares the history entry before publishing)
    if (mark != null) {
      out.add("the write lock " + writelock + ", which records that version " + mark.serial() + " was written");
    }
    return out;
  }

  CorruptStateException lost(List<String> survivors, String restore) {
    return new CorruptStateException(
        file.toString(),
        null,
        "State file " + file + " is missing, but " + String.join(", ", survivors) + " survive: the state was"
            + " deleted or lost, so nothing was read or written. " + restore + " To start a new state"
            + " instead, move those away first.",
        null);
  }

  /**
   * The error for a state file older than a version known to have been written.
   *
   * @param found the serial read
   * @param newer the serial known to exist
   * @param where where that newer version is recorded
   * @param restore how to restore it
   */
  CorruptStateException older(long found, long newer, String where, String restore) {
    return new CorruptStateException(
        file.toString(),
        null,
        "State " + file + " holds version " + found + ", but version " + newer + " of the same state was written"
            + " (" + where + "): later versions were deleted, truncated or replaced by an older copy, so nothing"
            + " was written (a write would reuse their serials). " + restore + " To keep the older version,"
            + " move " + where.replaceFirst(" .*", "") + " away first.",
        null);
  }

  /** The newest serial in the history directory, or -1 if none. */
  long newestInHistory() throws IOException {
    if (!Files.isDirectory(historyDir, LinkOption.NOFOLLOW_LINKS)) {
      return -1;
    }
    long newest = -1;
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(historyDir)) {
      for (Path p : stream) {
        String n = p.getFileName().toString();
        int dot = n.indexOf('.');
        if (dot == 20 && n.substring(0, 20).chars().allMatch(Character::isDigit)) {
          newest = Math.max(newest, Long.parseLong(n.substring(0, 20)));
        }
      }
    } catch (NoSuchFileException e) {
      return -1;
    }
    return newest;
  }

  /** Names what of the state's earlier versions exists, for a damage message; "" if nothing. */
  String recoveryHint() {
    List<String> out = new ArrayList<>();
    if (exists(backup)) {
      out.add("the previous version is in " + backup);
    }
    if (Files.isDirectory(historyDir, LinkOption.NOFOLLOW_LINKS)) {
      out.add((out.isEmpty() ? "earlier versions are in " : "earlier ones in ") + historyDir);
    }
    return String.join(" and ", out);
  }

  /**
   * Reads and decodes a state file through {@link StateFiles}, adding to a damage message where
   * earlier versions are (computed only then).
   */
  Snapshot decode(Path p, Supplier<String> hint) throws IOException {
    try {
      return StateFiles.decode(p, maxSize, "", form);
    } catch (CorruptStateException e) {
      String h = hint.get();
      String m = e.getMessage();
      if (h.isEmpty() || m == null || !m.endsWith(".")) {
        throw e;
      }
      throw new CorruptStateException(e.location(), e.jsonPath().orElse(null), m.substring(0, m.length() - 1) + "; " + h + ".", e.getCause());
    }
  }

  static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }

  // ------------------------------------------------------------------ writes

  /**
   * Before a write, and before its sidecar is created: the directory exists (created if the caller
   * asked), the state file is a regular file if it exists (nothing is created next to a device or
   * FIFO that a link led to), and the history directory is not a link out of the directory.
   */
  void prepareWrite() throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        throw StateFiles.notRegular(file, a);
      }
    } catch (NoSuchFileException e) {
      // a new state, or a lost one (the write finds out under the lock); or no directory
      if (!Files.isDirectory(dir)) {
        if (!create) {
          throw missingDirectory();
        }
        checkNotDangling();
        Files.createDirectories(dir);
      }
    }
    checkSidecarDirectory(historyDir);
  }

  /**
   * A sidecar directory (history, locks) for a write: created if missing, and refused if it is a
   * symbolic link or not a directory, so that nothing is written outside the state's directory.
   *
   * @param d the directory, next to the state file
   * @return {@code d}
   */
  static Path sidecarDirectory(Path d) throws IOException {
    checkSidecarDirectory(d);
    if (!exists(d)) {
      try {
        Files.createDirectory(d);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // made meanwhile; checked below
      }
      checkSidecarDirectory(d);
    }
    return d;
  }

  /**
   * Refuses a sidecar directory that is a symbolic link or not a directory.
   *
   * @throws CorruptStateException if it is
   */
  static void checkSidecarDirectory(Path d) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(d, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if (!a.isDirectory()) {
      throw new CorruptStateException(
          d.toString(),
          null,
          d + " is " + StateFiles.kind(a) + ", not a directory: infrastate keeps the state's files in its own"
              + " directory and follows no link out of it. Nothing was written. Remove it (or replace it with"
              + " the directory it stands for).",
          null);
    }
  }
}
