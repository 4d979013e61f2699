package io.infrastate.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place where infrastate reads the process environment (user name, host name, pid), so
 * that nothing deep inside the library depends on ambient globals. Values are read once.
 */
public final class Environment {
  private static volatile String hostname;

  private Environment() {}

  /**
   * The default operator for audit entries and locks: {@code user@hostname}.
   *
   * @return the operator name
   */
  public static String defaultOperator() {
    String user = System.getProperty("user.name", "unknown");
    return user + "@" + hostname();
  }

  /**
   * This machine's host name, from {@code HOSTNAME}, {@code /etc/hostname} or the resolver.
   *
   * @return the host name, {@code localhost} if none can be found
   */
  public static String hostname() {
    String h = hostname;
    if (h == null) {
      h = lookupHostname();
      hostname = h;
    }
    return h;
  }

  /**
   * This process's id.
   *
   * @return the pid
   */
  public static long pid() {
    return ProcessHandle.current().pid();
  }

  private static String lookupHostname() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env.strip();
    }
    try {
      Path etc = Path.of("/etc/hostname");
      if (Files.isReadable(etc)) {
        String s = Files.readString(etc, StandardCharsets.UTF_8).strip();
        if (!s.isEmpty()) {
          return s;
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through to the resolver
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
