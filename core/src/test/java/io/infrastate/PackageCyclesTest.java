package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Core's packages form layers: jdeps, run on the compiled main classes, finds no cycle between
 * them. On failure the message names one cycle and the classes behind each of its edges.
 */
class PackageCyclesTest {
  private static final Pattern EDGE = Pattern.compile("^\\s+(io\\.infrastate[\\w.$]*)\\s+->\\s+(io\\.infrastate[\\w.$]*)\\s");

  @Test
  void corePackagesHaveNoCycle() throws Exception {
    Path classes = Paths.get(State.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(Files.isDirectory(classes.resolve("io/infrastate"))).as("compiled classes in %s", classes).isTrue();
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // Only the io.infrastate packages, read as plain classes (not as a module) so that every
    // class-to-class edge shows.
    int rc = jdeps.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        "-verbose:class", "-filter:none", "--ignore-missing-deps", "-classpath", classes.toString(),
        classes.resolve("io").toString());
    assertThat(rc).as("jdeps: %s", err.toString(StandardCharsets.UTF_8)).isZero();

    Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      Matcher m = EDGE.matcher(line);
      if (m.find()) {
        String from = packageOf(m.group(1));
        String to = packageOf(m.group(2));
        if (!from.equals(to)) {
          graph.computeIfAbsent(from, k -> new TreeMap<>()).computeIfAbsent(to, k -> new TreeSet<>())
              .add(simple(m.group(1)) + " -> " + simple(m.group(2)));
        }
      }
    }
    assertThat(graph).as("jdeps found edges between core's packages").isNotEmpty();
    List<String> cycle = findCycle(graph);
    StringBuilder why = new StringBuilder();
    for (int i = 0; i + 1 < cycle.size(); i++) {
      why.append("\n  ").append(cycle.get(i)).append(" -> ").append(cycle.get(i + 1)).append(" through ")
          .append(graph.get(cycle.get(i)).get(cycle.get(i + 1)));
    }
    assertThat(cycle).as("a package cycle in core:%s", why).isEmpty();
  }

  private static String packageOf(String className) {
    return className.substring(0, className.lastIndexOf('.'));
  }

  private static String simple(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  /** A cycle as a path that starts and ends at the same package, or an empty list. */
  static List<String> findCycle(Map<String, Map<String, Set<String>>> graph) {
    Map<String, Integer> state = new TreeMap<>(); // 1: on the path, 2: done
    List<String> path = new ArrayList<>();
    for (String start : graph.keySet()) {
      List<String> found = visit(start, graph, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    return List.of();
  }

  private static List<String> visit(
      String node, Map<String, Map<String, Set<String>>> graph, Map<String, Integer> state, List<String> path) {
    Integer seen = state.get(node);
    if (seen != null) {
      if (seen == 1) {
        List<String> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
        cycle.add(node);
        return cycle;
      }
      return List.of();
    }
    state.put(node, 1);
    path.add(node);
    for (String next : graph.getOrDefault(node, Map.of()).keySet()) {
      List<String> found = visit(next, graph, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    path.remove(path.size() - 1);
    state.put(node, 2);
    return List.of();
  }

  @Test
  void findsACycleAndNamesItsPackages() {
    Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
    graph.put("a", Map.of("b", Set.of("A -> B")));
    graph.put("b", Map.of("c", Set.of("B -> C")));
    graph.put("c", Map.of("a", Set.of("C -> A")));
    assertThat(findCycle(graph)).containsExactly("a", "b", "c", "a");
    graph.put("c", Map.of());
    assertThat(findCycle(graph)).isEmpty();
  }
}
