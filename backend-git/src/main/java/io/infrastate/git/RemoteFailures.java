package io.infrastate.git;

import io.infrastate.model.BackendException;
import java.util.Locale;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.URIish;

/**
 * What a Git remote's failures mean and what the user should do about them: a read that failed
 * (no repository, refused credentials, unreachable), a push the remote refused because another
 * writer held the ref, and the notes on SSH that JGit's own messages leave out. Messages never
 * carry credentials ({@link RefStore#redact}). Stateless.
 */
final class RemoteFailures {
  private RemoteFailures() {}

  /** A failure to read from the remote, as the {@link BackendException} that says what to do. */
  static BackendException readFailure(RefStore store, String context, TransportException e) {
    RefStore.Remote remote = store.remote;
    if (e instanceof NoRemoteRepositoryException) {
      return new BackendException(
          "No Git repository at " + remote.display() + " (for " + context + "): " + store.redact(e.getMessage())
              + ". Nothing was read or written; check the URL, that the repository exists, and the"
              + " credentials' access to it.",
          null,
          true);
    }
    if (isAuthFailure(e)) {
      return new BackendException(
          "The Git remote " + remote.display() + " refused access to " + context + ": " + store.redact(e.getMessage())
              + ". Nothing was written and the local state is unchanged; check the credentials (user name,"
              + " token or key) and their permissions on the repository.",
          null,
          false);
    }
    return new BackendException(
        "Could not reach the Git remote " + remote.display() + " to read " + context + ": "
            + store.redact(e.getMessage()) + sshNote(remote.uri()) + ". Nothing was written and the local state is"
            + " unchanged; check the network and retry.",
        null,
        true);
  }

  /** Without an SSH library JGit runs the system {@code ssh} command: say so, since it matters. */
  static String sshNote(URIish uri) {
    if (isSsh(uri) && SshSessionFactory.getInstance() == null) {
      return " (JGit ran the system `ssh` command, as no SSH library is on the class path; its errors,"
          + " keys and ~/.ssh/config apply. Add org.eclipse.jgit:org.eclipse.jgit.ssh.apache to use JGit's own"
          + " SSH client)";
    }
    return "";
  }

  static String missingSshHint(URIish uri) {
    if (isSsh(uri) && SshSessionFactory.getInstance() == null) {
      return ". SSH needs JGit's SSH support on the class path: add org.eclipse.jgit:org.eclipse.jgit.ssh.apache"
          + " (same version as org.eclipse.jgit), or install a SshSessionFactory with transportConfig(...).";
    }
    return ".";
  }

  static boolean isSsh(URIish uri) {
    String s = uri.getScheme();
    return s == null ? uri.getHost() != null : s.toLowerCase(Locale.ROOT).contains("ssh");
  }

  /**
   * Whether a receive-pack rejection reports a concurrent update of the ref: JGit answers "failed
   * to lock", or "lock error: …" when it could not even create the ref's {@code .lock} file (its
   * directory was removed by a concurrent deletion of the last ref in it); git answers "failed to
   * lock", "cannot lock ref '…': is at … but expected …" or "failed to update ref". In every case
   * nothing was written.
   */
  static boolean isLockContention(String message) {
    if (message == null) {
      return false;
    }
    String m = message.toLowerCase(Locale.ROOT);
    return m.contains("failed to lock") || m.contains("cannot lock") || m.contains("unable to lock")
        || m.contains("lock error") || m.contains("failed to update ref") || m.contains("but expected");
  }

  private static boolean isAuthFailure(TransportException e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    return m.contains("not authorized") || m.contains("authentication") || m.contains("auth fail")
        || m.contains("permission denied") || m.contains(" 401") || m.contains(" 403");
  }
}
