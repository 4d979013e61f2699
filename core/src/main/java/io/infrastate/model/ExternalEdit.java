package io.infrastate.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A change to a stored state that infrastate did not write: the stored content differs from what
 * the backend last wrote for that version (the same serial with other content, or a file without
 * serial and lineage, as Go-FTL2 writes it, where a known lineage stood). What happens next is the
 * backend's {@link ExternalEditPolicy}: by default the edit is recorded as a version of its own,
 * with serial {@link #serial()}, operator {@value #OPERATOR} and operation {@value #OPERATION}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ExternalEdit {
  /** The operator recorded for an external edit where the storage names no author. */
  public static final String OPERATOR = "external";

  /** The operation recorded for an external edit. */
  public static final String OPERATION = "external edit";

  private final String location;
  private final long replacedSerial;
  private final String lineage;
  private final StateDiff diff;
  private final List<String> notes;
  private final List<String> lost;

  /**
   * Creates a description of an external edit.
   *
   * @param location where the edited state is stored (a file, an object), never with credentials
   * @param replacedSerial the serial of the version infrastate last wrote, which the edit replaced
   * @param lineage the state's lineage, which the edit keeps
   * @param diff the difference from the replaced version to the edited content, or {@code null} if
   *     the replaced version is no longer kept
   * @param notes what else is known, one line each (such as "serial and lineage were removed")
   * @param lost what the edited content lacks of versions its writer could not have read, one line
   *     each (such as "host web03, added by version 7"); empty if nothing points to that
   * @throws NullPointerException if location, lineage, notes or lost is null
   * @throws IllegalArgumentException if {@code replacedSerial} is negative
   */
  public ExternalEdit(String location, long replacedSerial, String lineage, StateDiff diff, List<String> notes, List<String> lost) {
    this.location = Objects.requireNonNull(location, "location");
    if (replacedSerial < 0) {
      throw new IllegalArgumentException("replacedSerial must not be negative: " + replacedSerial);
    }
    this.replacedSerial = replacedSerial;
    this.lineage = Objects.requireNonNull(lineage, "lineage");
    this.diff = diff;
    this.notes = List.copyOf(notes);
    this.lost = List.copyOf(lost);
  }


  /**
   * Where the edited state is stored.
   *
   * @return a file path or URI, never with credentials
   */
  public String location() {
    return location;
  }

  /**
   * The serial of the version the edit replaced: the last one infrastate wrote.
   *
   * @return the serial
   */
  public long replacedSerial() {
    return replacedSerial;
  }

  /**
   * The serial the edit has as a version: one after the version it replaced.
   *
   * @return {@link #replacedSerial()} + 1
   */
  public long serial() {
    return replacedSerial + 1;
  }

  /**
   * The state's lineage, which the edit keeps (even where the edited file has none).
   *
   * @return a lineage UUID
   */
  public String lineage() {
    return lineage;
  }

  /**
   * The difference from the replaced version to the edited content.
   *
   * @return the difference, or empty if the replaced version is no longer kept (history retention)
   */
  public Optional<StateDiff> diff() {
    return Optional.ofNullable(diff);
  }

  /**
   * What else is known about the edit, one line each, such as that it removed serial and lineage.
   *
   * @return the notes, possibly empty
   */
  public List<String> notes() {
    return notes;
  }

  /**
   * What the edited content lacks of versions that its writer could not have read: the writer read
   * an older version, changed it and wrote it back without compare-and-swap, over versions written
   * meanwhile (see {@code docs/external-edits.md}). One line each, such as {@code "host web03
   * (added by version 7)"}.
   *
   * @return the lost changes, empty if nothing points to a lost update
   */
  public List<String> lostUpdates() {
    return lost;
  }

  /**
   * One line for history entries and logs: what changed, field names but no values (a value may be
   * a secret).
   *
   * @return a description such as {@code "state.json changed outside infrastate after version 4: 1
   *     difference: 1 host changed (~ host web01: address)"}
   */
  public String description() {
    StringBuilder sb = new StringBuilder(location).append(" changed outside infrastate after version ").append(replacedSerial).append(": ");
    if (diff == null) {
      sb.append("version ").append(replacedSerial).append(" is no longer kept, so the difference is unknown");
    } else {
      sb.append(diff.summary());
      List<String> entries = new ArrayList<>();
      for (StateDiff.Entry e : diff.entries()) {
        StringBuilder one = new StringBuilder().append(e.kind().symbol()).append(' ')
            .append(e.section() == StateDiff.Section.HOST ? "host " : "resource ").append(e.key());
        if (e.kind() == StateDiff.Kind.CHANGED && !e.fields().isEmpty()) {
          List<String> fields = new ArrayList<>();
          e.fields().forEach(f -> fields.add(f.field()));
          one.append(": ").append(String.join(", ", fields));
        }
        entries.add(one.toString());
      }
      if (!entries.isEmpty()) {
        sb.append(" (").append(String.join("; ", entries)).append(')');
      }
    }
    for (String n : notes) {
      sb.append("; ").append(n);
    }
    if (!lost.isEmpty()) {
      sb.append("; lost update: it lacks ").append(String.join(", ", lost))
          .append(", written after the version its writer read (a writer without compare-and-swap overwrote them)");
    }
    return sb.toString();
  }

  /**
   * The audit entry this edit is recorded with as a version of its own: operator {@value
   * #OPERATOR}, operation {@value #OPERATION}, and the {@link #description()} as its reason,
   * preceded by who accepted the edit and why when a person did.
   *
   * @param accepted the entry of the person who accepted the edit (its operator and reason are
   *     used); null when the edit is recorded without being accepted
   * @return the audit entry
   */
  public AuditEntry audit(AuditEntry accepted) {
    String reason = description();
    if (accepted != null) {
      String by = accepted.operator().isEmpty() ? "" : " by " + accepted.operator();
      String why = accepted.reason().isEmpty() ? "" : " (" + accepted.reason() + ")";
      reason = "accepted" + by + why + ": " + reason;
    }
    return new AuditEntry(OPERATOR, OPERATION, reason);
  }

  /** The {@link #description()}: no values, as a value may be a secret. */
  @Override
  public String toString() {
    return description();
  }
}
