package io.infrastate.git;

import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;

/**
 * The settings every Git builder shares: where the repository is ({@link #repository(Path)} for a
 * local one, or {@link #remote(String)} with {@link #cloneDirectory(Path)} for a clone of a remote)
 * and how to reach and write it. {@link GitBackend.Builder} and {@link GitLockProvider.Builder}
 * extend it. Each setting may be set once. Not thread-safe.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class GitStoreBuilder<B extends GitStoreBuilder<B>> {
  final StoreSettings store = new StoreSettings();

  /** Only this package's builders extend this class. */
  GitStoreBuilder() {}

  /** This builder, as its concrete type. */
  abstract B self();

  /**
   * Uses a repository on this machine directly (local mode): its {@code .git} directory, a bare
   * repository, or a work tree containing {@code .git}.
   *
   * @param repository the repository path
   * @return this builder
   * @throws IllegalStateException if a repository or remote was already set
   */
  public B repository(Path repository) {
    store.repository(repository);
    return self();
  }

  /**
   * Uses a clone of a remote (clone mode): a path, {@code file://}, {@code ssh://}, {@code
   * user@host:path} or {@code https://} URL, as {@code git clone} accepts. A password or token in
   * the URL is used as credentials and never written to disk or into messages.
   *
   * @param url the remote's URL
   * @return this builder
   * @throws IllegalStateException if a repository or remote was already set
   */
  public B remote(String url) {
    store.remote(url);
    return self();
  }

  /**
   * Where clone mode keeps its bare clone; created if missing. Several backends, lock providers and
   * processes may share one directory for the same remote.
   *
   * @param directory the clone directory
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B cloneDirectory(Path directory) {
    store.cloneDirectory(directory);
    return self();
  }

  /**
   * Credentials for the remote (JGit's standard mechanism), such as a {@link
   * UsernamePasswordCredentialsProvider} with a token. Default: credentials in the URL, else
   * {@link CredentialsProvider#getDefault()}.
   *
   * @param credentials the provider
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B credentials(CredentialsProvider credentials) {
    store.credentials(credentials);
    return self();
  }

  /**
   * A callback that configures every JGit {@link org.eclipse.jgit.transport.Transport} before
   * use: an SSH session factory, HTTP settings, or the {@code receive-pack} program. Called after
   * the credentials and timeout are set.
   *
   * @param callback the callback
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B transportConfig(TransportConfigCallback callback) {
    store.transportConfig(callback);
    return self();
  }

  /**
   * The network timeout for fetch and push; default 30 seconds.
   *
   * @param timeout at least one second
   * @return this builder
   * @throws IllegalStateException if already set
   * @throws IllegalArgumentException if shorter than one second
   */
  public B timeout(Duration timeout) {
    store.timeout(timeout);
    return self();
  }

  /**
   * Whether objects and refs are fsynced before a write returns; default {@code true}, so that a
   * completed write survives a power loss. {@code false} trades that for speed, as the {@code git}
   * CLI does by default for loose objects and refs.
   *
   * @param fsync whether to fsync
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B fsync(boolean fsync) {
    store.fsync(fsync);
    return self();
  }

  /**
   * Local mode: create a bare repository at {@link #repository(Path)} if nothing is there (its
   * HEAD pointing at the state's branch); default {@code false}, so that a typo does not start a
   * new state somewhere else.
   *
   * @param create whether to create a missing repository
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B createRepository(boolean create) {
    store.createRepository(create);
    return self();
  }
}
