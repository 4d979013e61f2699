package io.infrastate.inventory.internal;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ansible's host-pattern handling for file inventories, ported from {@code
 * ansible.parsing.utils.addresses.parse_address} and {@code
 * ansible.plugins.inventory.expand_hostname_range} (ansible-core 2.14): an optional {@code :port}
 * (or {@code [host]:port}) is split off when what remains is a valid host name, IPv4 or IPv6 address
 * (ranges allowed), then {@code [a:b(:step)]} ranges are expanded. Not part of the API.
 */
public final class HostPatterns {
  private HostPatterns() {}

  /** Python's {@code \w} on str. */
  private static final String W = "[\\p{L}\\p{N}_]";

  private static final String NUMERIC_RANGE = "\\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\\]";
  private static final String HEX_RANGE = "\\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\\]";
  private static final String ALNUM_RANGE = "\\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\\]";
  private static final String IPV6_C = "(?:[0-9a-f]{1,4}|" + HEX_RANGE + ")";
  private static final String IPV4_C =
      "(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|" + NUMERIC_RANGE + ")";
  private static final String LABEL =
      "(?:" + W + "|" + ALNUM_RANGE + ")(?:[\\p{L}\\p{N}_\\-]|" + ALNUM_RANGE + ")*(?<![_-])";

  private static final int FLAGS = Pattern.UNIX_LINES;
  private static final int FLAGS_I = Pattern.UNIX_LINES | Pattern.CASE_INSENSITIVE;

  private static final Pattern BRACKETED_HOSTPORT = Pattern.compile("^\\[(.+)\\]:([0-9]+)$", FLAGS);
  private static final Pattern HOSTPORT =
      Pattern.compile("^((?:[^:\\[\\]]|\\[[^\\]]*\\])*):([0-9]+)$", FLAGS);
  private static final Pattern IPV4 =
      Pattern.compile("^(?:" + IPV4_C + "\\.){3}" + IPV4_C + "$", FLAGS_I);
  // As in Python: '^' binds to the first alternative and '$' to the last only; matched with
  // lookingAt(), like re.match.
  private static final Pattern IPV6 =
      Pattern.compile(
          "^(?:C:){7}C|(?:C:){1,6}:|(?:C:)(?::C){1,6}|(?:C:){2}(?::C){1,5}|(?:C:){3}(?::C){1,4}"
                  .replace("C", IPV6_C)
              + "|(?:C:){4}(?::C){1,3}|(?:C:){5}(?::C){1,2}|(?:C:){6}(?::C)|:(?::C){1,6}|C?::"
                  .replace("C", IPV6_C)
              + "|(?:0:){6}(?:C\\.){3}C|::(?:ffff:)?(?:C\\.){3}C|(?:0:){5}ffff:(?:C\\.){3}C$"
                  .replace("C", IPV6_C),
          FLAGS_I);
  private static final Pattern HOSTNAME =
      Pattern.compile("^" + LABEL + "(?:\\." + LABEL + ")*$", FLAGS_I);

  private static final String ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

  /**
   * The result of expanding a host pattern.
   *
   * @param hostnames the host names, in order
   * @param port the port given with {@code :port}, or {@code null}
   */
  public record Expansion(List<String> hostnames, BigInteger port) {}

  /**
   * Ansible's {@code _expand_hostpattern}.
   *
   * @param pattern the host pattern as written
   * @return the host names and the port
   * @throws IllegalArgumentException with Ansible's message if a range is malformed
   */
  public static Expansion expand(String pattern) {
    String host = pattern;
    BigInteger port = null;
    String[] parsed = parseAddress(pattern);
    if (parsed != null) {
      host = parsed[0];
      port = parsed[1] == null ? null : new BigInteger(parsed[1]);
    }
    List<String> names = host.indexOf('[') >= 0 ? expandRange(host) : List.of(host);
    return new Expansion(names, port);
  }

