package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurableFilesTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(ints = {0, 1, DurableFiles.SLICE - 1, DurableFiles.SLICE, DurableFiles.SLICE + 1, 2 * DurableFiles.SLICE + 7})
  void everyByteIsWrittenInOrderWhateverTheSizeAndTheFileIsTheOwnersAlone(int size) throws Exception {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    Path tmp = DurableFiles.writeTemp(dir, ".state.json.", bytes);
    assertThat(tmp.getParent()).isEqualTo(dir);
    assertThat(tmp.getFileName().toString()).startsWith(".state.json.").endsWith(".tmp");
    assertThat(Files.readAllBytes(tmp)).isEqualTo(bytes);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp))).isEqualTo("rw-------");
  }
}
