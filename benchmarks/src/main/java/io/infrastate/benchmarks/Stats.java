package io.infrastate.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * Summary statistics of timed samples, and formatting. Stateless and thread-safe.
 */
public final class Stats {
  private Stats() {}

  /**
   * The median of samples.
   *
   * @param nanos samples in nanoseconds
   * @return the median, or NaN if there are none
   */
  public static double median(long[] nanos) {
    return percentile(nanos, 50);
  }

  /**
   * The median of values (the mean of the middle two for an even count).
   *
   * @param values the values
   * @return the median, or NaN if there are none
   */
  public static double median(double... values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /**
   * A percentile of samples (nearest rank).
   *
   * @param nanos samples
   * @param p 0..100
   * @return the value, or NaN if there are none
   */
  public static double percentile(long[] nanos, double p) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /**
   * Formats a duration for a table: µs below 1 ms, ms below 10 s, else s.
   *
   * @param nanos the duration, may be NaN
   * @return such as {@code 0.214 ms}
   */
  public static String time(double nanos) {
    if (Double.isNaN(nanos)) {
      return "–";
    }
    if (nanos < 1_000_000) {
      return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
    }
    if (nanos < 10_000_000_000.0) {
      return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  /**
   * Formats a ratio.
   *
   * @param r the ratio, may be NaN
   * @return such as {@code 1.07×}
   */
  public static String ratio(double r) {
    if (Double.isNaN(r) || Double.isInfinite(r)) {
      return "–";
    }
    return String.format(Locale.ROOT, r < 10 ? "%.2f×" : "%.0f×", r);
  }

  /**
   * Formats a rate.
   *
   * @param perSecond the rate
   * @return such as {@code 1,234/s}
   */
  public static String rate(double perSecond) {
    if (Double.isNaN(perSecond)) {
      return "–";
    }
    return String.format(Locale.ROOT, perSecond >= 100 ? "%,.0f/s" : "%,.1f/s", perSecond);
  }

  /**
   * Formats a byte count.
   *
   * @param bytes the count
   * @return such as {@code 7.2 MB}
   */
  public static String bytes(double bytes) {
    if (bytes < 1e6) {
      return String.format(Locale.ROOT, "%.0f KB", bytes / 1e3);
    }
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }
}