  /**
   * Whether a host name survives a trip through a YAML or INI inventory unchanged: Ansible reads it
   * back as exactly this one host, without a port.
   *
   * @param name the host name
   * @return {@code true} if it is safe to write as a host key
   */
  public static boolean isLiteral(String name) {
    try {
      Expansion e = expand(name);
      return e.port() == null && e.hostnames().size() == 1 && e.hostnames().get(0).equals(name);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** parse_address(address, allow_ranges=True); null where Python raises. */
  private static String[] parseAddress(String address) {
    String port = null;
    for (Pattern p : new Pattern[] {BRACKETED_HOSTPORT, HOSTPORT}) {
      Matcher m = p.matcher(address);
      if (m.lookingAt()) {
        address = m.group(1);
        port = m.group(2);
      }
    }
    boolean host =
        IPV4.matcher(address).lookingAt()
            || IPV6.matcher(address).lookingAt()
            || HOSTNAME.matcher(address).lookingAt();
    if (!host || address.isEmpty()) {
      return null;
    }
    return new String[] {address, port};
  }

  private static List<String> expandRange(String line) {
    List<String> all = new ArrayList<>();
    if (line.isEmpty()) {
      return all;
    }
    String s = replaceFirst(replaceFirst(line, '[', '|'), ']', '|');
    String[] parts = s.split("\\|", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException(
          "host pattern '" + line + "' has unbalanced or extra '[', ']' or '|' characters");
    }
    String head = parts[0];
    String nrange = parts[1];
    String tail = parts[2];
    String[] bounds = nrange.split(":", -1);
    if (bounds.length != 2 && bounds.length != 3) {
      throw new IllegalArgumentException("host range must be begin:end or begin:end:step");
    }
    String beg = bounds[0].isEmpty() ? "0" : bounds[0];
    String end = bounds[1];
    String step = bounds.length == 2 ? "1" : bounds[2];
    if (end.isEmpty()) {
      throw new IllegalArgumentException("host range must specify end value");
    }
    int rlen = 0;
    if (beg.charAt(0) == '0' && beg.length() > 1) {
      rlen = beg.length();
      if (rlen != end.length()) {
        throw new IllegalArgumentException(
            "host range must specify equal-length begin and end formats");
      }
    }
    List<String> seq = new ArrayList<>();
    int iBeg = ASCII_LETTERS.indexOf(beg);
    int iEnd = ASCII_LETTERS.indexOf(end);
    boolean alpha = false;
    if (iBeg >= 0 && iEnd >= 0) {
      if (iBeg > iEnd) {
        throw new IllegalArgumentException("host range must have begin <= end");
      }
      BigInteger st = pyInt(step);
      if (st != null && st.signum() != 0) {
        alpha = true;
        if (st.signum() > 0) {
          int k = st.bitLength() < 31 ? st.intValue() : Integer.MAX_VALUE;
          for (long i = iBeg; i <= iEnd; i += k) {
            seq.add(String.valueOf(ASCII_LETTERS.charAt((int) i)));
          }
        }
      }
    }
    if (!alpha) {
      BigInteger b = pyInt(beg);
      BigInteger e = pyInt(end);
      BigInteger st = pyInt(step);
      if (b == null || e == null || st == null) {
        throw new IllegalArgumentException("host range '" + nrange + "' is not numeric or alphabetic");
      }
      if (st.signum() == 0) {
        throw new IllegalArgumentException("host range step must not be zero");
      }
      BigInteger stop = e.add(BigInteger.ONE);
      for (BigInteger i = b;
          st.signum() > 0 ? i.compareTo(stop) < 0 : i.compareTo(stop) > 0;
          i = i.add(st)) {
        seq.add(i.toString());
        if (seq.size() > 10_000_000) {
          throw new IllegalArgumentException("host range '" + nrange + "' is too large");
        }
      }
    }
    for (String r : seq) {
      String name = head + (rlen > 0 ? zfill(r, rlen) : r) + tail;
      if (name.indexOf('[') >= 0) {
        all.addAll(expandRange(name));
      } else {
        all.add(name);
      }
    }
    return all;
  }

  private static String replaceFirst(String s, char from, char to) {
    int i = s.indexOf(from);
    return i < 0 ? s : s.substring(0, i) + to + s.substring(i + 1);
  }

  /** Python's str.zfill. */
  private static String zfill(String s, int width) {
    if (s.length() >= width) {
      return s;
    }
    String sign = "";
    String digits = s;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      sign = s.substring(0, 1);
      digits = s.substring(1);
    }
    return sign + "0".repeat(width - s.length()) + digits;
  }

  /** Python's int(str) for ASCII input: surrounding whitespace, a sign, digits with single underscores. */
  static BigInteger pyInt(String s) {
    String t = s.strip();
    if (!t.matches("[+-]?[0-9](?:_?[0-9])*")) {
      return null;
    }
    return new BigInteger(t.replace("_", ""));
  }
}
