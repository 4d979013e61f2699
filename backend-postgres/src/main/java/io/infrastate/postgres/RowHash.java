package io.infrastate.postgres;

/**
 * The content hash that every row this backend writes carries in its {@code content_hash} column,
 * as SQL expressions over the row's columns: computed by the server when a row is written and again
 * when it is read, so that one definition serves writes, reads and the upgrade of older tables. A
 * row whose hash is missing or differs from its columns was written or changed outside infrastate
 * (see {@link RowEdits}).
 *
 * <p>The hash covers what a version is, not who wrote it: a versions row's serial, lineage, kind,
 * removed keys and payload (not its audit columns); a checkpoint's serial, lineage and content; the
 * head's serial and lineage; each with the state's name and the table's letter. It detects edits,
 * not forgery: someone who recomputes it is not detected.
 */
final class RowHash {
  private RowHash() {}

  /**
   * The hash of a versions row.
   *
   * @param p the prefix of the row's columns, such as {@code "v."} or {@code ""}
   */
  static String versions(String p) {
    return "sha256(convert_to(concat_ws(chr(10), 'v', " + p + "state, " + p + "serial::text, " + p + "lineage, " + p + "kind, array_to_json("
        + p + "removed_hosts)::text, array_to_json(" + p + "removed_resources)::text), 'UTF8') || coalesce(" + p
        + "payload, ''::bytea))";
  }

  /** The hash of a checkpoints row. */
  static String checkpoints(String p) {
    return "sha256(convert_to(concat_ws(chr(10), 'c', " + p + "state, " + p + "serial::text, " + p + "lineage), 'UTF8') || "
        + p + "content)";
  }

  /** The hash of a states row (the head). */
  static String states(String p) {
    return "sha256(convert_to(concat_ws(chr(10), 's', " + p + "state, " + p + "serial::text, " + p + "lineage), 'UTF8'))";
  }

  /**
   * The hash of a head of the given state, serial and lineage, as SQL with three parameters: state
   * (text), serial (bigint), lineage (text).
   */
  static String headParams() {
    return "sha256(convert_to(concat_ws(chr(10), 's', ?::text, (?::bigint)::text, ?::text), 'UTF8'))";
  }

  /** Whether a row's stored hash is its content's: false where it is missing or differs. */
  static String intact(String p, String hash) {
    return "coalesce(" + p + "content_hash = " + hash + ", false)";
  }
}
