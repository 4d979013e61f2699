package io.infrastate.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The updates that concurrent writers report as committed, by serial, for the claim that no update
 * is lost: a writer prints {@link #line} after each update returns, and a serial reported by two
 * writers is a lost update.
 *
 * <p>Not thread-safe.
 */
public final class Commits {
  private static final Pattern LINE = Pattern.compile("^COMMITTED (\\d+) (\\S+)$", Pattern.MULTILINE);

  private final Map<Long, String> bySerial = new HashMap<>();
  private final List<String> duplicates = new ArrayList<>();

  /** Creates an empty record. */
  public Commits() {}

  /**
   * The line a writer prints once an update returned.
   *
   * @param serial the version the update stored
   * @param update the update's name, without spaces
   * @return {@code COMMITTED <serial> <update>}
   */
  public static String line(long serial, String update) {
    return "COMMITTED " + serial + " " + update;
  }

  /**
   * The updates a writer's output reports as committed, in order.
   *
   * @param output the writer's output
   * @return the updates' names
   */
  public static List<String> updates(String output) {
    List<String> out = new ArrayList<>();
    Matcher m = LINE.matcher(output);
    while (m.find()) {
      out.add(m.group(2));
    }
    return out;
  }

  /**
   * Records every commit a writer's output reports.
   *
   * @param output the writer's output
   * @return how many it reports
   */
  public int addOutput(String output) {
    Matcher m = LINE.matcher(output);
    int n = 0;
    while (m.find()) {
      add(Long.parseLong(m.group(1)), m.group(2));
      n++;
    }
    return n;
  }

  /**
   * Records one commit; a serial recorded before is kept and noted as a duplicate.
   *
   * @param serial the version the update stored
   * @param update the update's name
   */
  public void add(long serial, String update) {
    String prev = bySerial.putIfAbsent(serial, update);
    if (prev != null) {
      duplicates.add(serial + ": " + prev + " and " + update);
    }
  }

  /**
   * Which update each serial was reported for (the first report, where there were two).
   *
   * @return the record, by serial
   */
  public Map<Long, String> bySerial() {
    return bySerial;
  }

  /**
   * The serials reported by two updates, each as {@code serial: first and second}.
   *
   * @return the duplicates, empty when no update was lost
   */
  public List<String> duplicates() {
    return duplicates;
  }
}
