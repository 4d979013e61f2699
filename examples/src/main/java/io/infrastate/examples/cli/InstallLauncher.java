package io.infrastate.examples.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code infrastate install-launcher DIR}: writes {@code DIR/infrastate}, a launcher that runs
 * this jar (and its class-data-sharing archive) by absolute path, so it works from any directory
 * and on any {@code PATH}, copied or not. Not thread-safe; picocli makes one per command line.
 */
@Command(
    name = "install-launcher",
    description = {
      "Write DIR/infrastate, a launcher that runs this CLI's jar by its absolute path (for a directory on PATH,"
          + " such as ~/.local/bin). Refuses to replace an existing file unless --force.",
    })
final class InstallLauncher implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "DIR", description = "The directory to write the launcher into (created if missing).")
  Path dir;

  @Option(names = "--force", description = "Replace an existing DIR/infrastate.")
  boolean force;

  @Override
  public Integer call() {
    Path jar = jar();
    Path target = dir.resolve("infrastate");
    if (Files.exists(target) && !force) {
      throw CliException.error(target + " exists; nothing was written. Use --force to replace it");
    }
    String jarText = jar.toString();
    String jsaText = jarText.substring(0, jarText.length() - ".jar".length()) + ".jsa";
    String script = "#!/bin/sh\n"
        + "# infrastate launcher written by 'infrastate install-launcher'; it runs the jar below.\n"
        + "jar=" + shellQuote(jarText) + "\n"
        + "jsa=" + shellQuote(jsaText) + "\n"
        + "if [ ! -f \"$jar\" ]; then\n"
        + "  echo \"infrastate: $jar not found; rebuild it (mvn -B -q package -DskipTests) or install the launcher"
        + " again\" >&2\n"
        + "  exit 1\n"
        + "fi\n"
        + "if [ -f \"$jsa\" ] && [ \"$jsa\" -nt \"$jar\" ]; then\n"
        + "  exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" -XX:SharedArchiveFile=\"$jsa\" -Xlog:cds=off"
        + " -Xlog:cds+dynamic=off -XX:TieredStopAtLevel=1 -jar \"$jar\" \"$@\"\n"
        + "fi\n"
        + "exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" -XX:TieredStopAtLevel=1 -jar \"$jar\" \"$@\"\n";
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".infrastate", ".tmp");
      Files.writeString(tmp, script);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw CliException.error("Cannot write " + target + ": " + Inputs.problem(e));
    }
    spec.commandLine().getOut().println("wrote " + target + " (runs " + jar + ")");
    return InfrastateCli.OK;
  }

  /** The jar this CLI runs from. */
  private static Path jar() {
    Path p;
    try {
      p = Path.of(InfrastateCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      throw CliException.error("Cannot tell which jar this CLI runs from; run it with java -jar infrastate.jar");
    }
    if (!Files.isRegularFile(p) || !p.toString().endsWith(".jar")) {
      throw CliException.error("This CLI runs from " + p + ", not from its jar; build the jar (mvn -B -q package"
          + " -DskipTests) and run install-launcher through ./infrastate");
    }
    return p.toAbsolutePath().normalize();
  }

  /** A single-quoted shell word. */
  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
