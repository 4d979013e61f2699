package io.infrastate.file;

import io.infrastate.StateException;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StoredState;
import io.infrastate.testkit.BackendContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract in journal mode: with the default thresholds (every write is an append), and
 * with compaction on every second write, inline and in the background, so that writes, conflicts
 * and damage checks also run across compactions.
 */
class JournalFileBackendContractTest extends BackendContract<Path> {
  @TempDir Path tmp;
  private int counter;

  @Override
  protected Path newStorage() {
    return FileBackendContractTest.directory(tmp.resolve("s" + (counter++))).resolve("state.json");
  }

  @Override
  protected Backend openBackend(Path storage) {
    return FileBackend.builder(storage).journal(true).build();
  }

  /** An outside tool replaces state.json; the journal stays where it is. */
  @Override
  protected void writeRaw(Path storage, byte[] content) throws Exception {
    writeStateFile(storage, content);
  }

  /**
   * What an outside tool sees as the stored state: state.json itself when the journal holds no
   * version beyond it (and whenever the state is damaged), else the latest version in the plain
   * format, as a compaction would write it.
   */
  @Override
  protected Optional<byte[]> readRaw(Path storage) throws Exception {
    return readLogical(storage);
  }

  static void writeStateFile(Path storage, byte[] content) throws Exception {
    Files.createDirectories(storage.getParent());
    Files.write(storage, content);
  }

  static Optional<byte[]> readLogical(Path storage) throws Exception {
    if (!Files.exists(storage)) {
      return Optional.empty();
    }
    byte[] raw = Files.readAllBytes(storage);
    try (FileBackend reader = FileBackend.builder(storage).journal(true).backgroundCompaction(false).build()) {
      Optional<StoredState> latest = reader.load();
      long base = StateCodec.decode(raw, storage.toString(), "").metadata().serial();
      if (latest.isEmpty() || latest.get().snapshot().metadata().serial() == base) {
        return Optional.of(raw);
      }
      byte[] logical = StateCodec.encode(latest.get().snapshot());
      return Optional.of(Arrays.equals(logical, raw) ? raw : logical);
    } catch (StateException e) {
      return Optional.of(raw);
    }
  }

  /** The contract again, compacting inline on every second write. */
  @Nested
  class CompactingInline extends BackendContract<Path> {
    @Override
    protected Path newStorage() {
      return FileBackendContractTest.directory(tmp.resolve("i" + (counter++))).resolve("state.json");
    }

    @Override
    protected Backend openBackend(Path storage) {
      return FileBackend.builder(storage).journal(true).compactEvery(2).backgroundCompaction(false).historyRetention(5).build();
    }

    @Override
    protected void writeRaw(Path storage, byte[] content) throws Exception {
      writeStateFile(storage, content);
    }

    @Override
    protected Optional<byte[]> readRaw(Path storage) throws Exception {
      return readLogical(storage);
    }
  }

  /** The contract again, compacting in the background on every second write. */
  @Nested
  class CompactingInBackground extends BackendContract<Path> {
    @Override
    protected Path newStorage() {
      return FileBackendContractTest.directory(tmp.resolve("b" + (counter++))).resolve("state.json");
    }

    @Override
    protected Backend openBackend(Path storage) {
      return FileBackend.builder(storage).journal(true).compactEvery(2).build();
    }

    @Override
    protected void writeRaw(Path storage, byte[] content) throws Exception {
      writeStateFile(storage, content);
    }

    @Override
    protected Optional<byte[]> readRaw(Path storage) throws Exception {
      return readLogical(storage);
    }
  }
}
