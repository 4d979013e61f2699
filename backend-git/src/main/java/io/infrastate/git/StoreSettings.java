package io.infrastate.git;

import java.time.Duration;
import java.util.Objects;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.CredentialsProvider;

/**
 * Where a repository is and how to reach it: the settings behind {@link GitStoreBuilder}, which
 * {@link GitBackend.Builder} and {@link GitLockProvider.Builder} extend. Each may be set once. Not
 * thread-safe.
 */
final class StoreSettings {
  java.nio.file.Path repository;
  String remoteUrl;
  java.nio.file.Path cloneDirectory;
  CredentialsProvider credentials;
  TransportConfigCallback transportConfig;
  Duration timeout;
  Boolean fsync;
  Boolean create;

  void repository(java.nio.file.Path value) {
    requireUnset(repository, "repository");
    requireUnset(remoteUrl, "remote");
    repository = Objects.requireNonNull(value, "repository");
  }

  void remote(String url) {
    requireUnset(remoteUrl, "remote");
    requireUnset(repository, "repository");
    remoteUrl = Objects.requireNonNull(url, "url");
  }

  void cloneDirectory(java.nio.file.Path value) {
    requireUnset(cloneDirectory, "cloneDirectory");
    cloneDirectory = Objects.requireNonNull(value, "directory");
  }

  void credentials(CredentialsProvider value) {
    requireUnset(credentials, "credentials");
    credentials = Objects.requireNonNull(value, "credentials");
  }

  void transportConfig(TransportConfigCallback value) {
    requireUnset(transportConfig, "transportConfig");
    transportConfig = Objects.requireNonNull(value, "callback");
  }

  void timeout(Duration value) {
    requireUnset(timeout, "timeout");
    Objects.requireNonNull(value, "timeout");
    if (value.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("timeout must be at least 1 second: " + value);
    }
    timeout = value;
  }

  void fsync(boolean value) {
    requireUnset(fsync, "fsync");
    fsync = value;
  }

  void createRepository(boolean value) {
    requireUnset(create, "createRepository");
    create = value;
  }

  /** Checks that the settings name exactly one mode; fails naming the setting. */
  void check() {
    if (repository == null && remoteUrl == null) {
      throw new IllegalStateException("set repository(...) for a local repository or remote(...) for a clone");
    }
    if (remoteUrl != null && cloneDirectory == null) {
      throw new IllegalStateException("remote(...) needs cloneDirectory(...): where to keep the clone");
    }
    if (repository != null && cloneDirectory != null) {
      throw new IllegalStateException("cloneDirectory(...) applies to remote(...), not to repository(...)");
    }
    if (remoteUrl != null && create != null) {
      throw new IllegalStateException("createRepository(...) applies to repository(...), not to remote(...)");
    }
  }

  boolean fsyncOrDefault() {
    return fsync == null || fsync;
  }

  int timeoutSeconds() {
    return (int) Math.min(Integer.MAX_VALUE, timeout == null ? 30 : timeout.getSeconds());
  }

  private static void requireUnset(Object current, String name) {
    if (current != null) {
      Object shown = name.equals("remote") ? GitUris.redact(String.valueOf(current)) : current;
      throw new IllegalStateException(name + " was already set to " + shown);
    }
  }
}
