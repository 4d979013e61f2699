package io.infrastate.git;

import io.infrastate.model.AuditEntry;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;

/**
 * How an audit entry becomes a commit and back: identities, the message and its trailers.
 *
 * <pre>
 * Add host web01 (ticket OPS-42)
 *
 * Infrastate-Serial: 7
 * Infrastate-Operation: add host web01
 * Infrastate-Reason: ticket OPS-42
 * Infrastate-Write: 3f2a9c1e-5b7d-4c1a-9e0f-2d8b6a4c3e71
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
final class CommitFormat {
  static final String SERIAL = "Infrastate-Serial";
  static final String OPERATION = "Infrastate-Operation";
  static final String REASON = "Infrastate-Reason";
  /** The id of the write that made the commit ({@link io.infrastate.spi.SaveRequest#writeId()}). */
  static final String WRITE = "Infrastate-Write";
  /** One trailer per lock the write was made under: its fencing token, a space, its name. */
  static final String LOCK = "Infrastate-Lock";

  private static final Pattern NAME_EMAIL = Pattern.compile("^(.*?)\\s*<([^<>]*)>$");
  private static final String FALLBACK_OPERATOR = "infrastate";
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  private CommitFormat() {}

  /**
   * The author and committer for an operator: {@code "Jane Doe <jane@example.com>"} gives that
   * name and address; any other text, such as {@code "alice@build-7"}, is used as both.
   */
  static PersonIdent ident(String operator, Instant when) {
    String op = operator == null || operator.isBlank() ? FALLBACK_OPERATOR : operator.strip();
    String name = op;
    String email = op;
    Matcher m = NAME_EMAIL.matcher(op);
    if (m.matches() && !m.group(1).isBlank()) {
      name = m.group(1);
      email = m.group(2);
    }
    name = sanitize(name);
    email = sanitize(email);
    if (name.isEmpty()) {
      name = FALLBACK_OPERATOR;
    }
    // Git stores whole seconds since 1970; keep a time from a fake or unset clock within range.
    Instant t = when.isBefore(Instant.EPOCH) ? Instant.EPOCH : when.isAfter(LATEST) ? LATEST : when;
    return new PersonIdent(name, email, t, ZoneOffset.UTC);
  }

  /** The operator an identity stands for: the reverse of {@link #ident}. */
  static String operator(PersonIdent ident) {
    String name = ident.getName();
    String email = ident.getEmailAddress();
    if (email == null || email.isEmpty() || email.equals(name)) {
      return name;
    }
    return name + " <" + email + ">";
  }

  /** The commit message: the capitalised one-line message, a blank line, then trailers. */
  static String message(AuditEntry audit, long serial, String writeId) {
    return message(audit, serial) + WRITE + ": " + writeId + '\n';
  }

  /** The commit message without a write id. */
  static String message(AuditEntry audit, long serial) {
    String subject = audit.message().isBlank() ? "Save state" : capitalize(audit.message().strip());
    StringBuilder sb = new StringBuilder(subject.length() + 120);
    sb.append(subject).append("\n\n");
    sb.append(SERIAL).append(": ").append(serial).append('\n');
    if (!audit.operation().isBlank()) {
      sb.append(OPERATION).append(": ").append(audit.operation().strip()).append('\n');
    }
    if (!audit.reason().isBlank()) {
      sb.append(REASON).append(": ").append(audit.reason().strip()).append('\n');
    }
    audit.locks().forEach((name, token) -> sb.append(LOCK).append(": ").append(token).append(' ').append(name).append('\n'));
    return sb.toString();
  }

  /** The serial recorded in a commit's trailer, if it has one that parses. */
  static OptionalLong serial(RevCommit commit) {
    List<String> values = commit.getFooterLines(SERIAL);
    if (values.size() != 1) {
      return OptionalLong.empty();
    }
    try {
      long s = Long.parseLong(values.get(0).strip());
      return s >= 0 ? OptionalLong.of(s) : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The operation from the trailer, or else the commit's subject line (a person's commit). */
  static String operation(RevCommit commit) {
    List<String> values = commit.getFooterLines(OPERATION);
    return values.isEmpty() ? commit.getShortMessage() : values.get(0).strip();
  }

  /** The write id from the trailer, or empty. */
  static String writeId(RevCommit commit) {
    List<String> values = commit.getFooterLines(WRITE);
    return values.size() == 1 ? values.get(0).strip() : "";
  }

  /** The reason from the trailer, or empty. */
  static String reason(RevCommit commit) {
    List<String> values = commit.getFooterLines(REASON);
    return values.isEmpty() ? "" : values.get(0).strip();
  }

  /** The locks named by the commit's trailers; trailers that do not parse are left out. */
  static java.util.Map<String, Long> locks(RevCommit commit) {
    java.util.Map<String, Long> locks = new java.util.TreeMap<>();
    for (String value : commit.getFooterLines(LOCK)) {
      String v = value.strip();
      int space = v.indexOf(' ');
      if (space > 0 && space < v.length() - 1) {
        try {
          long token = Long.parseLong(v.substring(0, space));
          if (token >= 0) {
            locks.put(v.substring(space + 1), token);
          }
        } catch (NumberFormatException e) {
          // a person's trailer of another meaning: not ours
        }
      }
    }
    return locks;
  }

  /** The first line of a message. */
  static String subject(String message) {
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    int first = s.codePointAt(0);
    int upper = Character.toUpperCase(first);
    if (first == upper) {
      return s;
    }
    return new StringBuilder(s.length()).appendCodePoint(upper).append(s, Character.charCount(first), s.length()).toString();
  }

  /** Git forbids angle brackets and line breaks in identities; they are dropped. */
  private static String sanitize(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '<' && c != '>' && c >= 0x20) {
        sb.append(c);
      }
    }
    return sb.toString().strip();
  }

  /** A short commit id for messages. */
  static String abbrev(org.eclipse.jgit.lib.AnyObjectId id) {
    return id.name().substring(0, 12).toLowerCase(Locale.ROOT);
  }
}
