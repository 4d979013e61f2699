package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import io.infrastate.internal.ChunkedBytes;
import io.infrastate.spi.StoredForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The chunked encoding writes exactly the bytes of {@link StateCodec#encode}. */
class EncodedStateTest {
  private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");

  @TempDir Path dir;

  private static Snapshot snapshot(int hosts) {
    Map<String, HostState> h = new TreeMap<>();
    Map<String, ResourceState> r = new TreeMap<>();
    for (int i = 0; i < hosts; i++) {
      HostState host = HostState.builder("web" + i).address("10.0." + (i / 250) + "." + (i % 250)).port(22).user("admin")
          .var("role", i % 3 == 0 ? "db" : "web").var("note", "ünïcödé " + "x".repeat(i % 40)).build();
      h.put(host.name(), host.withTimestamps(T, T.plusSeconds(i)));
      ResourceState res = ResourceState.builder("linode", String.valueOf(i)).name("vm" + i).data("region", "us-east")
          .tag("env", "prod").build();
      r.put("linode:" + i, res.withTimestamps(T, T));
    }
    return Snapshot.of(new Metadata("1.0", hosts + 1L, "5f0c6a3e-0000-4000-8000-000000000001", T, T), h, r);
  }

  /**
   * Sizes from an empty state (one short first chunk) to several chunks, with the chunk
   * boundaries falling at different places in the document.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 150, 151, 400, 1000, 2500})
  void aTemporaryFileGetsExactlyTheCodecsBytes(int hosts) throws Exception {
    Snapshot s = snapshot(hosts);
    byte[] expected = StateCodec.encode(s);
    EncodedState encoded = EncodedState.of(s, StoredForm.PLAIN);
    assertThat(encoded.size()).isEqualTo(expected.length);
    Path tmp = DurableFiles.writeTemp(dir, ".state.json.", encoded);
    assertThat(Files.readAllBytes(tmp)).isEqualTo(expected);
    if (hosts == 2500) {
      assertThat(expected.length).as("spans several chunks").isGreaterThan(3 * ChunkedBytes.CHUNK);
    }
  }

  /** As the class says: a small state holds little more than its size, a large one a chunk more. */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 150, 400, 2500})
  void anEncodingAllocatesLittleMoreThanItsSize(int hosts) {
    EncodedState e = EncodedState.of(snapshot(hosts), StoredForm.PLAIN);
    assertThat(e.capacity()).isGreaterThanOrEqualTo(e.size());
    assertThat(e.capacity()).as("doubling chunks from %d bytes", ChunkedBytes.FIRST_CHUNK)
        .isLessThanOrEqualTo(Math.min(2 * e.size() + ChunkedBytes.FIRST_CHUNK, e.size() + 2L * ChunkedBytes.CHUNK));
  }
}
