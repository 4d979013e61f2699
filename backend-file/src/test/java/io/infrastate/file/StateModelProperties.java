package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.memory.InMemoryBackend;
import io.infrastate.spi.Backend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The State against a plain-map model: random sequences of adds, removes, batched updates and
 * reloads (a new handle, as another process) on the memory and file backends must always agree
 * with two TreeMaps, and the serial must count the writes that changed something.
 */
class StateModelProperties {

  sealed interface Op {}

  record AddHost(String name, String address, int port) implements Op {}

  record RemoveHost(String name) implements Op {}

  record AddResource(String key, String type, int value) implements Op {}

  record RemoveResource(String key) implements Op {}

  record Batch(List<Op> ops) implements Op {}

  record Reload() implements Op {}

  @Property(tries = 60)
  void memoryBackendBehavesLikeAMap(@ForAll("programs") List<Op> program) throws IOException {
    InMemoryBackend backend = InMemoryBackend.create();
    check(program, () -> backend, false);
  }

  @Property(tries = 40)
  void fileBackendBehavesLikeAMap(@ForAll("programs") List<Op> program) throws IOException {
    Path dir = Files.createTempDirectory("model");
    try {
      check(program, () -> FileBackend.at(dir.resolve("state.json")), true);
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private interface BackendFactory {
    Backend open();
  }

  private static void check(List<Op> program, BackendFactory factory, boolean closeBackends) {
    TreeMap<String, HostState> hosts = new TreeMap<>();
    TreeMap<String, Integer> resources = new TreeMap<>();
    List<Backend> backends = new ArrayList<>();
    Backend first = factory.open();
    backends.add(first);
    StateOptions options = StateOptions.builder().operator("model@test").build();
    State state = State.load(first, options);
    long writes = 0;
    try {
      for (Op op : program) {
        if (op instanceof Reload) {
          Backend b = factory.open();
          backends.add(b);
          state = State.load(b, options);
        } else if (op instanceof Batch batch) {
          boolean changes = batch.ops().stream().anyMatch(o -> changes(o, hosts, resources));
          state.update(tx -> {
            for (Op o : batch.ops()) {
              applyTx(o, tx);
            }
          });
          for (Op o : batch.ops()) {
            applyModel(o, hosts, resources);
          }
          if (changes || batch.ops().stream().anyMatch(o -> o instanceof AddHost || o instanceof AddResource)) {
            writes++;
          }
        } else {
          boolean counts = op instanceof AddHost || op instanceof AddResource || changes(op, hosts, resources);
          applyState(op, state);
          applyModel(op, hosts, resources);
          if (counts) {
            writes++;
          }
        }
        assertThat(state.snapshot().hosts().keySet()).containsExactlyElementsOf(hosts.keySet());
        for (HostState h : state.allHosts()) {
          assertThat(h.address()).isEqualTo(hosts.get(h.name()).address());
          assertThat(h.port()).isEqualTo(hosts.get(h.name()).port());
        }
        assertThat(state.allResources().keySet()).containsExactlyElementsOf(resources.keySet());
        state.allResources().forEach((k, r) -> assertThat(r.data().get("value")).isEqualTo(resources.get(k)));
        assertThat(state.metadata().serial()).isEqualTo(writes);
      }
    } finally {
      if (closeBackends) {
        backends.forEach(Backend::close);
      }
    }
  }

  private static boolean changes(Op op, Map<String, HostState> hosts, Map<String, Integer> resources) {
    if (op instanceof RemoveHost r) {
      return hosts.containsKey(r.name());
    }
    if (op instanceof RemoveResource r) {
      return resources.containsKey(r.key());
    }
    return op instanceof AddHost || op instanceof AddResource;
  }

  private static void applyState(Op op, State s) {
    if (op instanceof AddHost a) {
      s.addHost(HostState.builder(a.name()).address(a.address()).port(a.port()).build());
    } else if (op instanceof RemoveHost r) {
      s.removeHost(r.name());
    } else if (op instanceof AddResource a) {
      s.addResource(a.key(), ResourceState.builder(a.type(), a.key()).data("value", a.value()).build());
    } else if (op instanceof RemoveResource r) {
      s.removeResource(r.key());
    }
  }

  private static void applyTx(Op op, io.infrastate.Transaction tx) {
    if (op instanceof AddHost a) {
      tx.addHost(HostState.builder(a.name()).address(a.address()).port(a.port()).build());
    } else if (op instanceof RemoveHost r) {
      tx.removeHost(r.name());
    } else if (op instanceof AddResource a) {
      tx.addResource(a.key(), ResourceState.builder(a.type(), a.key()).data("value", a.value()).build());
    } else if (op instanceof RemoveResource r) {
      tx.removeResource(r.key());
    }
  }

  private static void applyModel(Op op, Map<String, HostState> hosts, Map<String, Integer> resources) {
    if (op instanceof AddHost a) {
      hosts.put(a.name(), HostState.builder(a.name()).address(a.address()).port(a.port()).build());
    } else if (op instanceof RemoveHost r) {
      hosts.remove(r.name());
    } else if (op instanceof AddResource a) {
      resources.put(a.key(), a.value());
    } else if (op instanceof RemoveResource r) {
      resources.remove(r.key());
    }
  }

  @Provide
  Arbitrary<List<Op>> programs() {
    Arbitrary<String> hostNames = Arbitraries.of("web01", "web02", "db01", "cache", "edge-1");
    Arbitrary<String> keys = Arbitraries.of("linode:1", "linode:2", "ip:10.0.0.1", "dns:a");
    Arbitrary<Op> addHost = Combinators.combine(hostNames, Arbitraries.of("10.0.0.1", "10.0.0.2", ""), Arbitraries.integers().between(0, 65535)).as(AddHost::new);
    Arbitrary<Op> removeHost = hostNames.map(RemoveHost::new);
    Arbitrary<Op> addResource = Combinators.combine(keys, Arbitraries.of("linode", "ip"), Arbitraries.integers()).as(AddResource::new);
    Arbitrary<Op> removeResource = keys.map(RemoveResource::new);
    Arbitrary<Op> single = Arbitraries.oneOf(addHost, removeHost, addResource, removeResource);
    Arbitrary<Op> batch = single.list().ofMinSize(1).ofMaxSize(5).map(Batch::new);
    Arbitrary<Op> reload = Arbitraries.just(new Reload());
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, single), net.jqwik.api.Tuple.of(2, batch), net.jqwik.api.Tuple.of(1, reload))
        .list().ofMaxSize(25);
  }
}
