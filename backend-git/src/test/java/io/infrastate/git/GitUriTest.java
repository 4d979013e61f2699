package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendRegistry;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code git+…} URI grammar of the package documentation. */
class GitUriTest {
  @TempDir Path tmp;

  private GitBackend open(String uri) {
    return (GitBackend) new GitBackendProvider(tmp.resolve("cache")).open(URI.create(uri));
  }

  @Test
  void theProviderIsFoundByServiceLoaderForEveryScheme() {
    assertThat(BackendRegistry.defaultRegistry().schemes()).contains("git+file", "git+ssh", "git+https", "git+http");
    Path repo = Cli.bare(tmp, "infra.git");
    try (Backend b = BackendRegistry.defaultRegistry().open("git+file://" + repo + "#main:state.json")) {
      assertThat(b).isInstanceOf(GitBackend.class);
    }
  }

  @Test
  void branchAndPathComeFromTheFragmentWithDefaults() {
    Path repo = Cli.bare(tmp, "infra.git");
    String base = "git+file://" + repo;
    try (GitBackend b = open(base)) {
      assertThat(b.branch()).isEqualTo("main");
      assertThat(b.path()).isEqualTo("state.json");
      assertThat(b.location()).isEqualTo(base + "#main:state.json");
    }
    try (GitBackend b = open(base + "#prod")) {
      assertThat(b.branch()).isEqualTo("prod");
      assertThat(b.path()).isEqualTo("state.json");
    }
    try (GitBackend b = open(base + "#:env/prod/state.json")) {
      assertThat(b.branch()).isEqualTo("main");
      assertThat(b.path()).isEqualTo("env/prod/state.json");
    }
    try (GitBackend b = open(base + "#team/infra:a/b:c.json")) {
      assertThat(b.branch()).isEqualTo("team/infra");
      assertThat(b.path()).isEqualTo("a/b:c.json");
    }
  }

  @Test
  void percentEncodedPathsAndParametersAreDecoded() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("with space"));
    Path repo = Cli.bare(dir, "infra.git");
    Path clone = tmp.resolve("clone dir");
    try (GitBackend b = open("git+file://" + repo.toString().replace(" ", "%20") + "?clone=" + clone.toString().replace(" ", "%20")
        + "&timeout=5&fsync=false#main:state.json")) {
      assertThat(b.location()).isEqualTo("git+file://" + repo.toString().replace(" ", "%20") + "#main:state.json");
    }
    assertThat(clone.resolve("objects")).isDirectory();
  }

  @Test
  void createMakesALocalRepositoryOnlyWhenAsked() {
    Path repo = tmp.resolve("new.git");
    assertThatThrownBy(() -> open("git+file://" + repo)).hasMessageContaining("No Git repository at " + repo);
    try (GitBackend b = open("git+file://" + repo + "?create=true#state:state.json")) {
      assertThat(b.branch()).isEqualTo("state");
    }
    assertThat(Cli.git(repo, "symbolic-ref", "HEAD").strip()).isEqualTo("refs/heads/state");
  }

  @Test
  void remoteUrisGetADefaultCloneDirectoryPerRemote() throws Exception {
    try (GitBackend a = open("git+https://git.example.com/ops/infra.git#main:state.json");
        GitBackend b = open("git+https://git.example.com:8443/ops/infra.git#main:state.json")) {
      assertThat(a.location()).isEqualTo("git+https://git.example.com/ops/infra.git#main:state.json");
      assertThat(b.location()).isEqualTo("git+https://git.example.com:8443/ops/infra.git#main:state.json");
    }
    try (var dirs = java.nio.file.Files.list(tmp.resolve("cache"))) {
      assertThat(dirs.map(p -> p.getFileName().toString()))
          .hasSize(2)
          .allMatch(n -> n.matches("git\\.example\\.com-infra\\.git-[0-9a-f]{16}"));
    }
  }

  @Test
  void credentialsNeverAppearInLocationsOrMessages() {
    try (GitBackend b = open("git+https://bot:t0ken-value@git.example.com/ops/infra.git?clone=" + tmp.resolve("c"))) {
      assertThat(b.location()).isEqualTo("git+https://git.example.com/ops/infra.git#main:state.json");
    }
    assertThatThrownBy(() -> open("git+https://bot:t0ken-value@git.example.com/ops/infra.git?bogus=1"))
        .isInstanceOf(UnknownBackendException.class)
        .hasMessageContaining("unknown parameter 'bogus'")
        .hasMessageNotContaining("t0ken-value");
    assertThat(GitUris.redact("https://bot:t0ken-value@h/x.git")).isEqualTo("https://h/x.git");
  }

  @Test
  void malformedUrisAreRefusedNamingWhatIsWrong() {
    Path repo = Cli.bare(tmp, "infra.git");
    String base = "git+file://" + repo;
    assertThatThrownBy(() -> open("git+file://host" + repo)).hasMessageContaining("three slashes");
    assertThatThrownBy(() -> open("git+file:relative/path")).hasMessageContaining("'//'");
    assertThatThrownBy(() -> open(base + "#main:")).hasMessageContaining("path after ':'");
    assertThatThrownBy(() -> open(base + "#bad..branch:state.json")).hasMessageContaining("branch");
    assertThatThrownBy(() -> open(base + "#main:../up.json")).hasMessageContaining("path");
    assertThatThrownBy(() -> open(base + "?create=maybe")).hasMessageContaining("'create' must be true or false");
    assertThatThrownBy(() -> open(base + "?timeout=soon")).hasMessageContaining("'timeout'");
    assertThatThrownBy(() -> open(base + "?clone=/a&clone=/b")).hasMessageContaining("given twice");
    assertThatThrownBy(() -> open("git+https:///ops/infra.git")).hasMessageContaining("host is missing");
    assertThatThrownBy(() -> open("git+https://h/x.git?create=true")).hasMessageContaining("'create'");
    assertThatThrownBy(() -> open("git+ftp://h/x.git")).hasMessageContaining("scheme");
    for (String bad : new String[] {"git+file://host" + repo, base + "#main:", "git+ftp://h/x.git"}) {
      assertThatThrownBy(() -> open(bad)).isInstanceOf(UnknownBackendException.class).hasMessageContaining("expected git+file:///");
    }
  }
}
