package io.infrastate.benchmarks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One scenario's table of the comparison harness: contenders by row, a column group per N. Not thread-safe. */
final class Table {
  final String title;
  final String about;
  final List<String> subColumns;
  final Map<String, Map<Integer, List<String>>> rows = new LinkedHashMap<>();

  Table(String title, String about, List<String> subColumns) {
    this.title = title;
    this.about = about;
    this.subColumns = subColumns;
  }

  void put(String row, int n, String... cells) {
    rows.computeIfAbsent(row, r -> new LinkedHashMap<>()).put(n, List.of(cells));
  }

  String render(int[] sizes) {
    StringBuilder sb = new StringBuilder();
    sb.append("### ").append(title).append("\n\n").append(about).append("\n\n| contender |");
    for (int n : sizes) {
      for (String c : subColumns) {
        sb.append(" N=").append(Compare.label(n)).append(c.isEmpty() ? "" : " " + c).append(" |");
      }
    }
    sb.append("\n|---|");
    for (int i = 0; i < sizes.length * subColumns.size(); i++) {
      sb.append("---:|");
    }
    sb.append('\n');
    for (Map.Entry<String, Map<Integer, List<String>>> r : rows.entrySet()) {
      sb.append("| ").append(r.getKey()).append(" |");
      for (int n : sizes) {
        List<String> cells = r.getValue().get(n);
        for (int i = 0; i < subColumns.size(); i++) {
          sb.append(' ').append(cells == null || i >= cells.size() ? "–" : cells.get(i)).append(" |");
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
