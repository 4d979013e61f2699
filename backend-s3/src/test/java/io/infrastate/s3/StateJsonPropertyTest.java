package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.codec.StateCodec;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The state.json of checkpoints and readable copies, as a property: encoded version after version
 * through {@link StoredForms} (reusing the entries that did not change, into pooled chunks given
 * back between versions), the bytes a PUT sends are those of a fresh {@link StateCodec#encode}, and
 * a body still held is not disturbed by the next encoding.
 */
class StateJsonPropertyTest {
  /** One change of a version: put or remove a host or a resource. */
  record Op(int kind, String name, String value) {}

  @Provide
  Arbitrary<List<List<Op>>> versions() {
    Arbitrary<Op> op = Combinators.combine(
        Arbitraries.integers().between(0, 3),
        Arbitraries.of("a", "b", "c", "host-0007", "host-0500", "web 01", "ünï", "x:y"),
        Arbitraries.strings().ofMaxLength(12))
        .as(Op::new);
    return op.list().ofMaxSize(6).list().ofMinSize(1).ofMaxSize(6);
  }

  @Property(tries = 60)
  void everyVersionSendsTheBytesOfAFreshEncode(@ForAll("versions") List<List<Op>> versions,
      @ForAll @IntRange(min = 0, max = 1500) int seedHosts) throws IOException {
    StoredForms forms = new StoredForms();
    TreeMap<String, HostState> hosts = new TreeMap<>();
    TreeMap<String, ResourceState> resources = new TreeMap<>();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < seedHosts; i++) {
      String name = String.format("host-%04d", i);
      hosts.put(name, HostState.builder(name).address("10.0." + (i >> 8) + "." + (i & 255)).var("env", "production")
          .var("roles", List.of("web", "app")).build());
    }
    Snapshot s = Snapshot.of(new Metadata(Metadata.FORMAT_VERSION, 1, "lin-1", t, t), hosts, resources);
    ObjectBody held = forms.stateJson(s);
    byte[] heldExpected = StateCodec.encode(s);
    assertThat(read(held)).isEqualTo(heldExpected);
    for (List<Op> ops : versions) {
      for (Op op : ops) {
        switch (op.kind()) {
          case 0 -> hosts.put(op.name(), HostState.builder(op.name()).address(op.value()).var("v", op.value()).build());
          case 1 -> hosts.remove(op.name());
          case 2 -> resources.put(op.name(), ResourceState.builder("t", op.name()).data("d", op.value()).build());
          default -> resources.remove(op.name());
        }
      }
      s = Snapshot.of(s.metadata().withSerial(s.metadata().serial() + 1, t.plusSeconds(s.metadata().serial())),
          hosts, resources);
      ObjectBody next = forms.stateJson(s);
      byte[] expected = StateCodec.encode(s);
      assertThat(next.size()).isEqualTo(expected.length);
      assertThat(read(next)).isEqualTo(expected);
      assertThat(read(next)).as("a second request (a retry) reads the same bytes").isEqualTo(expected);
      assertThat(forms.checkpoint(s, next).toByteArray()).isEqualTo(expected);
      assertThat(read(held)).as("the body of the version before, still held").isEqualTo(heldExpected);
      held.release();
      held = next;
      heldExpected = expected;
    }
    held.release();
  }

  /** What a PUT of the body sends: a stream of the request body, read in uneven pieces. */
  private static byte[] read(ObjectBody body) throws IOException {
    try (InputStream in = body.requestBody().contentStreamProvider().newStream()) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[7919];
      int n;
      boolean single = false;
      while (true) {
        if (single) {
          int b = in.read();
          if (b < 0) {
            break;
          }
          out.write(b);
        } else {
          n = in.read(buf, 0, buf.length);
          if (n < 0) {
            break;
          }
          out.write(buf, 0, n);
        }
        single = !single;
      }
      return out.toByteArray();
    }
  }
}
