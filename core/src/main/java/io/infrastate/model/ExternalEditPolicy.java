package io.infrastate.model;

import java.util.Locale;

/**
 * What a backend does with a stored state that another tool changed: a {@code jq … > tmp && mv tmp
 * state.json} script, a Go-FTL2 program that rewrites {@code state.json} without serial and
 * lineage, a person's commit or upload. A backend knows what it last wrote; content that differs
 * from it is an external edit (see {@link ExternalEdit}).
 *
 * <p>Either way, reads see the external content, flagged as an external edit; reads never write.
 */
public enum ExternalEditPolicy {
  /**
   * The default: before the next change is written, the external content becomes a version of its
   * own (serial + 1, the same lineage, operator {@value ExternalEdit#OPERATOR}, operation
   * {@value ExternalEdit#OPERATION}, the difference to the version it replaced as its reason), then
   * the change follows as the version after it. The history keeps every earlier version.
   */
  RECORD,
  /**
   * For teams that forbid editing the state by hand: every write fails with {@link
   * ExternalEditException} (naming the difference) until a person accepts the edit (which records
   * it as a version, as {@link #RECORD} would) or restores the version it replaced.
   */
  REFUSE;

  /**
   * The policy named {@code record} or {@code refuse} (case-insensitive), as a URI option gives it.
   *
   * @param name the name
   * @return the policy
   * @throws IllegalArgumentException if the name is neither
   */
  public static ExternalEditPolicy parse(String name) {
    switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
      case "record":
        return RECORD;
      case "refuse":
        return REFUSE;
      default:
        throw new IllegalArgumentException("external must be record or refuse, got '" + name + "'");
    }
  }

  /**
   * The name used in URIs.
   *
   * @return {@code record} or {@code refuse}
   */
  public String uriName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
