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

  /**
   * Writing through {@link EntryEncodings} gives the bytes of a fresh encode, version after version,
   * whatever was added, replaced or removed in between (unchanged entries are shared, as the write
   * engine shares them).
   */
  @Property(tries = 200)
  void reusedEncodingsGiveTheBytesOfAFreshEncode(
      @ForAll("snapshots") Snapshot start, @ForAll("snapshots") Snapshot donor, @ForAll("edits") List<Integer> edits) {
    EntryEncodings reuse = new EntryEncodings();
    Snapshot s = start;
    assertThat(StateCodec.encode(s, reuse)).isEqualTo(StateCodec.encode(s));
    List<HostState> newHosts = new ArrayList<>(donor.hosts().values());
    List<Map.Entry<String, ResourceState>> newResources = new ArrayList<>(donor.resources().entrySet());
    for (int edit : edits) {
      Map<String, HostState> hosts = new LinkedHashMap<>(s.hosts());
      Map<String, ResourceState> resources = new LinkedHashMap<>(s.resources());
      int which = edit / 8;
      switch (edit % 8) {
        case 0, 1 -> {
          if (!newHosts.isEmpty()) {
            HostState h = newHosts.get(which % newHosts.size());
            hosts.put(h.name(), h);
          }
        }
        case 2 -> hosts.keySet().stream().skip(hosts.isEmpty() ? 0 : which % hosts.size()).findFirst().ifPresent(hosts::remove);
        case 3, 4 -> {
          if (!newResources.isEmpty()) {
            Map.Entry<String, ResourceState> r = newResources.get(which % newResources.size());
            resources.put(r.getKey(), r.getValue());
          }
        }
        case 5 -> resources.keySet().stream().skip(resources.isEmpty() ? 0 : which % resources.size()).findFirst().ifPresent(resources::remove);
        case 6 -> hosts.replaceAll((k, h) -> k.hashCode() % 3 == which % 3 ? new HostState(h.name(), h.address() + "x", h.port(), h.user(), h.vars(), h.group(), h.createdAt(), h.updatedAt()) : h);
        default -> {
          // only the metadata changes
        }
      }
      boolean metadataOnly = edit % 8 == 7;
      Metadata m = s.metadata();
      s = Snapshot.of(new Metadata(m.version(), m.serial() == Long.MAX_VALUE ? 0 : m.serial() + 1, m.lineage(), m.createdAt(), m.updatedAt()), hosts, resources);
      assertThat(StateCodec.encode(s, reuse)).isEqualTo(StateCodec.encode(s));
      assertThat(reuse.size()).isEqualTo(s.hosts().size() + s.resources().size());
      if (metadataOnly) {
        assertThat(reuse.lastCopied()).as("entries copied when only the metadata changed").isEqualTo(reuse.size());
      }
    }
  }

  @Provide
  Arbitrary<List<Integer>> edits() {
    return Arbitraries.integers().between(0, 799).list().ofMaxSize(8);
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
