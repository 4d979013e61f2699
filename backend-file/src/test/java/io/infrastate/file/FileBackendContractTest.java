package io.infrastate.file;

import io.infrastate.model.StateException;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StoredState;
import io.infrastate.testkit.BackendContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract on the file backend: in whole-file mode, and in journal mode with the
 * default thresholds (every write is an append) and with compaction on every second write, inline
 * and in the background, so that writes, conflicts and damage checks also run across compactions.
 */
class FileBackendContractTest {
  @TempDir Path tmp;
  private int counter;

  /** Creates a state's directory, as a user does before naming a state in it. */
  static Path directory(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The contract on states opened by {@code open}; an outside tool writes and reads state.json. */
  abstract class InMode extends BackendContract<Path> {
    private final FileMode mode;
    private final Function<Path, Backend> open;

    InMode(FileMode mode, Function<Path, Backend> open) {
      this.mode = mode;
      this.open = open;
    }

    @Override
    protected Path newStorage() {
      return directory(tmp.resolve(getClass().getSimpleName() + (counter++))).resolve("state.json");
    }

    @Override
    protected Backend openBackend(Path storage) {
      return open.apply(storage);
    }

    /** An outside tool replaces state.json; a journal stays where it is. */
    @Override
    protected void writeRaw(Path storage, byte[] content) throws Exception {
      Files.createDirectories(storage.getParent());
      Files.write(storage, content);
    }

    @Override
    protected Optional<byte[]> readRaw(Path storage) throws Exception {
      if (!Files.exists(storage)) {
        return Optional.empty();
      }
      return Optional.of(mode.journal ? readLogical(storage) : Files.readAllBytes(storage));
    }
  }

  /**
   * What an outside tool sees as the stored state in journal mode: state.json itself when the
   * journal holds no version beyond it (and whenever the state is damaged), else the latest
   * version in the plain format, as a compaction would write it.
   */
  static byte[] readLogical(Path storage) throws Exception {
    byte[] raw = Files.readAllBytes(storage);
    try (FileBackend reader = FileMode.JOURNAL.openInline(storage)) {
      Optional<StoredState> latest = reader.load();
      long base = StateCodec.decode(raw, storage.toString(), "").metadata().serial();
      if (latest.isEmpty() || latest.get().snapshot().metadata().serial() == base) {
        return raw;
      }
      byte[] logical = StateCodec.encode(latest.get().snapshot());
      return Arrays.equals(logical, raw) ? raw : logical;
    } catch (StateException e) {
      return raw;
    }
  }

  /** Whole-file mode, default options. */
  @Nested
  class WholeFile extends InMode {
    WholeFile() {
      super(FileMode.FILE, FileBackend::at);
    }
  }

  /** Journal mode, default options. */
  @Nested
  class Journal extends InMode {
    Journal() {
      super(FileMode.JOURNAL, FileMode.JOURNAL::open);
    }
  }

  /** Journal mode, compacting inline on every second write. */
  @Nested
  class JournalCompactingInline extends InMode {
    JournalCompactingInline() {
      super(FileMode.JOURNAL, p -> FileMode.JOURNAL.builder(p).compactEvery(2).backgroundCompaction(false).historyRetention(5).build());
    }
  }

  /** Journal mode, compacting in the background on every second write. */
  @Nested
  class JournalCompactingInBackground extends InMode {
    JournalCompactingInBackground() {
      super(FileMode.JOURNAL, p -> FileMode.JOURNAL.builder(p).compactEvery(2).build());
    }
  }
}
