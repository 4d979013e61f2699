package io.infrastate;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.Change;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The audit entry recorded for one version: the entry of the one write it stores with defaults
 * filled in, or for a group commit the entries of all its writes joined, so that the history
 * shows every change. Stateless.
 */
final class GroupAudit {
  private GroupAudit() {}

  /**
   * Resolves the audit entry of a version.
   *
   * @param audits each write's entry, in commit order
   * @param changes each write's changes, in the same order
   * @param base the version the writes were applied to (to tell an add from an update)
   * @param operator the operator for entries that name none
   * @param locks the fencing tokens the version records
   * @return the entry: the distinct operators, operations (at most three, then a count) and
   *     reasons
   */
  public static AuditEntry resolve(List<AuditEntry> audits, List<List<Change>> changes, Snapshot base, String operator,
      Map<String, Long> locks) {
    LinkedHashSet<String> operators = new LinkedHashSet<>();
    LinkedHashSet<String> operations = new LinkedHashSet<>();
    LinkedHashSet<String> reasons = new LinkedHashSet<>();
    for (int i = 0; i < audits.size(); i++) {
      AuditEntry a = audits.get(i);
      operators.add(a.operator().isEmpty() ? operator : a.operator());
      operations.add(a.operation().isEmpty() ? describe(changes.get(i), base) : a.operation());
      if (!a.reason().isEmpty()) {
        reasons.add(a.reason());
      }
    }
    return new AuditEntry(String.join(", ", operators), join(operations), String.join("; ", reasons), locks);
  }

  private static String join(Collection<String> parts) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (String p : parts) {
      if (i == 3) {
        sb.append(" (+").append(parts.size() - 3).append(" more)");
        break;
      }
      if (i++ > 0) {
        sb.append("; ");
      }
      sb.append(p);
    }
    return sb.toString();
  }

  /**
   * The default operation for a list of changes: "add host web01", or for several, the first
   * three and a count ("add host a, add host b, remove resource c (+2 more)").
   *
   * @param changes the changes of one write
   * @param base the version they were applied to
   * @return the operation; {@code "save"} for no change
   */
  public static String describe(List<Change> changes, Snapshot base) {
    if (changes.isEmpty()) {
      return "save";
    }
    StringBuilder sb = new StringBuilder();
    int shown = Math.min(3, changes.size());
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(describe(changes.get(i), base));
    }
    if (changes.size() > shown) {
      sb.append(" (+").append(changes.size() - shown).append(" more)");
    }
    return sb.toString();
  }

  private static String describe(Change c, Snapshot base) {
    if (c instanceof Change.PutHost p) {
      return (base.hasHost(p.host().name()) ? "update host " : "add host ") + p.host().name();
    } else if (c instanceof Change.RemoveHost r) {
      return "remove host " + r.name();
    } else if (c instanceof Change.PutResource p) {
      return (base.hasResource(p.key()) ? "update resource " : "add resource ") + p.key();
    } else if (c instanceof Change.RemoveResource r) {
      return "remove resource " + r.key();
    }
    return "replace content";
  }
}
