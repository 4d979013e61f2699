package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.examples.Processes.Result;
import io.infrastate.file.FileBackendProvider;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application on the module path, as a user builds it: the packaged core and file backend jars
 * and the third-party modules they require (Jackson, SLF4J) on {@code --module-path}, no {@code
 * --add-modules}, no class path. The application's module requires only {@code io.infrastate.core};
 * the file backend is bound through core's {@code uses}/{@code provides} service declaration and
 * Jackson through core's {@code requires}. The consumer's sources are in {@code
 * src/test/resources/module-consumer}; they are compiled with {@code javac} and run with {@code
 * java -m} in child processes.
 */
class ModulePathIT {
  @TempDir Path tmp;

  @Test
  void aModularApplicationOpensAStateByUriWithoutAddModules() throws Exception {
    String modulePath = modulePath();
    Path classes = compile("module-consumer", modulePath);
    assertThat(classes.resolve("module-info.class")).exists();

    String uri = tmp.resolve("state.json").toUri().toString();
    Result run = Processes.run(tmp, Map.of(), List.of(
        Processes.java(), "--module-path", modulePath + File.pathSeparator + classes,
        "-m", "consumer/consumer.Main", uri));

    assertThat(run.code()).as(run.toString()).isZero();
    assertThat(run.out()).as(run.toString())
        .contains("schemes [file]")
        .contains("read web01 10.0.0.1:22 (webservers) serial 1 from io.infrastate.core");
    assertThat(run.err()).as(run.toString()).doesNotContain("Exception").doesNotContain("Error");
    assertThat(Files.readString(tmp.resolve("state.json"))).contains("\"web01\"").contains("10.0.0.1");
  }

  @Test
  void coreDoesNotExportItsInternalPackage() throws Exception {
    Path out = tmp.resolve("intruder-classes");
    Result javac = javac("module-intruder", modulePath(), out);
    assertThat(javac.code()).as(javac.toString()).isNotZero();
    assertThat(javac.out() + javac.err()).as(javac.toString())
        .contains("package io.infrastate.internal is not visible")
        .contains("does not export it to module intruder");
  }

  /** The jars of the core and file modules and of the modules they require, as the build resolved them. */
  private static String modulePath() throws URISyntaxException, ClassNotFoundException {
    List<Path> entries = new ArrayList<>();
    // SLF4J by name: it is core's dependency, not one of this module's
    for (Class<?> c : List.of(State.class, FileBackendProvider.class,
        tools.jackson.core.JacksonException.class, Class.forName("org.slf4j.Logger"))) {
      entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
    }
    for (Path p : entries) {
      assertThat(p).as("module path entry").exists();
    }
    return entries.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
  }

  private Path compile(String sources, String modulePath) throws IOException, InterruptedException, URISyntaxException {
    Path out = tmp.resolve(sources + "-classes");
    Result javac = javac(sources, modulePath, out);
    assertThat(javac.code()).as(javac.toString()).isZero();
    return out;
  }

  private Result javac(String sources, String modulePath, Path out) throws IOException, InterruptedException, URISyntaxException {
    Path dir = Path.of(ModulePathIT.class.getResource("/" + sources).toURI());
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
        "--module-path", modulePath, "-d", out.toString()));
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).sorted().forEach(command::add);
    }
    return Processes.run(tmp, Map.of(), command);
  }
}
