package io.infrastate.git;

import io.infrastate.model.BackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;

/**
 * Whether the state's branch is checked out in a work tree, behind {@link GitBackend}: the main
 * work tree of a non-bare repository or one of its linked work trees ({@code git worktree}), in the
 * local repository or in a remote on this machine.
 *
 * <h2>Why writes there are refused</h2>
 *
 * The backend moves only the branch ref and never touches a work tree, so a checked-out branch
 * would silently go stale and a later {@code git commit -a} would revert the state; {@code git
 * push} refuses such a push by default for the same reason. The check reads HEAD files only; a
 * branch checked out after it passed is the person's own race, as with {@code git}.
 *
 * <p>Stateless and thread-safe.
 */
final class WorkTrees {
  private WorkTrees() {}

  /** Refuses to write when the branch is checked out in a work tree. */
  static void checkNotCheckedOut(BranchFile file) throws IOException {
    RefStore store = file.store;
    Optional<Path> workTree = store.isRemote() ? remoteCheckedOut(file) : checkedOut(file.repo, file.branchRef);
    if (workTree.isPresent()) {
      throw new BackendException(
          "Refusing to write to branch " + file.branch + " of " + store.display + ": it is checked out in the work"
              + " tree " + workTree.get() + ", which would silently go stale (a later `git commit -a` there would"
              + " revert the state). Nothing was written. Use a bare repository (`git clone --bare`), another"
              + " branch, or have people work in clones of this repository.",
          null,
          false);
    }
  }

  /** A remote on this machine is a repository too: its checked-out branch is refused likewise. */
  static Optional<Path> remoteCheckedOut(BranchFile file) throws IOException {
    Path remotePath = file.store.remote.localPath();
    if (remotePath == null) {
      return Optional.empty();
    }
    Path dotGit = remotePath.resolve(Constants.DOT_GIT);
    if (Files.isDirectory(dotGit)) {
      Path head = dotGit.resolve(Constants.HEAD);
      if (Files.isRegularFile(head) && isHeadOf(head, file.branchRef)) {
        return Optional.of(remotePath);
      }
      return worktreeWith(dotGit, file.branchRef);
    }
    return worktreeWith(remotePath, file.branchRef);
  }

  /** Where a branch is checked out in a repository: its main work tree or a linked one. */
  private static Optional<Path> checkedOut(Repository repo, String branchRef) throws IOException {
    if (!repo.isBare() && branchRef.equals(repo.getFullBranch())) {
      return Optional.of(repo.getWorkTree().toPath());
    }
    return worktreeWith(repo.getDirectory().toPath(), branchRef);
  }

  private static Optional<Path> worktreeWith(Path gitDir, String branchRef) throws IOException {
    Path worktrees = gitDir.resolve("worktrees");
    if (!Files.isDirectory(worktrees)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(worktrees)) {
      for (Path wt : dirs) {
        Path head = wt.resolve(Constants.HEAD);
        if (Files.isRegularFile(head) && isHeadOf(head, branchRef)) {
          Path gitdirFile = wt.resolve("gitdir");
          if (Files.isRegularFile(gitdirFile)) {
            Path dotGit = Path.of(Files.readString(gitdirFile, StandardCharsets.UTF_8).strip());
            return Optional.of(dotGit.getParent() == null ? dotGit : dotGit.getParent());
          }
          return Optional.of(wt);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isHeadOf(Path head, String branchRef) throws IOException {
    return Files.readString(head, StandardCharsets.UTF_8).strip().equals("ref: " + branchRef);
  }
}
