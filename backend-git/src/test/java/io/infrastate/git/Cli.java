package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code git} CLI for interop checks, as a person would, with a fixed identity. */
final class Cli {
  private Cli() {}

  /** The outcome of one command. */
  record Result(int exit, String out, String err) {}

  /** Runs {@code git args...} in {@code dir}; fails the test unless it exits 0. */
  static String git(Path dir, String... args) {
    Result r = run(dir, Map.of(), args);
    assertThat(r.exit()).as("git %s failed: %s", String.join(" ", args), r.err()).isZero();
    return r.out();
  }

  /** Runs {@code git args...} in {@code dir} with extra environment variables. */
  static Result run(Path dir, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("git");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    Map<String, String> e = pb.environment();
    e.put("GIT_AUTHOR_NAME", "Pat Person");
    e.put("GIT_AUTHOR_EMAIL", "pat@example.com");
    e.put("GIT_COMMITTER_NAME", "Pat Person");
    e.put("GIT_COMMITTER_EMAIL", "pat@example.com");
    e.put("GIT_CONFIG_NOSYSTEM", "1");
    e.put("GIT_TERMINAL_PROMPT", "0");
    e.putAll(env);
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      byte[][] streams = new byte[2][];
      Thread errReader = new Thread(() -> {
        try {
          streams[1] = p.getErrorStream().readAllBytes();
        } catch (IOException ex) {
          streams[1] = ex.toString().getBytes(StandardCharsets.UTF_8);
        }
      });
      errReader.start();
      streams[0] = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("git " + String.join(" ", args) + " did not finish");
      }
      errReader.join();
      return new Result(p.exitValue(), new String(streams[0], StandardCharsets.UTF_8),
          new String(streams[1], StandardCharsets.UTF_8));
    } catch (IOException e2) {
      throw new AssertionError("cannot run git", e2);
    } catch (InterruptedException e2) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e2);
    }
  }

  /** Runs {@code git args...} with {@code stdin} as input; returns stdout as bytes (exit code must be 0). */
  static byte[] gitBytes(Path dir, byte[] stdin, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("git");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
    try {
      Process p = pb.start();
      Thread writer = new Thread(() -> {
        try (var out = p.getOutputStream()) {
          out.write(stdin);
        } catch (IOException e) {
          // the command may not read its input
        }
      });
      writer.start();
      byte[] out = p.getInputStream().readAllBytes();
      writer.join();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("git " + String.join(" ", args) + " failed");
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError("cannot run git", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The raw content of a file at the tip of a branch, or null if the branch or file is absent. */
  static byte[] show(Path repo, String branch, String path) {
    Result r = run(repo, Map.of(), "cat-file", "-e", branch + ":" + path);
    if (r.exit() != 0) {
      return null;
    }
    return gitBytes(repo, new byte[0], "cat-file", "blob", branch + ":" + path);
  }

  /**
   * Commits raw content as a top-level file with git plumbing, as a person's tool would: keeps the
   * other top-level entries, moves the branch with a compare-and-swap on its old value.
   */
  static String commitFile(Path repo, String branch, String file, byte[] content, String message) {
    String blob = new String(gitBytes(repo, content, "hash-object", "-w", "--stdin"), StandardCharsets.UTF_8).strip();
    String old = tip(repo, branch);
    StringBuilder tree = new StringBuilder();
    if (!old.isEmpty()) {
      for (String line : git(repo, "ls-tree", old).split("\n")) {
        if (!line.isEmpty() && !line.endsWith("\t" + file)) {
          tree.append(line).append('\n');
        }
      }
    }
    tree.append("100644 blob ").append(blob).append('\t').append(file).append('\n');
    String treeId = new String(gitBytes(repo, tree.toString().getBytes(StandardCharsets.UTF_8), "mktree"), StandardCharsets.UTF_8).strip();
    List<String> args = new ArrayList<>(List.of("commit-tree", treeId, "-m", message));
    if (!old.isEmpty()) {
      args.add("-p");
      args.add(old);
    }
    String commit = git(repo, args.toArray(new String[0])).strip();
    git(repo, "update-ref", "refs/heads/" + branch, commit, old.isEmpty() ? "0".repeat(40) : old);
    return commit;
  }

  /** A new bare repository whose HEAD is {@code main}. */
  static Path bare(Path parent, String name) {
    Path repo = parent.resolve(name);
    git(parent, "init", "-q", "--bare", "-b", "main", repo.toString());
    return repo;
  }

  /** A person's clone of {@code remote}. */
  static Path personClone(Path remote, Path where) {
    git(where.getParent(), "clone", "-q", remote.toString(), where.toString());
    return where;
  }

  /** The tip of a branch, or empty if it does not exist. */
  static String tip(Path repo, String branch) {
    Result r = run(repo, Map.of(), "rev-parse", "--verify", "-q", "refs/heads/" + branch);
    return r.exit() == 0 ? r.out().strip() : "";
  }

  /** Number of commits on {@code branch} that touched {@code path}. */
  static int commitsTouching(Path repo, String branch, String path) {
    String out = git(repo, "log", "--oneline", branch, "--", path);
    return out.isBlank() ? 0 : out.strip().split("\n").length;
  }
}
