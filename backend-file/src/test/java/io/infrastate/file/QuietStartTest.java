package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.HostState;
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
 * A run that logs nothing never starts SLF4J: core and the file backend create their loggers on
 * first use. Checked in a fresh JVM whose SLF4J provider (chosen with the {@code slf4j.provider}
 * property) records whether SLF4J ever initialized it.
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

  private String runChild(Path file, String mode) throws Exception {
    try (JvmProcess child = JvmProcess.start(Child.class, tmp.resolve("child-" + mode + ".log"), file.toString(), mode)) {
      assertThat(child.await(2, TimeUnit.MINUTES)).as(child.output()).isZero();
      return child.output();
    }
  }

  /** Loads (or creates) the state, reads it and writes it once, then tells whether SLF4J started. */
  public static final class Child {
    private Child() {}

    /**
     * Runs the child.
     *
     * @param args the state file and the mode ({@code file} or {@code journal})
     */
    public static void main(String[] args) {
      System.setProperty("slf4j.provider", RecordingProvider.class.getName());
      Path file = Path.of(args[0]);
      try (io.infrastate.spi.Backend backend = args[1].equals("journal") ? JournalFileBackend.at(file.resolveSibling("journal-state.json")) : FileBackend.at(file);
          State state = State.load(backend)) {
        state.getHost("web-01");
        state.addHost(HostState.builder("web-01").address("10.0.0.1").build());
      }
      System.out.println("slf4j started: " + RecordingProvider.started);
    }
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
