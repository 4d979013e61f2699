package io.infrastate.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Chunks hold exactly the bytes written, in order, whatever mix of writes crosses their edges. */
class ChunkedBytesTest {
  @Test
  void singleBytesAndArraysInterleaveAcrossChunkBoundaries() throws Exception {
    ChunkedBytes b = ChunkedBytes.growing();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    Random random = new Random(42);
    while (expected.size() < 3 * ChunkedBytes.CHUNK + 17) {
      if (random.nextBoolean()) {
        int x = random.nextInt(256);
        b.write(x);
        expected.write(x);
      } else {
        byte[] run = new byte[random.nextInt(ChunkedBytes.CHUNK / 3)];
        random.nextBytes(run);
        int off = run.length == 0 ? 0 : random.nextInt(run.length);
        b.write(run, off, run.length - off);
        expected.write(run, off, run.length - off);
      }
    }
    assertThat(b.size()).isEqualTo(expected.size());
    assertThat(b.toByteArray()).isEqualTo(expected.toByteArray());
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    b.read((chunk, length) -> read.write(chunk, 0, length));
    assertThat(read.toByteArray()).isEqualTo(expected.toByteArray());
    List<byte[]> chunks = b.chunks();
    assertThat(chunks.get(0)).hasSize(ChunkedBytes.FIRST_CHUNK);
    assertThat(chunks).allSatisfy(c -> assertThat(c.length).isLessThanOrEqualTo(ChunkedBytes.CHUNK));
    assertThat(b.lastUsed()).isEqualTo(expected.size() - (b.capacity() - chunks.get(chunks.size() - 1).length));
  }

  @Test
  void aSuppliedChunkIsUsedAsGivenAndAskedForWithTheLastLength() {
    List<Integer> asked = new ArrayList<>();
    ChunkedBytes b = new ChunkedBytes(last -> {
      asked.add(last);
      return new byte[10];
    });
    b.write(new byte[25], 0, 25);
    assertThat(asked).containsExactly(0, 10, 10);
    assertThat(b.chunks()).hasSize(3);
    assertThat(b.lastUsed()).isEqualTo(5);
    assertThat(b.capacity()).isEqualTo(30);
  }

  @Test
  void aWrappedArrayIsTheContentAndCannotGrow() {
    byte[] content = {1, 2, 3};
    ChunkedBytes b = ChunkedBytes.wrap(content);
    assertThat(b.size()).isEqualTo(3);
    assertThat(b.chunks()).singleElement().isSameAs(content);
    assertThat(b.toByteArray()).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> b.write(4)).isInstanceOf(IllegalStateException.class);
  }
}
