package io.infrastate.examples.cli;

import java.util.function.Predicate;

/**
 * What a {@code KEY} argument of the {@code state} verbs names: a host or a resource. A bare key
 * names the host or the resource that has it; {@code host.NAME} and {@code resource.KEY} say which,
 * for a key that is both (or to be explicit in scripts). Immutable.
 *
 * @param host whether it names a host (else a resource)
 * @param key the host name or resource key
 */
record Address(boolean host, String key) {
  static final String HOST_PREFIX = "host.";
  static final String RESOURCE_PREFIX = "resource.";

  /** How it is printed: {@code host.web01}, {@code resource.linode:42}. */
  @Override
  public String toString() {
    return (host ? HOST_PREFIX : RESOURCE_PREFIX) + key;
  }

  /**
   * Resolves an existing host or resource.
   *
   * @throws CliException if it names nothing, or both a host and a resource
   */
  static Address existing(String text, Predicate<String> hasHost, Predicate<String> hasResource, String location) {
    boolean h = hasHost.test(text);
    boolean r = hasResource.test(text);
    if (h && r) {
      throw CliException.error(
          "'" + text + "' is both a host and a resource key in " + location + "; write " + HOST_PREFIX + text
              + " or " + RESOURCE_PREFIX + text);
    }
    if (h) {
      return new Address(true, text);
    }
    if (r) {
      return new Address(false, text);
    }
    if (text.startsWith(HOST_PREFIX) && hasHost.test(text.substring(HOST_PREFIX.length()))) {
      return new Address(true, text.substring(HOST_PREFIX.length()));
    }
    if (text.startsWith(RESOURCE_PREFIX) && hasResource.test(text.substring(RESOURCE_PREFIX.length()))) {
      return new Address(false, text.substring(RESOURCE_PREFIX.length()));
    }
    throw CliException.error(
        "No host or resource '" + text + "' in " + location + "; see 'infrastate state list' for the keys");
  }

  /** The destination of a move: the same kind as {@code from}, with an optional prefix. */
  static Address target(Address from, String text) {
    String prefix = from.host ? HOST_PREFIX : RESOURCE_PREFIX;
    String other = from.host ? RESOURCE_PREFIX : HOST_PREFIX;
    if (text.startsWith(other)) {
      throw CliException.usage(
          "Cannot move " + from + " to '" + text + "': a host stays a host and a resource a resource");
    }
    return new Address(from.host, text.startsWith(prefix) ? text.substring(prefix.length()) : text);
  }
}
