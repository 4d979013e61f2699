package io.infrastate.inventory.internal;

import java.math.BigInteger;
import java.time.LocalDate;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyYAML's constructors for the YAML 1.1 scalar types ({@code construct_yaml_int}, {@code _float},
 * {@code _bool}, {@code _timestamp}), producing the JSON value Ansible ends up with. A timestamp
 * becomes the string Python's {@code isoformat()} gives, which is what {@code ansible-inventory}
 * prints for it. Not part of the API.
 */
public final class PyYamlScalars {
  private PyYamlScalars() {}

  private static final Pattern TIMESTAMP =
      Pattern.compile(
          "^(?<year>[0-9][0-9][0-9][0-9])-(?<month>[0-9][0-9]?)-(?<day>[0-9][0-9]?)"
              + "(?:(?:[Tt]|[ \\t]+)(?<hour>[0-9][0-9]?):(?<minute>[0-9][0-9]):(?<second>[0-9][0-9])"
              + "(?:\\.(?<fraction>[0-9]*))?"
              + "(?:[ \\t]*(?<tz>Z|(?<tzsign>[-+])(?<tzhour>[0-9][0-9]?)(?::(?<tzminute>[0-9][0-9]))?))?)?$");

  /**
   * {@code construct_yaml_int}.
   *
   * @param text the scalar
   * @return the integer
   * @throws IllegalArgumentException if it is not an integer
   */
  public static BigInteger toInt(String text) {
    String v = text.replace("_", "");
    if (v.isEmpty()) {
      throw new IllegalArgumentException("'" + text + "' is not an integer");
    }
    int sign = 1;
    if (v.charAt(0) == '-') {
      sign = -1;
    }
    if (v.charAt(0) == '+' || v.charAt(0) == '-') {
      v = v.substring(1);
    }
    try {
      BigInteger r;
      if (v.equals("0")) {
        return BigInteger.ZERO;
      } else if (v.startsWith("0b")) {
        r = new BigInteger(v.substring(2), 2);
      } else if (v.startsWith("0x")) {
        r = new BigInteger(v.substring(2), 16);
      } else if (v.startsWith("0")) {
        r = new BigInteger(v, 8);
      } else if (v.contains(":")) {
        r = BigInteger.ZERO;
        for (String part : v.split(":", -1)) {
          r = r.multiply(BigInteger.valueOf(60)).add(new BigInteger(part.strip()));
        }
      } else {
        r = new BigInteger(v.strip());
      }
      return sign < 0 ? r.negate() : r;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not an integer", e);
    }
  }

  /**
   * {@code construct_yaml_float}.
   *
   * @param text the scalar
   * @return the double, possibly infinite or NaN
   * @throws IllegalArgumentException if it is not a float
   */
  public static double toFloat(String text) {
    String v = text.replace("_", "").toLowerCase(Locale.ROOT);
    if (v.isEmpty()) {
      throw new IllegalArgumentException("'" + text + "' is not a float");
    }
    double sign = 1;
    if (v.charAt(0) == '-') {
      sign = -1;
    }
    if (v.charAt(0) == '+' || v.charAt(0) == '-') {
      v = v.substring(1);
    }
    try {
      if (v.equals(".inf")) {
        return sign * Double.POSITIVE_INFINITY;
      } else if (v.equals(".nan")) {
        return Double.NaN;
      } else if (v.contains(":")) {
        String[] parts = v.split(":", -1);
        double value = 0;
        double base = 1;
        for (int i = parts.length - 1; i >= 0; i--) {
          value += pyFloat(parts[i]) * base;
          base *= 60;
        }
        return sign * value;
      }
      return sign * pyFloat(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a float", e);
    }
  }

  private static double pyFloat(String s) {
    String t = s.strip();
    if (!t.matches("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:e[+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)")) {
      throw new NumberFormatException(s);
    }
    return switch (t.replaceFirst("^[+-]", "")) {
      case "inf", "infinity" -> t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      case "nan" -> Double.NaN;
      default -> Double.parseDouble(t);
    };
  }

  /**
   * {@code construct_yaml_bool}.
   *
   * @param text the scalar
   * @return the boolean
   * @throws IllegalArgumentException if it is not one of yes/no/true/false/on/off (any case)
   */
  public static boolean toBool(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "yes", "true", "on" -> true;
      case "no", "false", "off" -> false;
      default -> throw new IllegalArgumentException("'" + text + "' is not a boolean");
    };
  }

  /**
   * {@code construct_yaml_timestamp}, then Python's {@code isoformat()}.
   *
   * @param text the scalar
   * @return e.g. {@code 2024-01-15} or {@code 2001-12-14T21:59:43.100000-05:00}
   * @throws IllegalArgumentException if it is not a valid date or time
   */
  public static String toTimestamp(String text) {
    Matcher m = TIMESTAMP.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a timestamp");
    }
    LocalDate date;
    try {
      date =
          LocalDate.of(
              Integer.parseInt(m.group("year")),
              Integer.parseInt(m.group("month")),
              Integer.parseInt(m.group("day")));
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("'" + text + "' is not a valid date: " + e.getMessage(), e);
    }
    String iso = date.toString();
    if (date.getYear() < 1) {
      throw new IllegalArgumentException("'" + text + "' has year 0, which Python does not allow");
    }
    if (m.group("hour") == null) {
      return iso;
    }
    int hour = Integer.parseInt(m.group("hour"));
    int minute = Integer.parseInt(m.group("minute"));
    int second = Integer.parseInt(m.group("second"));
    if (hour > 23 || minute > 59 || second > 59) {
      throw new IllegalArgumentException("'" + text + "' is not a valid time");
    }
    StringBuilder sb = new StringBuilder(iso);
    sb.append(String.format(Locale.ROOT, "T%02d:%02d:%02d", hour, minute, second));
    String fraction = m.group("fraction");
    if (fraction != null && !fraction.isEmpty()) {
      String f = fraction.length() > 6 ? fraction.substring(0, 6) : fraction;
      f = f + "0".repeat(6 - f.length());
      if (Integer.parseInt(f) != 0) {
        sb.append('.').append(f);
      }
    }
    if (m.group("tzsign") != null) {
      int th = Integer.parseInt(m.group("tzhour"));
      int tm = m.group("tzminute") == null ? 0 : Integer.parseInt(m.group("tzminute"));
      int total = th * 60 + tm;
      if (total >= 24 * 60) {
        throw new IllegalArgumentException("'" + text + "' has a UTC offset of 24 hours or more");
      }
      char sign = m.group("tzsign").charAt(0);
      if (total == 0) {
        sign = '+';
      }
      sb.append(String.format(Locale.ROOT, "%c%02d:%02d", sign, total / 60, total % 60));
    } else if (m.group("tz") != null) {
      sb.append("+00:00");
    }
    return sb.toString();
  }
}
