package io.infrastate.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the examples of a Markdown page and of a test's own source, so that a test can run what a
 * page shows and check that the page shows what the test runs. A page marks a block with {@code
 * <!-- NAME:start -->} and {@code <!-- NAME:end -->} around a fenced code block; a test marks its
 * copy with the comment lines {@code // example:start} and {@code // example:end}. Stateless and
 * thread-safe.
 */
public final class DocBlocks {
  private static final String EXAMPLE_START = "// example" + ":start";
  private static final String EXAMPLE_END = "// example" + ":end";

  private DocBlocks() {}

  /**
   * The code of the fenced block between a page's {@code <!-- name:start -->} and {@code <!--
   * name:end -->} markers, without the fence lines.
   *
   * @param page the page's text
   * @param name the block's name
   * @return the lines between the opening fence and the closing one
   * @throws IllegalArgumentException if the page has no such block or the block no fenced code
   */
  public static String code(String page, String name) {
    String body = marked(page, name);
    int fence = body.indexOf("```");
    int close = body.lastIndexOf("```");
    if (fence < 0 || close == fence) {
      throw new IllegalArgumentException("The block " + name + " has no fenced code");
    }
    return body.substring(body.indexOf('\n', fence) + 1, close);
  }

  /**
   * The text between a page's {@code <!-- name:start -->} and {@code <!-- name:end -->} markers.
   *
   * @param page the page's text
   * @param name the block's name
   * @return the text between the markers, fences and all
   * @throws IllegalArgumentException if either marker is missing
   */
  public static String marked(String page, String name) {
    String start = "<!-- " + name + ":start -->";
    int a = page.indexOf(start);
    int b = page.indexOf("<!-- " + name + ":end -->");
    if (a < 0 || b < a) {
      throw new IllegalArgumentException("The page has no block marked " + start);
    }
    return page.substring(a + start.length(), b);
  }

  /**
   * The lines of a test's source between its {@code // example:start} and {@code // example:end}
   * comments.
   *
   * @param source the test's source file
   * @return the lines between the two comments
   * @throws IllegalArgumentException if either comment is missing
   * @throws UncheckedIOException if the file cannot be read
   */
  public static String example(Path source) {
    String text;
    try {
      text = Files.readString(source);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int a = text.indexOf(EXAMPLE_START);
    int b = text.indexOf(EXAMPLE_END);
    if (a < 0 || b < a) {
      throw new IllegalArgumentException(source + " has no example between " + EXAMPLE_START + " and " + EXAMPLE_END);
    }
    return text.substring(a + EXAMPLE_START.length(), b);
  }

  /**
   * Code as compared: each line without its indentation, and without the lines that contain one of
   * {@code testOnly} (what the test adds to check the example).
   *
   * @param code the code
   * @param testOnly texts marking the lines to leave out
   * @return the normalized code, one line per line
   */
  public static String normalize(String code, String... testOnly) {
    StringBuilder sb = new StringBuilder();
    lines:
    for (String line : code.strip().split("\n")) {
      for (String t : testOnly) {
        if (line.contains(t)) {
          continue lines;
        }
      }
      sb.append(line.strip()).append('\n');
    }
    return sb.toString();
  }
}
