package io.infrastate.benchmarks;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The benchmark data: a Go-format state of N hosts and as many resources, deterministic, shaped
 * like the seed's example (address, port, user, group, a few vars; a cloud resource with region,
 * type, addresses and tags). About 0.7 KB of state.json per host and resource pair.
 *
 * <p>Stateless and thread-safe.
 */
public final class Data {
  /** The fixed lineage of generated states. */
  public static final String LINEAGE = "6f1c1d2e-0000-4000-8000-00000000b00c";

  private static final Instant T0 = Instant.parse("2026-01-15T10:30:00Z");

  private Data() {}

  /**
   * The name of host {@code i}.
   *
   * @param i the index
   * @return {@code host-000042} for 42
   */
  public static String hostName(int i) {
    return String.format("host-%06d", i);
  }

  /**
   * The names of the hosts of a generated state, the keys its readers look up.
   *
   * @param n the number of hosts
   * @return {@link #hostName(int)} of 0 to n - 1
   */
  public static String[] hostNames(int n) {
    String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = hostName(i);
    }
    return names;
  }

  /**
   * The key of resource {@code i}.
   *
   * @param i the index
   * @return {@code linode:10000042} for 42
   */
  public static String resourceKey(int i) {
    return "linode:" + (10_000_000 + i);
  }

  /**
   * Host {@code i}, with timestamps.
   *
   * @param i the index
   * @return the host
   */
  public static HostState host(int i) {
    Instant t = T0.plusSeconds(i);
    return new HostState(
        hostName(i),
        "10." + ((i >> 16) & 255) + "." + ((i >> 8) & 255) + "." + (i & 255),
        22,
        "deploy",
        Map.of("http_port", 8080, "env", i % 3 == 0 ? "staging" : "production", "roles", List.of("web", "app")),
        i % 2 == 0 ? "webservers" : "appservers",
        t,
        t);
  }

  /**
   * Resource {@code i}, with timestamps.
   *
   * @param i the index
   * @return the resource
   */
  public static ResourceState resource(int i) {
    Instant t = T0.plusSeconds(i);
    String ip = "10." + ((i >> 16) & 255) + "." + ((i >> 8) & 255) + "." + (i & 255);
    return new ResourceState(
        "linode",
        String.valueOf(10_000_000 + i),
        hostName(i),
        Map.of("label", hostName(i), "region", "us-east", "type", "g6-standard-2", "ipv4", List.of(ip), "disk_gb", 80),
        Map.of("environment", "production", "role", "webserver"),
        t,
        t);
  }

  /**
   * A state of {@code n} hosts and {@code n} resources at serial 1.
   *
   * @param n the number of hosts (and of resources)
   * @return the snapshot
   */
  public static Snapshot snapshot(int n) {
    TreeMap<String, HostState> hosts = new TreeMap<>();
    TreeMap<String, ResourceState> resources = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      hosts.put(hostName(i), host(i));
      resources.put(resourceKey(i), resource(i));
    }
    return Snapshot.of(new Metadata(Metadata.FORMAT_VERSION, 1, LINEAGE, T0, T0), hosts, resources);
  }

  /**
   * A new host to add in a write benchmark (not in the generated state).
   *
   * @param k a sequence number
   * @return a host named {@code new-k}
   */
  public static HostState newHost(long k) {
    return HostState.builder("new-" + k).address("192.168.7." + (k % 250)).port(22).user("deploy").group("webservers").var("http_port", 80).build();
  }
}
