package io.infrastate.file;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.StateStore;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StateHome;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The workspaces of a file state and the locks beside each. The default workspace is the state file
 * the URI names ({@code /srv/infra/state.json}, locks in {@code state.json.locks/}); workspace NAME
 * is the file of the same name in its own directory under {@code <file>.d/}, as Terraform keeps
 * {@code terraform.tfstate.d/NAME/terraform.tfstate}: {@code /srv/infra/state.json.d/NAME/state.json},
 * with its backup, history, journal and {@code state.json.locks/} beside it. A workspace exists when
 * its state file does. Workspaces take the URI's parameters; their directories are created on
 * their first write.
 *
 * <p>Instances are thread-safe (they hold no state besides the URI).
 */
final class FileHome implements StateHome {
  /*
   * Design notes: deleting a workspace.
   *
   * remove() first renames the workspace's directory to ".deleted-NAME-RANDOM" in the same parent
   * (one atomic rename, then an fsync of the parent), so that the workspace disappears from listings
   * and from opens at once; only then does it delete the renamed tree, without following links. A
   * crash in between leaves a dot-directory that no listing shows (a dot never starts a workspace
   * name); a later remove of any workspace of this home deletes such leftovers. A process that
   * still has the old state open writes into the renamed directory and its writes vanish with it:
   * the caller (StateStore) documents that a deletion should run under the workspace's lock when
   * writers may still be running.
   */

  private final FileBackendProvider provider;
  private final URI uri;
  private final Path file;

  FileHome(FileBackendProvider provider, URI uri, Path file) {
    this.provider = provider;
    this.uri = uri;
    this.file = file;
  }

  /** The directory of the workspaces besides the default: {@code <file>.d}. */
  private Path root() {
    return file.resolveSibling(file.getFileName() + ".d");
  }

  private Path stateFile(String workspace) {
    return DEFAULT.equals(workspace) ? file : root().resolve(workspace).resolve(file.getFileName());
  }

  @Override
  public URI uri(String workspace) {
    if (DEFAULT.equals(workspace)) {
      return uri;
    }
    StringBuilder query = new StringBuilder();
    if (uri.getRawQuery() != null) {
      for (String part : uri.getRawQuery().split("&")) {
        if (!part.isEmpty() && !part.equals("create") && !part.startsWith("create=")) {
          query.append(part).append('&');
        }
      }
    }
    query.append("create=true");
    return URI.create(stateFile(workspace).toUri() + "?" + query);
  }

  /** The workspace's state file, as a path. */
  @Override
  public String location(String workspace) {
    return stateFile(workspace).toString();
  }

  @Override
  public Backend open(String workspace) {
    return provider.open(uri(workspace));
  }

  @Override
  public LockProvider locks(String workspace, LockOptions options) {
    Path state = stateFile(workspace);
    Path dir = state.resolveSibling(state.getFileName() + ".locks");
    if (Files.isSymbolicLink(dir)) {
      throw new CorruptStateException(dir.toString(), null, dir + " is a symbolic link: the state's locks live in"
          + " its own directory and infrastate follows no link out of it. Nothing was locked or written. Remove the"
          + " link.", null);
    }
    return FileLockProvider.in(dir, options);
  }

  @Override
  public List<String> workspaces() {
    Path root = root();
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    requireDirectory(root);
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (StateStore.isValidName(name) && !name.equals(DEFAULT)
            && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
            && Files.isRegularFile(entry.resolve(file.getFileName()), LinkOption.NOFOLLOW_LINKS)) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw new BackendException("Could not list the workspaces in " + root + ": " + e
          + ". Check that the directory is readable.", e, false);
    }
    Collections.sort(names);
    return List.copyOf(names);
  }

  @Override
  public void remove(String workspace) {
    Path root = root();
    Path dir = root.resolve(workspace);
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    requireDirectory(root);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new CorruptStateException(dir.toString(), null, dir + " is not a directory (a link or a file): a"
          + " workspace is a directory of its own. Nothing was deleted; remove it by hand.", null);
    }
    Path doomed = root.resolve(".deleted-" + workspace + "-"
        + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
    try {
      Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
      DurableFiles.fsyncDirectory(root);
    } catch (IOException e) {
      throw new BackendException("Could not delete workspace '" + workspace + "' at " + dir + ": " + e
          + ". Nothing was deleted; check the permissions of " + root + ".", e, false);
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, ".deleted-*")) {
      for (Path entry : entries) {
        deleteTree(entry);
      }
    } catch (IOException e) {
      throw new BackendException("Workspace '" + workspace + "' is deleted, but its files could not all be"
          + " removed from " + doomed + ": " + e + ". Remove that directory by hand.", e, false);
    }
  }

  private static void requireDirectory(Path root) {
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new CorruptStateException(root.toString(), null, root + " is not a directory (a link or a file):"
          + " the workspaces of a file state live in a directory of their own and infrastate follows no link out"
          + " of it. Nothing was read or written. Remove or rename it.", null);
    }
  }

  private static void deleteTree(Path top) throws IOException {
    if (!Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(top);
      return;
    }
    Files.walkFileTree(top, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
        Files.delete(f);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
