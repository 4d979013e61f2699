package io.infrastate;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * Deterministic allocation of ports and names from a key, as the Hostomatic orchestrator's {@code
 * get_hash_based_port("hostomatic", "prod", 8000, 1000)}: the same key gives the same port or
 * name in every run, JVM and machine, and a collision with what is already taken moves to the next
 * free slot instead of silently sharing.
 *
 * <pre>{@code
 * // pure: stable, no collision check
 * int port = Allocator.hashBasedPort("hostomatic-prod", 8000, 1000);
 * // against the state: resources record their port in data.port
 * int p = Allocator.port(state.snapshot(), "service:hostomatic-prod-backend", "port", 8000, 1000);
 * state.addResource("service:hostomatic-prod-backend",
 *     ResourceState.builder("service", "hostomatic-prod-backend").data("port", p).build());
 * }</pre>
 *
 * <h2>The hash</h2>
 *
 * SHA-256 of the key's UTF-8 bytes; the first eight bytes, read as an unsigned big-endian number,
 * modulo the range, give the slot. Not {@code String.hashCode()}, whose values are not a
 * documented contract across implementations, and not anything seeded per JVM.
 *
 * <h2>Collisions</h2>
 *
 * Linear probing: if the slot's port is taken, the next one (wrapping around within the range),
 * and so on. The first free port wins; if every port of the range is taken, allocation fails.
 * Probing makes a key's port depend on what was taken when it was first allocated, so record the
 * allocation in the state and reuse it ({@link #port(Snapshot, String, String, int, int)} does).
 *
 * <p>This class is thread-safe and stateless.
 */
public final class Allocator {
  private Allocator() {}

  /**
   * The SHA-256 of a key's UTF-8 bytes, in lowercase hex.
   *
   * @param key the key
   * @return 64 hex digits
   */
  public static String hash(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }

  /**
   * The port a key hashes to, without any collision check.
   *
   * @param key the key, such as {@code "hostomatic-prod"}
   * @param base the first port of the range
   * @param range how many ports the range has
   * @return a port in {@code [base, base + range)}
   * @throws IllegalArgumentException if the range is empty or leaves 0..65535
   */
  public static int hashBasedPort(String key, int base, int range) {
    checkRange(base, range);
    return base + slot(key, range);
  }

  /**
   * The port a key hashes to, or the next free one.
   *
   * @param key the key
   * @param base the first port of the range
   * @param range how many ports the range has
   * @param taken which ports are in use
   * @return the first port not taken, probing from the key's slot
   * @throws IllegalArgumentException if the range is empty or leaves 0..65535
   * @throws StateException if every port of the range is taken
   */
  public static int port(String key, int base, int range, IntPredicate taken) {
    checkRange(base, range);
    Objects.requireNonNull(taken, "taken");
    int start = slot(key, range);
    for (int i = 0; i < range; i++) {
      int p = base + (start + i) % range;
      if (!taken.test(p)) {
        return p;
      }
    }
    throw new StateException(
        "No free port for '" + key + "' in " + base + ".." + (base + range - 1) + ": all " + range
            + " are taken. Free some, or allocate from a larger range.");
  }

  /**
   * The port recorded for a resource, or a new one for it that no other resource or host uses.
   *
   * <p>If the resource {@code resourceKey} exists and its {@code data.<field>} holds an integer,
   * that port is returned: allocations are stable once recorded. Otherwise the key is hashed
   * (with {@link #port(String, int, int, IntPredicate)}) against every port already recorded in
   * the snapshot: {@code data.<field>} of every other resource and {@code vars.<field>} of every
   * host. Host SSH ports ({@link HostState#port()}) are not counted: they are ports on other
   * machines.
   *
   * @param snapshot the state to allocate against
   * @param resourceKey the key of the resource the port is for; also the hash key
   * @param field the data field (and host var) that holds ports, such as {@code "port"}
   * @param base the first port of the range
   * @param range how many ports the range has
   * @return the port
   * @throws StateException if every port of the range is taken
   */
  public static int port(Snapshot snapshot, String resourceKey, String field, int base, int range) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(resourceKey, "resourceKey");
    Objects.requireNonNull(field, "field");
    checkRange(base, range);
    ResourceState own = snapshot.resources().get(resourceKey);
    if (own != null) {
      Integer recorded = asPort(own.data().get(field));
      if (recorded != null) {
        return recorded;
      }
    }
    Set<Integer> taken = takenPorts(snapshot, field);
    return port(resourceKey, base, range, taken::contains);
  }

  /**
   * Every port recorded in a snapshot under a field: {@code data.<field>} of resources and {@code
   * vars.<field>} of hosts, where it holds an integer 0..65535.
   *
   * @param snapshot the state
   * @param field the data field and host var name
   * @return the ports, unmodifiable
   */
  public static Set<Integer> takenPorts(Snapshot snapshot, String field) {
    Set<Integer> taken = new HashSet<>();
    for (ResourceState r : snapshot.resources().values()) {
      add(taken, r.data(), field);
    }
    for (HostState h : snapshot.hosts().values()) {
      add(taken, h.vars(), field);
    }
    return Set.copyOf(taken);
  }

  /**
   * A name from a key: {@code prefix-} followed by the first {@code hexDigits} hex digits of the
   * key's SHA-256, as the orchestrator's {@code generate_resource_hash}.
   *
   * @param prefix such as {@code "hostomatic-prod"}; may be empty (then no dash)
   * @param key the key
   * @param hexDigits how many hex digits, 4..64
   * @return such as {@code "hostomatic-prod-3fa81c09"}
   */
  public static String hashBasedName(String prefix, String key, int hexDigits) {
    return name(prefix, key, hexDigits, 0);
  }

  /**
   * A name from a key that is not taken: {@link #hashBasedName} if free, else the names hashed
   * from {@code key + "#1"}, {@code key + "#2"}, … until one is free.
   *
   * @param prefix the name prefix; may be empty
   * @param key the key
   * @param hexDigits how many hex digits, 4..64
   * @param taken which names are in use
   * @return the first free name
   * @throws StateException if ten thousand candidates are all taken
   */
  public static String name(String prefix, String key, int hexDigits, Predicate<String> taken) {
    Objects.requireNonNull(taken, "taken");
    for (int i = 0; i < 10_000; i++) {
      String candidate = name(prefix, key, hexDigits, i);
      if (!taken.test(candidate)) {
        return candidate;
      }
    }
    throw new StateException("No free name for '" + key + "' with prefix '" + prefix + "' after 10000 candidates;"
        + " use more hex digits.");
  }

  private static String name(String prefix, String key, int hexDigits, int attempt) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(key, "key");
    if (hexDigits < 4 || hexDigits > 64) {
      throw new IllegalArgumentException("hexDigits must be 4..64: " + hexDigits);
    }
    String h = hash(attempt == 0 ? key : key + "#" + attempt).substring(0, hexDigits);
    return prefix.isEmpty() ? h : prefix + "-" + h;
  }

  private static void add(Set<Integer> taken, Map<String, Object> map, String field) {
    Integer p = asPort(map.get(field));
    if (p != null) {
      taken.add(p);
    }
  }

  private static Integer asPort(Object v) {
    if (v instanceof Integer i && i >= 0 && i <= 65535) {
      return i;
    }
    return null;
  }

  private static int slot(String key, int range) {
    Objects.requireNonNull(key, "key");
    long first8 = ByteBuffer.wrap(sha256(key), 0, 8).getLong();
    return (int) Long.remainderUnsigned(first8, range);
  }

  private static void checkRange(int base, int range) {
    if (range < 1) {
      throw new IllegalArgumentException("port range must hold at least one port: " + range);
    }
    if (base < 0 || (long) base + range - 1 > 65535) {
      throw new IllegalArgumentException(
          "ports " + base + ".." + ((long) base + range - 1) + " leave 0..65535");
    }
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
