package io.infrastate.git;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.StoredState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The state's history, behind {@link GitBackend}: the commits of the branch that changed the state
 * file ({@code git log -- PATH}), listed as versions ({@link #history}) and read back by serial
 * ({@link #at}, which a rollback uses).
 *
 * <h2>Serials in the history</h2>
 *
 * A commit's serial comes from its {@code Infrastate-Serial} trailer; a person's commit without it
 * is numbered as {@link ExternalCommits#asVersion} says, from the file and the history before it.
 * Commits whose file cannot be read (damaged, deleted) are left out of the list; {@link #at} fails
 * only when the commit that its trailer names as that serial is damaged. The history is read from
 * the tip at each call (in clone mode, the remote's), so it never lags the state.
 *
 * <p>Not thread-safe: {@link GitBackend} calls it under its own lock.
 */
final class BranchHistory {
  private final BranchFile file;

  BranchHistory(BranchFile file) {
    this.file = file;
  }

  /** The newest {@code limit} versions, newest first. */
  List<VersionInfo> history(int limit) throws IOException {
    BranchFile.Tip tip = file.readTip();
    List<VersionInfo> out = new ArrayList<>();
    if (tip.commit() == null) {
      return out;
    }
    try (RevWalk rw = file.fileHistory(tip.commit())) {
      for (RevCommit c : rw) {
        OptionalLong serial = serialOf(rw.getObjectReader(), c);
        if (serial.isPresent()) {
          PersonIdent author = c.getAuthorIdent();
          out.add(new VersionInfo(
              serial.getAsLong(),
              author.getWhenAsInstant(),
              CommitFormat.operator(author),
              CommitFormat.operation(c),
              CommitFormat.reason(c),
              CommitFormat.locks(c)));
          if (out.size() >= limit) {
            break;
          }
        }
      }
    }
    return out;
  }

  /** The state file at the newest commit of the branch that holds this serial. */
  Optional<StoredState> at(long serial) throws IOException {
    BranchFile.Tip tip = file.readTip();
    if (tip.commit() == null) {
      return Optional.empty();
    }
    try (RevWalk rw = file.fileHistory(tip.commit())) {
      ObjectReader reader = rw.getObjectReader();
      for (RevCommit c : rw) {
        OptionalLong recorded = CommitFormat.serial(c);
        if (recorded.isPresent() && recorded.getAsLong() != serial) {
          continue;
        }
        ObjectId blob = file.blobOrNull(reader, c);
        if (blob == null) {
          continue;
        }
        Snapshot s;
        try {
          s = file.decode(reader, c, blob, file.sourceAt(c),
              "earlier versions are in `git log -- " + file.path + "`");
        } catch (CorruptStateException e) {
          if (recorded.isPresent()) {
            throw e;
          }
          continue;
        }
        s = file.external.asVersion(reader, c, s);
        if (s.metadata().serial() == serial) {
          return Optional.of(new StoredState(s, BranchFile.token(s, c, blob)));
        }
      }
    }
    return Optional.empty();
  }

  private OptionalLong serialOf(ObjectReader reader, RevCommit c) throws IOException {
    OptionalLong recorded = CommitFormat.serial(c);
    ObjectId blob = file.blobOrNull(reader, c);
    if (blob == null) {
      return OptionalLong.empty();
    }
    if (recorded.isPresent()) {
      return recorded;
    }
    try {
      Snapshot s = file.decode(reader, c, blob, file.sourceAt(c), "");
      return OptionalLong.of(file.external.asVersion(reader, c, s).metadata().serial());
    } catch (StateException e) {
      return OptionalLong.empty();
    }
  }
}
