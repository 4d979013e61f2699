package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.BackendException;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clone mode over smart HTTP against a real Git server ({@code git http-backend}) with Basic
 * authentication: the path HTTPS remotes take, minus TLS.
 */
class GitHttpTest {
  private static final String USER = "bot";
  private static final String TOKEN = "s3cr3t-t0ken-42";

  @TempDir Path tmp;
  private GitHttpServer server;
  private Path remote;

  @BeforeEach
  void start() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("srv"));
    remote = Cli.bare(root, "infra.git");
    server = GitHttpServer.start(root, USER, TOKEN);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.1.1").port(22).user("deploy").build();
  }

  private String uri(String credentials, String clone) {
    return "git+http://" + credentials + "127.0.0.1:" + server.url().substring(server.url().lastIndexOf(':') + 1)
        + "/infra.git?clone=" + tmp.resolve(clone) + "#main:state.json";
  }

  @Test
  void twoMachinesShareAnHttpRemoteWithCredentialsInTheUriThatNeverLeak() throws Exception {
    try (State a = State.open(uri(USER + ":" + TOKEN + "@", "a"), StateOptions.builder().operator("alice@a").build());
        State b = State.open(uri(USER + ":" + TOKEN + "@", "b"), StateOptions.builder().operator("bob@b").build())) {
      a.addHost(host("web01"));
      b.addHost(host("web02"));
      a.addHost(host("web03"));
      assertThat(a.snapshot().hosts().keySet()).containsExactly("web01", "web02", "web03");
      assertThat(b.refresh().hosts().keySet()).containsExactly("web01", "web02", "web03");
      assertThat(a.location()).isEqualTo(server.url().replace("http://", "git+http://") + "/infra.git#main:state.json");
      assertThat(b.history()).hasSize(3);
    }
    assertThat(Cli.git(remote, "log", "--format=%an %s", "main").strip().split("\n"))
        .containsExactly("alice@a Add host web03", "bob@b Add host web02", "alice@a Add host web01");
    for (String clone : new String[] {"a", "b"}) {
      assertThat(Files.readString(tmp.resolve(clone).resolve("config"))).doesNotContain(TOKEN).doesNotContain(USER);
    }
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void credentialsFromAProviderAndLocksOverHttp() throws Exception {
    String url = server.url() + "/infra.git";
    UsernamePasswordCredentialsProvider creds = new UsernamePasswordCredentialsProvider(USER, TOKEN);
    try (GitBackend backend = GitBackend.builder().remote(url).cloneDirectory(tmp.resolve("c")).credentials(creds).build();
        GitLockProvider locks = GitLockProvider.builder().remote(url).cloneDirectory(tmp.resolve("c"))
            .credentials(new UsernamePasswordCredentialsProvider(USER, TOKEN)).build();
        GitLockProvider other = GitLockProvider.builder().remote(url).cloneDirectory(tmp.resolve("d"))
            .credentials(new UsernamePasswordCredentialsProvider(USER, TOKEN)).build();
        State s = State.load(backend)) {
      try (Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow()) {
        assertThat(other.tryAcquire("deploy", LockRequest.of("deploy"))).isEqualTo(Optional.empty());
        assertThat(other.inspect("deploy")).contains(lock.info());
        s.addHost(host("web01"));
      }
      assertThat(other.inspect("deploy")).isEmpty();
    }
    assertThat(Cli.git(remote, "log", "--format=%s", "main").strip()).isEqualTo("Add host web01");
    assertThat(Cli.git(remote, "for-each-ref", "--format=%(refname) %(subject)", "refs/infrastate").strip())
        .isEqualTo("refs/infrastate/locks/deploy Release lock deploy");
  }

  @Test
  void wrongCredentialsAreAClearNonRetryableErrorWithoutTheSecret() {
    String wrong = "not-the-t0ken";
    assertThatThrownBy(() -> State.open(uri(USER + ":" + wrong + "@", "c")))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).contains("refused access", "check the credentials").doesNotContain(wrong);
        });
    assertThat(server.unauthorized.get()).isPositive();
    assertThatThrownBy(() -> State.open(uri("", "d")))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.getMessage()).contains(server.url().substring(7)));
  }
}
