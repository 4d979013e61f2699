package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.Processes.Result;
import io.infrastate.testkit.DocBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the CLI tour of docs/cli.md as written (through the real launcher) and checks what it prints. */
class ReadmeCliTourIT {
  private static final Pattern HISTORY_ROW = Pattern.compile("^(\\d+)\\s+\\d{4}-\\S+\\s+\\S+\\s+(.*)$");

  @TempDir Path tmp;

  @Test
  void theCliTourPrintsWhatTheReadmeShows() throws Exception {
    String commands = pageBlock("cli-tour");
    String expected = pageBlock("cli-tour-output");
    String script = "set -e\n" + commands.replace("./infrastate", Processes.REPO.resolve("infrastate").toString());
    Result r = Processes.run(tmp, Map.of(), List.of("sh", "-c", script));
    assertThat(r.code()).as(r.toString()).isZero();
    List<String> out = r.out().lines().map(String::stripTrailing).toList();
    for (String line : expected.lines().map(String::stripTrailing).toList()) {
      Matcher m = HISTORY_ROW.matcher(line);
      if (m.matches()) {
        String serial = m.group(1);
        String message = m.group(2);
        assertThat(out).as(r.toString()).anySatisfy(o -> assertThat(o).startsWith(serial + " ").endsWith(message));
      } else if (line.startsWith("SERIAL")) {
        assertThat(out).anySatisfy(o -> assertThat(o).startsWith("SERIAL").contains("OPERATOR").endsWith("MESSAGE"));
      } else {
        assertThat(out).as(r.toString()).contains(line);
      }
    }
    assertThat(tmp.resolve("state.json")).exists();
  }

  /** The scripting commands, run after the tour on its state, print exactly what the page shows. */
  @Test
  void theScriptingCommandsPrintWhatThePageShows() throws Exception {
    assertThat(afterTour("scripting")).isEqualTo(pageBlock("cli-scripting-output"));
    assertThat(tmp.resolve("nowhere.json")).doesNotExist();
  }

  /** The patch, filter, dry-run and import commands, run after the tour, print exactly what the page shows. */
  @Test
  void theVerbCommandsPrintWhatThePageShows() throws Exception {
    assertThat(afterTour("verbs").lines().map(String::stripTrailing).toList())
        .isEqualTo(pageBlock("cli-verbs-output").lines().map(String::stripTrailing).toList());
  }

  /**
   * Runs the page's tour and then its block {@code cli-NAME} through the launcher in one shell that
   * stops at the first failure, and returns what the block printed.
   */
  private String afterTour(String name) throws Exception {
    String launcher = Processes.REPO.resolve("infrastate").toString();
    String script = "set -e\n" + pageBlock("cli-tour").replace("./infrastate", launcher) + "echo '--- " + name + "'\n"
        + pageBlock("cli-" + name).replace("./infrastate", launcher);
    Result r = Processes.run(tmp, Map.of(), List.of("sh", "-c", script));
    assertThat(r.code()).as(r.toString()).isZero();
    String marker = "--- " + name + "\n";
    return r.out().substring(r.out().indexOf(marker) + marker.length());
  }

  /** The block of docs/cli.md between {@code <!-- NAME:start -->} and {@code <!-- NAME:end -->}. */
  private static String pageBlock(String name) throws java.io.IOException {
    String page = Files.readString(Processes.REPO.resolve("docs/cli.md"));
    return DocBlocks.code(page, name);
  }
}
