package io.infrastate.internal;

import io.infrastate.model.HostState;
import io.infrastate.model.Json;
import io.infrastate.model.JsonPaths;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Violation;
import java.util.List;

/**
 * The structural rules every stored state obeys, checked on load (a violation there is damage) and
 * before every write (a violation there vetoes the write). One place, so that load and write can
 * never disagree.
 *
 * <ul>
 *   <li>A host's key equals its name; names are not empty and contain no control characters and no
 *       half of a surrogate pair (a JSON name cannot hold one).
 *   <li>Ports are within 0..65535.
 *   <li>A resource's key, type and id are not empty; its key contains no control characters and
 *       no half of a surrogate pair.
 *   <li>Metadata has a format version and a non-negative serial.
 * </ul>
 *
 * (Vars, data and tags are JSON-compatible by construction: the value types refuse anything else,
 * such as a key holding half a surrogate pair.)
 */
public final class StructuralRules {
  private static final String HALF_PAIR =
      "key holds half a surrogate pair, which a JSON name cannot hold (the state could not be read back); use whole characters";

  private StructuralRules() {}

  /**
   * Checks one host stored under a key.
   *
   * @param key the key in the hosts map
   * @param host the host
   * @param out where violations are added
   */
  public static void checkHost(String key, HostState host, List<Violation> out) {
    if (key.isEmpty()) {
      out.add(new Violation(hostPath(key), "host name must not be empty"));
    } else if (hasControl(key)) {
      out.add(new Violation(hostPath(key), "host name must not contain control characters"));
    } else if (Json.halfSurrogateAt(key) >= 0) {
      out.add(new Violation(hostPath(key), HALF_PAIR));
    }
    if (!key.equals(host.name())) {
      out.add(
          new Violation(
              hostPath(key) + ".name",
              "host stored under key '" + key + "' is named '" + host.name() + "'; they must be equal"));
    }
    if (host.port() < 0 || host.port() > 65535) {
      out.add(new Violation(hostPath(key) + ".port", "port " + host.port() + " is outside 0..65535"));
    }
  }

  /**
   * Checks one resource stored under a key.
   *
   * @param key the key in the resources map
   * @param resource the resource
   * @param out where violations are added
   */
  public static void checkResource(String key, ResourceState resource, List<Violation> out) {
    if (key.isEmpty()) {
      out.add(new Violation(resourcePath(key), "resource key must not be empty"));
    } else if (hasControl(key)) {
      out.add(new Violation(resourcePath(key), "resource key must not contain control characters"));
    } else if (Json.halfSurrogateAt(key) >= 0) {
      out.add(new Violation(resourcePath(key), HALF_PAIR));
    }
    if (resource.type().isEmpty()) {
      out.add(new Violation(resourcePath(key) + ".type", "resource type must not be empty"));
    }
    if (resource.id().isEmpty()) {
      out.add(new Violation(resourcePath(key) + ".id", "resource id must not be empty"));
    }
  }

  // paths are built only for a violation: checks run on every entry of every load
  private static String hostPath(String key) {
    return JsonPaths.member("$.hosts", key);
  }

  private static String resourcePath(String key) {
    return JsonPaths.member("$.resources", key);
  }

  /**
   * Checks metadata.
   *
   * @param metadata the metadata
   * @param out where violations are added
   */
  public static void checkMetadata(Metadata metadata, List<Violation> out) {
    if (metadata.version().isEmpty()) {
      out.add(new Violation("$.metadata.version", "format version must not be empty"));
    }
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }
}
