package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.VersionToken;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The record codec against a model: for random bases and random change lists, the delta record a
 * save writes, decoded and applied to the base, gives exactly the saved snapshot; and every record
 * round-trips with its audit entry.
 */
class LogRecordPropertyTest {
  /** One operation of a transaction. */
  record Op(int kind, String name, String value) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> op = Combinators.combine(
        Arbitraries.integers().between(0, 3),
        Arbitraries.of("a", "b", "c", "d", "web 01", "ünï", "x:y"),
        Arbitraries.strings().ofMaxLength(12))
        .as(Op::new);
    return op.list().ofMaxSize(12);
  }

  @Property(tries = 300)
  void deltaAppliedToTheBaseIsTheSavedSnapshot(@ForAll("ops") List<Op> seed, @ForAll("ops") List<Op> ops,
      @ForAll boolean rollback) {
    Metadata m0 = new Metadata(Metadata.FORMAT_VERSION, 7, "lin-1", Instant.parse("2026-01-01T00:00:00Z"),
        Instant.parse("2026-01-02T00:00:00Z"));
    TreeMap<String, HostState> hosts = new TreeMap<>();
    TreeMap<String, ResourceState> resources = new TreeMap<>();
    apply(seed, hosts, resources, new ArrayList<>());
    Snapshot base = Snapshot.of(m0, hosts, resources);

    List<Change> changes = new ArrayList<>();
    apply(ops, hosts, resources, changes);
    Snapshot next = Snapshot.of(m0.withSerial(8, Instant.parse("2026-01-03T04:05:06.789Z")), hosts, resources);
    if (rollback) {
      changes.add(new Change.ReplaceAll(next));
    }
    AuditEntry audit = new AuditEntry("op@host", "change things", "because");
    LogRecord.Encoded enc = LogRecord.forSave(new SaveRequest(VersionToken.of(7, "lin-1"), next, changes, audit), "c-1", false);

    LogRecord decoded = LogRecord.decode(enc.bytes(), "s3://b/k", "");
    assertThat(decoded.kind()).isEqualTo(rollback ? LogRecord.Kind.FULL : LogRecord.Kind.DELTA);
    assertThat(decoded.serial()).isEqualTo(8);
    assertThat(decoded.lineage()).isEqualTo("lin-1");
    assertThat(decoded.operator()).isEqualTo("op@host");
    assertThat(decoded.operation()).isEqualTo("change things");
    assertThat(decoded.reason()).isEqualTo("because");
    assertThat(decoded.commit()).isEqualTo("c-1");
    assertThat(decoded.time()).isEqualTo(next.metadata().updatedAt());
    assertThat(decoded).isEqualTo(enc.record());

    TreeMap<String, HostState> h = new TreeMap<>(base.hosts());
    TreeMap<String, ResourceState> r = new TreeMap<>(base.resources());
    decoded.applyTo(h, r);
    assertThat(Snapshot.of(decoded.payload().metadata(), h, r)).isEqualTo(next);
  }

  private static void apply(List<Op> ops, TreeMap<String, HostState> hosts, TreeMap<String, ResourceState> resources,
      List<Change> changes) {
    for (Op op : ops) {
      switch (op.kind()) {
        case 0 -> {
          HostState host = HostState.builder(op.name()).address(op.value()).port(op.value().length())
              .var("v", op.value()).var("n", List.of(1, 2.5, true)).build();
          hosts.put(op.name(), host);
          changes.add(new Change.PutHost(host));
        }
        case 1 -> {
          hosts.remove(op.name());
          changes.add(new Change.RemoveHost(op.name()));
        }
        case 2 -> {
          ResourceState res = ResourceState.builder("t", op.name()).data("d", op.value()).tag("k", op.value()).build();
          resources.put(op.name(), res);
          changes.add(new Change.PutResource(op.name(), res));
        }
        default -> {
          resources.remove(op.name());
          changes.add(new Change.RemoveResource(op.name()));
        }
      }
    }
  }
}
