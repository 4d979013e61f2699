package io.infrastate.inventory.internal;

import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.nio.ByteBuffer;

/**
 * How Ansible's INI plugin types a value: Python's {@code ast.literal_eval}, falling back to the
 * string itself when the text is not a literal ({@code _parse_value} in ansible-core 2.14).
 *
 * <p>Recognized: {@code int} (decimal without leading zeros, {@code 0x}, {@code 0o}, {@code 0b},
 * underscores), {@code float}, strings in single, double or triple quotes with the prefixes {@code
 * r}, {@code u}, {@code b} (a top-level bytes literal becomes its UTF-8 text, as Ansible's {@code
 * to_text} does), {@code True}, {@code False}, {@code None}, lists, tuples (as lists), dicts, unary
 * {@code +}/{@code -} on numbers, parentheses, implicit string concatenation, and a trailing {@code #}
 * comment. Everything else is a plain string. Literals that have no JSON form (complex numbers,
 * sets, nested bytes, {@code ...}, non-string dict keys, infinite floats) raise {@link
 * Unsupported}. Not part of the API.
 */
public final class PyLiteral {

  /** A literal Python accepts but that has no JSON form. */
  public static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unsupported(String message) {
      super(message);
    }
  }

  /** Parse failure: the text is not a literal, so it stays a string. */
  private static final class NotLiteral extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotLiteral() {
      super(null, null, false, false);
    }
  }

  private static final Object COMPLEX = new Object();
  private static final Object SET = new Object();
  private static final Object ELLIPSIS = new Object();

  private record Bytes(byte[] value) {}

  private final String s;
  private int pos;

  private PyLiteral(String s) {
    this.s = s;
  }

  /**
   * Types a value as Ansible's INI plugin does.
   *
   * @param text the raw value text
   * @return a JSON-compatible value: String, BigInteger, Double, Boolean, null, List or Map
   * @throws Unsupported if the text is a Python literal with no JSON form
   */
  public static Object eval(String text) {
    int start = 0;
    while (start < text.length() && (text.charAt(start) == ' ' || text.charAt(start) == '\t')) {
      start++;
    }
    PyLiteral p = new PyLiteral(text.substring(start));
    Object v;
    try {
      v = p.parseTop();
    } catch (NotLiteral e) {
      return text;
    }
    if (v instanceof Bytes b) {
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(b.value()))
            .toString();
      } catch (CharacterCodingException e) {
        throw new Unsupported("bytes literal " + text + " is not valid UTF-8");
      }
    }
    return check(v, text);
  }

  private static Object check(Object v, String text) {
    if (v == COMPLEX) {
      throw new Unsupported("complex number " + text + " has no JSON form");
    }
    if (v == SET) {
      throw new Unsupported("set literal " + text + " has no JSON form");
    }
    if (v == ELLIPSIS) {
      throw new Unsupported("Ellipsis (...) has no JSON form");
    }
    if (v instanceof Bytes) {
      throw new Unsupported("bytes literal inside " + text + " has no JSON form");
    }
    if (v instanceof Double d && (d.isInfinite() || d.isNaN())) {
      throw new Unsupported("float " + text + " is not finite; JSON has no infinity");
    }
    if (v instanceof List<?> l) {
      for (Object o : l) {
        check(o, text);
      }
    }
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String)) {
          throw new Unsupported("dict " + text + " has a key that is not a string: " + e.getKey());
        }
        check(e.getValue(), text);
      }
    }
    return v;
  }

  // eval_input: testlist; tuple if a comma appears at top level
  private Object parseTop() {
    skipWs();
    if (atEnd()) {
      throw new NotLiteral();
    }
    Object v = parseTestList(true);
    skipWs();
    if (!atEnd()) {
      throw new NotLiteral();
    }
    return v;
  }

  private Object parseTestList(boolean top) {
    Object first = parseExpr();
    skipWs();
    if (peek() != ',') {
      return first;
    }
    List<Object> items = new ArrayList<>();
    items.add(first);
    while (peek() == ',') {
      pos++;
      skipWs();
      if (atEnd() || peek() == ')' || (!top && peek() == ']')) {
        break;
      }
      items.add(parseExpr());
      skipWs();
    }
    return items;
  }

  // expr: signed number [(+|-) number] | atom
  private Object parseExpr() {
    return finish(parseExprRaw());
  }

  private Object parseExprRaw() {
    skipWs();
    Object left = parseUnary();
    skipWs();
    char c = peek();
    if ((c == '+' || c == '-') && !atEnd()) {
      pos++;
      skipWs();
      Object right = parseAtom();
      if (left instanceof Num l && right instanceof Num r && r.complex && !r.signed && !l.complex) {
        return COMPLEX;
      }
      throw new NotLiteral();
    }
    return left;
  }

  private Object finish(Object v) {
    if (v instanceof Num n) {
      return n.complex ? COMPLEX : (n.integer != null ? n.integer : n.real);
    }
    if (v instanceof Str st) {
      return st.bytes ? new Bytes(st.b.toByteArray()) : st.sb.toString();
    }
    return v;
  }

  private Object parseUnary() {
    char c = peek();
    if (c == '+' || c == '-') {
      pos++;
      skipWs();
      Object operand = parseAtom();
      if (!(operand instanceof Num n) || n.signed) {
        throw new NotLiteral(); // literal_eval allows a sign only directly on a number constant
      }
      if (c == '+' || n.complex) {
        return new Num(n.complex, n.integer, n.real, true);
      }
      return n.integer != null
          ? new Num(false, n.integer.negate(), null, true)
          : new Num(false, null, -n.real, true);
    }
    return parseAtom();
  }

  private record Num(boolean complex, BigInteger integer, Double real, boolean signed) {
    Num(boolean complex, BigInteger integer, Double real) {
      this(complex, integer, real, false);
    }
  }

  private static final class Str {
    final boolean bytes;
    final StringBuilder sb = new StringBuilder();
    final java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();

    Str(boolean bytes) {
      this.bytes = bytes;
    }
  }

  // atom: number | string+ | name | ( ... ) | [ ... ] | { ... } | ...
  private Object parseAtom() {
    skipWs();
    if (atEnd()) {
      throw new NotLiteral();
    }
    char c = peek();
    if (c == '(') {
      pos++;
      skipWs();
      if (peek() == ')') {
        pos++;
        return new ArrayList<>();
      }
      Object inner = parseTestListIn(')');
      expect(')');
      return inner;
    }
    if (c == '[') {
      pos++;
      List<Object> items = new ArrayList<>();
      skipWs();
      while (peek() != ']') {
        items.add(finish(parseExpr()));
        skipWs();
        if (peek() == ',') {
          pos++;
          skipWs();
        } else if (peek() != ']') {
          throw new NotLiteral();
        }
      }
      pos++;
      return items;
    }
    if (c == '{') {
      pos++;
      skipWs();
      if (peek() == '}') {
        pos++;
        return new LinkedHashMap<String, Object>();
      }
      Object firstKey = finish(parseExpr());
      skipWs();
      if (peek() == ':') {
        LinkedHashMap<Object, Object> map = new LinkedHashMap<>();
        while (true) {
          expect(':');
          Object value = finish(parseExpr());
          map.put(firstKey instanceof Object ? firstKey : null, value);
          skipWs();
          if (peek() == ',') {
            pos++;
            skipWs();
            if (peek() == '}') {
              break;
            }
            firstKey = finish(parseExpr());
            skipWs();
          } else {
            break;
          }
        }
        expect('}');
        return map;
      }
      // a set
      while (peek() == ',') {
        pos++;
        skipWs();
        if (peek() == '}') {
          break;
        }
        parseExpr();
        skipWs();
      }
      expect('}');
      return SET;
    }
    if (c == '.' && s.startsWith("...", pos)) {
      pos += 3;
      return ELLIPSIS;
    }
    if (isDigit(c) || (c == '.' && pos + 1 < s.length() && isDigit(s.charAt(pos + 1)))) {
      return parseNumber();
    }
    if (c == '\'' || c == '"' || Character.isLetter(c) || c == '_') {
      int save = pos;
      String prefix = readPrefix();
      if (prefix != null && pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"')) {
        return parseStrings(prefix);
      }
      pos = save;
      String name = readName();
      switch (name) {
        case "True":
          return Boolean.TRUE;
        case "False":
          return Boolean.FALSE;
        case "None":
          return null;
        case "set":
          skipWs();
          if (peek() == '(') {
            pos++;
            skipWs();
            expect(')');
            return SET;
          }
          throw new NotLiteral();
        default:
          throw new NotLiteral();
      }
    }
    throw new NotLiteral();
  }

  private Object parseTestListIn(char close) {
    Object first = parseExprRaw();
    skipWs();
    if (peek() != ',') {
      return first; // (x) is x itself, so -(5) is -5 as in Python
    }
    List<Object> items = new ArrayList<>();
    items.add(finish(first));
    while (peek() == ',') {
      pos++;
      skipWs();
      if (peek() == close) {
        break;
      }
      items.add(finish(parseExpr()));
      skipWs();
    }
    return items;
  }

  private String readPrefix() {
    int start = pos;
    while (pos < s.length() && pos - start < 2 && "rRuUbBfF".indexOf(s.charAt(pos)) >= 0) {
      pos++;
    }
    String p = s.substring(start, pos).toLowerCase(java.util.Locale.ROOT);
    switch (p) {
      case "", "r", "u", "b", "br", "rb", "f", "fr", "rf":
        return p;
      default:
        return null;
    }
  }

  private String readName() {
    int start = pos;
    while (pos < s.length()) {
      int cp = s.codePointAt(pos);
      if (cp == '_' || Character.isLetterOrDigit(cp) || Character.getType(cp) == Character.NON_SPACING_MARK) {
        pos += Character.charCount(cp);
      } else {
        break;
      }
    }
    if (pos == start) {
      throw new NotLiteral();
    }
    return s.substring(start, pos);
  }

  private Object parseStrings(String firstPrefix) {
    String prefix = firstPrefix;
    Str acc = null;
    while (true) {
      if (prefix.contains("f")) {
        throw new NotLiteral(); // f-strings are JoinedStr, not literals
      }
      boolean bytes = prefix.contains("b");
      boolean raw = prefix.contains("r");
      if (acc == null) {
        acc = new Str(bytes);
      } else if (acc.bytes != bytes) {
        throw new NotLiteral(); // cannot mix bytes and str
      }
      readString(acc, raw);
      skipWs();
      int save = pos;
      if (atEnd()) {
        break;
      }
      char c = peek();
      if (c == '\'' || c == '"' || Character.isLetter(c)) {
        String p = readPrefix();
        if (p != null && pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"')) {
          prefix = p;
          continue;
        }
      }
      pos = save;
      break;
    }
    return acc;
  }

  private void readString(Str acc, boolean raw) {
    char q = s.charAt(pos);
    boolean triple = s.startsWith(String.valueOf(q).repeat(3), pos);
    pos += triple ? 3 : 1;
    while (true) {
      if (pos >= s.length()) {
        throw new NotLiteral();
      }
      char c = s.charAt(pos);
      if (triple ? s.startsWith(String.valueOf(q).repeat(3), pos) : c == q) {
        pos += triple ? 3 : 1;
        return;
      }
      if (!triple && c == '\n') {
        throw new NotLiteral();
      }
      if (acc.bytes && c > 127) {
        throw new NotLiteral(); // bytes can only contain ASCII literal characters
      }
      if (c == '\\') {
        if (pos + 1 >= s.length()) {
          throw new NotLiteral();
        }
        char e = s.charAt(pos + 1);
        if (raw) {
          append(acc, '\\');
          append(acc, e);
          pos += 2;
          continue;
        }
        pos += 2;
        switch (e) {
          case '\n' -> { }
          case '\\' -> append(acc, '\\');
          case '\'' -> append(acc, '\'');
          case '"' -> append(acc, '"');
          case 'a' -> append(acc, 7);
          case 'b' -> append(acc, 8);
          case 'f' -> append(acc, 12);
          case 'n' -> append(acc, '\n');
          case 'r' -> append(acc, '\r');
          case 't' -> append(acc, '\t');
          case 'v' -> append(acc, 11);
          case 'x' -> append(acc, hex(2));
          case 'u', 'U', 'N' -> {
            if (acc.bytes) {
              append(acc, '\\');
              append(acc, e);
            } else if (e == 'u') {
              acc.sb.appendCodePoint(hex(4));
            } else if (e == 'U') {
              int cp = hex(8);
              if (cp > 0x10FFFF) {
                throw new NotLiteral();
              }
              acc.sb.appendCodePoint(cp);
            } else {
              if (peek() != '{') {
                throw new NotLiteral();
              }
              int close = s.indexOf('}', pos);
              if (close < 0) {
                throw new NotLiteral();
              }
              try {
                acc.sb.appendCodePoint(Character.codePointOf(s.substring(pos + 1, close)));
              } catch (IllegalArgumentException ex) {
                throw new NotLiteral();
              }
              pos = close + 1;
            }
          }
          default -> {
            if (e >= '0' && e <= '7') {
              int v = e - '0';
              for (int k = 0; k < 2 && pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '7'; k++) {
                v = v * 8 + (s.charAt(pos++) - '0');
              }
              if (acc.bytes) {
                acc.b.write(v & 0xFF);
              } else {
                acc.sb.appendCodePoint(v);
              }
            } else {
              append(acc, '\\');
              append(acc, e);
            }
          }
        }
        continue;
      }
      if (acc.bytes) {
        acc.b.write(c);
      } else {
        acc.sb.append(c);
      }
      pos++;
    }
  }

  private static void append(Str acc, int c) {
    if (acc.bytes) {
      acc.b.write(c);
    } else {
      acc.sb.append((char) c);
    }
  }

  private int hex(int digits) {
    if (pos + digits > s.length()) {
      throw new NotLiteral();
    }
    int v = 0;
    for (int i = 0; i < digits; i++) {
      int d = Character.digit(s.charAt(pos + i), 16);
      if (d < 0 || s.charAt(pos + i) > 127) {
        throw new NotLiteral();
      }
      v = v * 16 + d;
    }
    pos += digits;
    return v;
  }

  private static final java.util.regex.Pattern INT =
      java.util.regex.Pattern.compile(
          "(?:[1-9](?:_?[0-9])*|0+(?:_?0)*|0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+)");
  private static final String DIGITPART = "[0-9](?:_?[0-9])*";
  private static final java.util.regex.Pattern FLOAT =
      java.util.regex.Pattern.compile(
          "(?:(?:(?:" + DIGITPART + ")?\\." + DIGITPART + "|" + DIGITPART + "\\.)(?:[eE][+-]?" + DIGITPART + ")?"
              + "|" + DIGITPART + "[eE][+-]?" + DIGITPART + ")");
  private static final java.util.regex.Pattern IMAG =
      java.util.regex.Pattern.compile("(?:" + FLOAT.pattern() + "|" + DIGITPART + ")[jJ]");

  private Object parseNumber() {
    int start = pos;
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
        pos++;
      } else if ((c == '+' || c == '-') && pos > start && (s.charAt(pos - 1) == 'e' || s.charAt(pos - 1) == 'E')
          && !s.substring(start, pos).matches("0[xX].*")) {
        pos++;
      } else {
        break;
      }
    }
    String t = s.substring(start, pos);
    if (INT.matcher(t).matches()) {
      String d = t.replace("_", "");
      if (d.length() > 1 && (d.charAt(1) == 'x' || d.charAt(1) == 'X')) {
        return new Num(false, new BigInteger(d.substring(2), 16), null);
      } else if (d.length() > 1 && (d.charAt(1) == 'o' || d.charAt(1) == 'O')) {
        return new Num(false, new BigInteger(d.substring(2), 8), null);
      } else if (d.length() > 1 && (d.charAt(1) == 'b' || d.charAt(1) == 'B')) {
        return new Num(false, new BigInteger(d.substring(2), 2), null);
      }
      return new Num(false, new BigInteger(d), null);
    }
    if (FLOAT.matcher(t).matches()) {
      return new Num(false, null, Double.parseDouble(t.replace("_", "")));
    }
    if (IMAG.matcher(t).matches()) {
      return new Num(true, null, null);
    }
    throw new NotLiteral();
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private void expect(char c) {
    skipWs();
    if (peek() != c || atEnd()) {
      throw new NotLiteral();
    }
    pos++;
  }

  private boolean atEnd() {
    return pos >= s.length();
  }

  private char peek() {
    return pos < s.length() ? s.charAt(pos) : '\0';
  }

  private void skipWs() {
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (c == ' ' || c == '\t' || c == '\f') {
        pos++;
      } else if (c == '#') {
        int nl = s.indexOf('\n', pos);
        pos = nl < 0 ? s.length() : nl;
      } else {
        break;
      }
    }
  }
}
