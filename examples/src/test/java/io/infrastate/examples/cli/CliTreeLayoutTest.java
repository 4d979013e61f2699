package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.testkit.DocBlocks;
import io.infrastate.testkit.JvmProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Git tree layout through the command line: writers in separate processes, each with its own
 * clone of one bare remote, lose nothing; {@code state migrate} converts a state both ways.
 */
class CliTreeLayoutTest {
  @TempDir Path tmp;

  /** A writer process: adds its hosts one command line each, into the state named. */
  public static final class Writer {
    private Writer() {}

    /**
     * Adds hosts {@code PREFIX-0} to {@code PREFIX-(N-1)}, one {@code host add} each; exits with the
     * first failure's exit code.
     *
     * @param args state URI, host name prefix, number of hosts
     */
    public static void main(String[] args) {
      for (int i = 0; i < Integer.parseInt(args[2]); i++) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = InfrastateCli.execute(new String[] {"--state", args[0], "--operator", args[1] + "@proc", "host", "add",
            args[1] + "-" + i, "--address", "10.0.0." + i}, new PrintWriter(out, true), new PrintWriter(err, true), Map.of());
        if (code != 0) {
          System.out.println("host add failed: exit " + code + "\n" + out + err);
          System.exit(code);
        }
      }
    }
  }

  private Processes.Result git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Processes.Result r = Processes.run(dir, Map.of(), cmd);
    assertThat(r.code()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void threeProcessesWritingFifteenHostsEachIntoOneRemoteLoseNothing() throws Exception {
    Path remote = tmp.resolve("infra.git");
    git(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
    List<JvmProcess> writers = new ArrayList<>();
    try {
      for (String p : List.of("a", "b", "c")) {
        Path clone = Files.createDirectories(tmp.resolve("clone-" + p));
        String uri = "git+file://" + remote + "?layout=tree&clone=" + clone + "#main:state.json";
        writers.add(JvmProcess.start(Writer.class, tmp.resolve(p + ".log"), uri, p, "15"));
      }
      for (JvmProcess w : writers) {
        assertThat(w.await(10, TimeUnit.MINUTES)).as(w.output()).isZero();
      }
    } finally {
      writers.forEach(JvmProcess::close);
    }
    String state = "git+file://" + remote + "#main:state.json";
    Result list = CliRunner.raw(Map.of(), "--state", state, "--json", "state", "list");
    assertThat(list.code()).as(list.toString()).isZero();
    Set<String> hosts = new HashSet<>();
    list.json().get("hosts").forEach(h -> hosts.add(h.asString()));
    assertThat(hosts).hasSize(45);
    assertThat(list.json().get("serial").asLong()).isEqualTo(45);
    assertThat(git(remote, "rev-list", "--count", "main").out().strip()).isEqualTo("45");
    assertThat(git(remote, "ls-tree", "-r", "--name-only", "main", "hosts").out().strip().split("\n")).hasSize(45);
    git(remote, "fsck", "--strict", "--no-dangling");
  }

  /** Runs the command lines of docs/git.md, "Tree layout", on a repository of its own. */
  @Test
  void theDocsCommandLinesRun() throws Exception {
    String text = Files.readString(Processes.REPO.resolve("docs/git.md"));
    String block = DocBlocks.marked(text, "tree-cli");
    Path remote = tmp.resolve("infra.git");
    git(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
    List<String> outputs = new ArrayList<>();
    int run = 0;
    for (String line : block.split("\n")) {
      if (!line.startsWith("infrastate ") && !line.startsWith("git ")) {
        continue;
      }
      List<String> args = new ArrayList<>();
      for (String word : line.replace("/srv/infra.git", remote.toString()).split(" ")) {
        args.add(word.startsWith("'") && word.endsWith("'") ? word.substring(1, word.length() - 1) : word);
      }
      if (args.get(0).equals("git")) {
        outputs.add(git(tmp, args.subList(1, args.size()).toArray(String[]::new)).out().strip());
      } else {
        Result r = CliRunner.raw(Map.of(), args.subList(1, args.size()).toArray(String[]::new));
        assertThat(r.code()).as(line + "\n" + r).isZero();
      }
      run++;
    }
    assertThat(run).isEqualTo(4);
    assertThat(outputs).containsExactly("Add host web01");
    assertThat(git(remote, "show", "main:hosts/7f/web01.json").out()).contains("\"address\": \"10.0.0.5\"");
  }

  @Test
  void stateMigrateConvertsBothWaysInOneCommitEach() throws Exception {
    Path remote = tmp.resolve("infra.git");
    git(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
    String state = "git+file://" + remote + "#main:state.json";
    assertThat(CliRunner.raw(Map.of(), "--state", state, "host", "add", "web01", "--address", "10.0.0.1").code()).isZero();
    byte[] single = git(remote, "show", "main:state.json").out().getBytes(java.nio.charset.StandardCharsets.UTF_8);

    Result toTree = CliRunner.raw(Map.of(), "--state", state, "state", "migrate", "--layout", "tree");
    assertThat(toTree.code()).as(toTree.toString()).isZero();
    assertThat(toTree.out()).contains("to the tree layout in one commit");
    assertThat(git(remote, "ls-tree", "--name-only", "main").out().strip().split("\n"))
        .containsExactly("hosts", "metadata.json", "state.json");
    Result again = CliRunner.raw(Map.of(), "--state", state, "--json", "state", "migrate", "--layout", "tree");
    assertThat(again.json().get("changed").asBoolean()).isFalse();

    Result back = CliRunner.raw(Map.of(), "--state", state, "state", "migrate", "--layout", "single");
    assertThat(back.code()).as(back.toString()).isZero();
    assertThat(git(remote, "show", "main:state.json").out().getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(single);
    assertThat(git(remote, "rev-list", "--count", "main").out().strip()).isEqualTo("3");

    Result bad = CliRunner.raw(Map.of(), "--state", state, "state", "migrate", "--layout", "flat");
    assertThat(bad.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(bad.err()).contains("--layout tree or --layout single").doesNotContain("\tat ");
    Result file = CliRunner.raw(Map.of(), "--state", tmp.resolve("s.json").toString(), "state", "migrate", "--layout",
        "tree");
    assertThat(file.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(file.err()).contains("converts Git states").doesNotContain("\tat ");
  }
}
