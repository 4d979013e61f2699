package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.testkit.JvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPLoggerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * A command-line run's first load starts nothing it does not use. A run that logs nothing never
 * starts SLF4J: core and the file backend create their loggers on first use (checked in a fresh
 * JVM whose SLF4J provider, chosen with the {@code slf4j.provider} property, records whether SLF4J
 * ever initialized it). A run that only loads loads Jackson's streaming parser and neither
 * databind nor the writer's factory and layout, which writing loads (checked in a fresh JVM that
 * logs the classes it loads).
 */
class QuietStartTest {
  @TempDir Path tmp;

  @Test
  void loadingAndWritingAStateThatLogsNothingNeverStartsSlf4j() throws Exception {
    Path file = tmp.resolve("state.json");
    assertThat(runChild(file, "file")).contains("slf4j started: false");
    assertThat(runChild(file, "journal")).contains("slf4j started: false");
  }

  @Test
  void theFirstMessageStartsIt() throws Exception {
    // the probe can fail: a stale temporary file makes the first write log its removal
    Path file = tmp.resolve("state.json");
    Files.writeString(tmp.resolve(".state.json.123.tmp"), "left by a crashed writer");
    assertThat(runChild(file, "file")).contains("slf4j started: true");
    assertThat(tmp.resolve(".state.json.123.tmp")).doesNotExist();
  }

  @Test
  void loadingAStateNeverLoadsDatabindOrTheWritersLayout() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = FileBackend.at(file); State state = State.load(backend)) {
      state.addHost(HostState.builder("web-01").address("10.0.0.1").vars(java.util.Map.of("roles", java.util.List.of("web"))).build());
    }
    Path classes = tmp.resolve("classes.log");
    assertThat(runChild(file, "load", classes.toString())).contains("loaded web-01");
    java.util.List<String> loaded = Files.readAllLines(classes);
    // the log works: the decoder's own classes are in it
    assertThat(loaded).anyMatch(line -> line.startsWith("io.infrastate.codec.StateDecoder "));
    assertThat(loaded).anyMatch(line -> line.startsWith("tools.jackson.core.json.ReaderBasedJsonParser "));
    assertThat(loaded).noneMatch(line -> line.startsWith("tools.jackson.databind.") || line.startsWith("io.infrastate.codec.StateCodec$Writing "));
  }

  private String runChild(Path file, String mode, String... more) throws Exception {
    String[] args = new String[2 + more.length];
    args[0] = file.toString();
    args[1] = mode;
    System.arraycopy(more, 0, args, 2, more.length);
    try (JvmProcess child = JvmProcess.start(Child.class, tmp.resolve("child-" + mode + ".log"), args)) {
      assertThat(child.await(2, TimeUnit.MINUTES)).as(child.output()).isZero();
      return child.output();
    }
  }

  /**
   * Loads (or creates) the state, reads it and writes it once, then tells whether SLF4J started;
   * or, in mode {@code load}, only loads it and reads a host, logging the classes loaded meanwhile.
   */
  public static final class Child {
    private Child() {}

    /**
     * Runs the child.
     *
     * @param args the state file and the mode ({@code file}, {@code journal}, or {@code load} and
     *     the file to log the classes loaded to)
     * @throws Exception if the class-loading log cannot be switched
     */
    public static void main(String[] args) throws Exception {
      if (args[1].equals("load")) {
        vmLog("output=" + args[2], "what=class+load=info", "decorators=none");
        try (FileBackend backend = FileBackend.at(Path.of(args[0])); State state = State.load(backend)) {
          System.out.println("loaded " + state.getHost("web-01").orElseThrow().name());
        }
        vmLog("disable");
        return;
      }
      System.setProperty("slf4j.provider", RecordingProvider.class.getName());
      Path file = Path.of(args[0]);
      boolean journal = args[1].equals("journal");
      try (FileBackend backend = FileBackend.builder(journal ? file.resolveSibling("journal-state.json") : file).journal(journal).build();
          State state = State.load(backend)) {
        state.getHost("web-01");
        state.addHost(HostState.builder("web-01").address("10.0.0.1").build());
      }
      System.out.println("slf4j started: " + RecordingProvider.started);
    }
  }

  /** Runs the JVM's {@code VM.log} diagnostic command (as {@code jcmd} would). */
  private static void vmLog(String... arguments) throws Exception {
    java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
        new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "vmLog",
        new Object[] {arguments}, new String[] {String[].class.getName()});
  }

  /** An SLF4J provider that logs nothing and records that SLF4J initialized it. */
  public static final class RecordingProvider implements SLF4JServiceProvider {
    static volatile boolean started;
    private final ILoggerFactory loggers = new NOPLoggerFactory();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    /** Creates the provider (SLF4J calls this). */
    public RecordingProvider() {}

    @Override
    public ILoggerFactory getLoggerFactory() {
      return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
      return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
      return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
      return "2.0.99";
    }

    @Override
    public void initialize() {
      started = true;
    }
  }
}
