package io.infrastate.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The codec round trip as a property: decode(encode(s)) == s for arbitrary states. */
class CodecProperties {

  @Property(tries = 300)
  void roundTripPreservesEverySnapshot(@ForAll("snapshots") Snapshot s) {
    byte[] bytes = StateCodec.encode(s);
    Snapshot back = StateCodec.decode(bytes, "property", "");
    assertThat(back).isEqualTo(s);
    assertThat(StateCodec.encode(back)).isEqualTo(bytes);
  }

  @Provide
  Arbitrary<Snapshot> snapshots() {
    Arbitrary<Instant> times = Arbitraries.longs().between(-62135596800L, 253402300799L)
        .flatMap(sec -> Arbitraries.integers().between(0, 999_999_999).map(n -> Instant.ofEpochSecond(sec, n)));
    Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(12)
        .filter(x -> x.codePoints().allMatch(c -> Character.isDefined(c) && !(c >= 0xD800 && c <= 0xDFFF)));
    Arbitrary<String> names = Arbitraries.strings().alpha().numeric().withChars("-_.é").ofMinLength(1).ofMaxLength(10);
    Arbitrary<Map<String, Object>> vars = Arbitraries.maps(text, jsonValue(2)).ofMaxSize(4).map(m -> new LinkedHashMap<String, Object>(m));
    Arbitrary<HostState> hosts = Combinators.combine(names, text, Arbitraries.integers().between(0, 65535), text, vars, text, times, times)
        .as(HostState::new);
    Arbitrary<ResourceState> resources = Combinators.combine(names, names, text, vars, Arbitraries.maps(text, text).ofMaxSize(3), times, times)
        .as(ResourceState::new);
    Arbitrary<Metadata> metadata = Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE), Arbitraries.of("", "3f0c6a3e-1111-4000-8000-000000000001"), times, times)
        .as((serial, lineage, c, u) -> new Metadata("1.0", serial, lineage, c, u));
    return Combinators.combine(metadata, hosts.list().ofMaxSize(5), Arbitraries.maps(names, resources).ofMaxSize(5))
        .as((m, hs, rs) -> {
          Map<String, HostState> byName = new LinkedHashMap<>();
          hs.forEach(h -> byName.put(h.name(), h));
          return Snapshot.of(m, byName, rs);
        });
  }

  private static Arbitrary<Object> jsonValue(int depth) {
    List<Arbitrary<?>> leaves = new ArrayList<>(List.of(
        Arbitraries.strings().ofMaxLength(8),
        Arbitraries.integers(),
        Arbitraries.longs(),
        Arbitraries.doubles().filter(Double::isFinite),
        Arbitraries.of(true, false),
        Arbitraries.just(null),
        Arbitraries.bigIntegers().between(new java.math.BigInteger("-1" + "0".repeat(30)), new java.math.BigInteger("1" + "0".repeat(30)))));
    if (depth > 0) {
      leaves.add(jsonValue(depth - 1).list().ofMaxSize(3));
      leaves.add(Arbitraries.maps(Arbitraries.strings().alpha().ofMaxLength(5), jsonValue(depth - 1)).ofMaxSize(3));
    }
    @SuppressWarnings({"unchecked", "rawtypes"})
    Arbitrary<Object> any = (Arbitrary<Object>) (Arbitrary) Arbitraries.oneOf((List) leaves);
    // normalize through the value types' own freezing, as a user's value would be
    return any.map(v -> io.infrastate.model.Json.freeze(v, "$"));
  }
}
