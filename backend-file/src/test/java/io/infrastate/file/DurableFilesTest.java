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

  @ParameterizedTest
  @ValueSource(ints = {1, DurableFiles.SLICE + 1, 2 * DurableFiles.SLICE + 7})
  void aWriteAtAPositionPutsEveryByteThereAndLeavesTheRest(int size) throws Exception {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    Path file = dir.resolve("journal");
    byte[] before = new byte[size + 100];
    java.util.Arrays.fill(before, (byte) 7);
    Files.write(file, before);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      DurableFiles.writeAll(ch, bytes, 50);
      assertThat(ch.position()).isZero();
    }
    byte[] after = Files.readAllBytes(file);
    assertThat(java.util.Arrays.copyOfRange(after, 50, 50 + size)).isEqualTo(bytes);
    assertThat(java.util.Arrays.copyOfRange(after, 0, 50)).containsOnly((byte) 7);
    assertThat(java.util.Arrays.copyOfRange(after, 50 + size, after.length)).hasSize(50).containsOnly((byte) 7);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, DurableFiles.SLICE + 1, 2 * DurableFiles.SLICE + 7})
  void aPartOfAnArrayGoesWhereItIsToldAndNothingElseIsWritten(int len) throws Exception {
    byte[] bytes = new byte[len + 30];
    new Random(len).nextBytes(bytes);
    Path file = dir.resolve("part");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
      DurableFiles.writeAll(ch, bytes, 10, len, 5);
    }
    byte[] after = Files.readAllBytes(file);
    assertThat(after).hasSize(len == 0 ? 0 : 5 + len);
    if (len > 0) {
      assertThat(java.util.Arrays.copyOfRange(after, 0, 5)).containsOnly((byte) 0);
      assertThat(java.util.Arrays.copyOfRange(after, 5, 5 + len)).isEqualTo(java.util.Arrays.copyOfRange(bytes, 10, 10 + len));
    }
  }
}
