package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README quick start compiles (it is this module's code) and does what the README says. */
class QuickStartTest {
  @TempDir Path tmp;

  @Test
  void quickStartWritesTheStateAndPrintsIt() throws Exception {
    Path file = tmp.resolve("demo-state.json");
    String out = capture(() -> QuickStart.main(new String[] {file.toString()}));
    assertThat(out)
        .contains("host db01   192.168.1.20:22 (databases)")
        .contains("host web01  192.168.1.10:22 (webservers)")
        .contains("linodes: 1")
        .contains("serial 2, lineage ")
        .contains(": provision db tier (ticket OPS-42)")
        .contains(": add host web01");
    try (State state = State.open(file.toString())) {
      assertThat(state.metadata().serial()).isEqualTo(2);
      assertThat(state.getHost("web01").orElseThrow().vars()).containsEntry("http_port", 80);
    }
    // a second run updates in place: same lineage, serial moves on, createdAt kept
    String again = capture(() -> QuickStart.main(new String[] {file.toString()}));
    assertThat(again).contains("serial 4, lineage ");
  }

  @Test
  void readmeQuickStartIsTheCodeThatRuns() throws Exception {
    Path readme = Path.of("..", "README.md");
    String text = Files.readString(readme);
    String source = Files.readString(Path.of("src/main/java/io/infrastate/examples/QuickStart.java"));
    String snippet = between(source, "// --8<-- [start:quickstart]", "// --8<-- [end:quickstart]");
    for (String line : snippet.strip().split("\n")) {
      assertThat(text).as("README must show the quick start as it is in QuickStart.java").contains(line.strip());
    }
  }

  @Test
  void readmeDependencySnippetNamesThisBuildsArtifactsAndVersion() throws Exception {
    String text = Files.readString(Path.of("..", "README.md"));
    int start = text.indexOf("```xml");
    assertThat(start).as("README shows the Maven dependency").isNotNegative();
    String snippet = text.substring(start, text.indexOf("```", start + 3));
    String rootPom = Files.readString(Path.of("..", "pom.xml"));
    String version = between(rootPom, "<artifactId>infrastate-parent</artifactId>", "<packaging>").strip();
    assertThat(version).startsWith("<version>").endsWith("</version>");
    assertThat(snippet).contains(version);
    String bom = Files.readString(Path.of("..", "bom", "pom.xml"));
    assertThat(bom).contains("<artifactId>infrastate-bom</artifactId>", "<artifactId>infrastate-backend-file</artifactId>");
    assertThat(snippet).contains("<artifactId>infrastate-bom</artifactId>", "<artifactId>infrastate-backend-file</artifactId>",
        "<scope>import</scope>");
  }

  static String between(String text, String start, String end) {
    int a = text.indexOf(start);
    int b = text.indexOf(end);
    assertThat(a).isNotNegative();
    assertThat(b).isGreaterThan(a);
    return text.substring(text.indexOf('\n', a) + 1, text.lastIndexOf('\n', b));
  }

  static String capture(Runnable r) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
