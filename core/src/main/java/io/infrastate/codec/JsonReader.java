package io.infrastate.codec;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/*
 * Why the state decoder reads JSON itself
 * ----------------------------------------
 * Every load of a whole-file state and every journal load's base decodes state.json, and that
 * decode is the load. Over Jackson's streaming parser the decoder cost 1.36-1.7x the bare parse
 * into plain objects: Jackson copies every string into a char buffer, canonicalizes every member
 * name through its symbol table (which a large state's keys overflow), and the decoder then
 * hashed the characters again to share repeated values. This reader works on the bytes: a member
 * name or short value is looked up in the decoder's pools straight from the bytes (nothing is
 * allocated for a value already seen), an ASCII string becomes a String by one array copy, and
 * timestamps and numbers are read without an intermediate string.
 *
 * Strictness. It accepts exactly RFC 8259 JSON in UTF-8 (UTF-16 and UTF-32 documents are transcoded
 * first) and refuses what Jackson's default parser refuses: comments, single quotes, unquoted
 * names, trailing commas, leading zeros, NaN and Infinity, a control character inside a string, an
 * unknown escape, a literal or number run into other characters. It is stricter than Jackson about
 * UTF-8 (it refuses overlong forms, encoded surrogates and code points above U+10FFFF, as Java's
 * own decoder does), so no byte sequence that is not UTF-8 becomes a replacement character. An
 * escape of half a surrogate pair is read as that half, in names and values alike: Jackson's
 * writer escapes a string's lone surrogate so, and whatever is written must read back (Jackson's
 * parser refuses one in a name). Limits: nesting depth, string length (in characters) and number
 * length, each refused with its own message. A test compares this reader with Jackson on random
 * documents and on random damage to them (both accept with equal values, or both refuse).
 *
 * Errors are SyntaxError with the byte offset; the decoder turns the offset into a line and a
 * column (in characters) only when it reports one, so reading pays nothing for positions.
 *
 * Not thread-safe: one per decode.
 */

/**
 * A pull reader of a JSON document in UTF-8 bytes, for {@link StateCodec}'s decoder: member names
 * through {@link #nextName}, values through {@link #next}, and the current string or number through
 * the accessors below.
 */
final class JsonReader {
  /** What {@link #next} read. */
  enum Token {
    START_OBJECT, START_ARRAY, END_ARRAY, STRING, INT, FLOAT, TRUE, FALSE, NULL
  }

  /** Input that is not JSON, at a byte offset of the document. */
  static final class SyntaxError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The byte offset of the problem in the document read. */
    final int offset;

    /** Whether the document ended where more was expected. */
    final boolean truncated;

    SyntaxError(String message, int offset, boolean truncated) {
      super(message, null, false, false);
      this.offset = offset;
      this.truncated = truncated;
    }
  }

  private final byte[] buf;
  private final int end;
  private final int maxDepth;
  private final int maxString;
  private final int maxNumber;
  private int pos;
  /** Per open container: whether it is an object, and whether it has a member or element yet. */
  private final boolean[] objects;
  private final boolean[] started;
  private int depth;
  private boolean rootRead;
  private int tokenStart;
  /** The string or number read last: bytes [valueStart, valueEnd), or chars of {@link #text}. */
  private int valueStart;
  private int valueEnd;
  private boolean decoded;
  private char[] text = new char[64];
  private int textLength;

  /**
   * A reader of a document.
   *
   * @param document the bytes (UTF-8, or UTF-16 or UTF-32 recognized by their first bytes, or
   *     UTF-8 after a byte order mark)
   * @param maxDepth the deepest nesting of objects and arrays accepted
   * @param maxString the longest string accepted, in characters
   * @param maxNumber the longest number accepted, in characters
   */
  JsonReader(byte[] document, int maxDepth, int maxString, int maxNumber) {
    byte[] utf8 = toUtf8(document);
    this.buf = utf8;
    this.end = utf8.length;
    this.maxDepth = maxDepth;
    this.maxString = maxString;
    this.maxNumber = maxNumber;
    this.objects = new boolean[maxDepth];
    this.started = new boolean[maxDepth];
    this.pos = utf8.length >= 3 && (utf8[0] & 0xFF) == 0xEF && (utf8[1] & 0xFF) == 0xBB && (utf8[2] & 0xFF) == 0xBF ? 3 : 0;
  }

  /**
   * The document as UTF-8: itself, or transcoded from UTF-16 or UTF-32, which JSON allows to be
   * recognized from the first four bytes (the first character is ASCII) or from a byte order mark.
   */
  private static byte[] toUtf8(byte[] d) {
    if (d.length < 2 || (d[0] != 0 && d[1] != 0 && (d[0] & 0xFE) != 0xFE)) {
      return d;
    }
    int b0 = d[0] & 0xFF;
    int b1 = d[1] & 0xFF;
    boolean four = d.length >= 4;
    Charset cs;
    int skip = 0;
    if (four && b0 == 0 && b1 == 0 && (d[2] & 0xFF) == 0xFE && (d[3] & 0xFF) == 0xFF) {
      cs = Charset.forName("UTF-32BE");
      skip = 4;
    } else if (four && b0 == 0xFF && b1 == 0xFE && d[2] == 0 && d[3] == 0) {
      cs = Charset.forName("UTF-32LE");
      skip = 4;
    } else if (b0 == 0xFE && b1 == 0xFF) {
      cs = StandardCharsets.UTF_16BE;
      skip = 2;
    } else if (b0 == 0xFF && b1 == 0xFE) {
      cs = StandardCharsets.UTF_16LE;
      skip = 2;
    } else if (four && b0 == 0 && b1 == 0 && d[2] == 0) {
      cs = Charset.forName("UTF-32BE");
    } else if (four && b0 != 0 && b1 == 0 && d[2] == 0 && d[3] == 0) {
      cs = Charset.forName("UTF-32LE");
    } else if (b0 == 0) {
      cs = StandardCharsets.UTF_16BE;
    } else if (b1 == 0) {
      cs = StandardCharsets.UTF_16LE;
    } else {
      return d; // 0xFE or 0xFF first and no byte order mark: not JSON, reported as such
    }
    try {
      CharBuffer chars = cs.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(d, skip, d.length - skip));
      ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().encode(chars);
      byte[] out = new byte[bytes.remaining()];
      bytes.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new SyntaxError("the document looks like " + cs.name() + " but is not valid " + cs.name(), 0, false);
    }
  }

  /** The document's bytes as read (UTF-8), for placing an error's offset on a line. */
  byte[] document() {
    return buf;
  }

  /** The byte offset where the token read last starts. */
  int tokenStart() {
    return tokenStart;
  }

  /**
   * The next member name of the object being read, or {@code null} at its end, which is consumed.
   * The name's colon is consumed too; {@link #next} reads its value.
   *
   * @param pool where the name is shared from, or {@code null} for a new string
   * @return the name, or {@code null} at the end of the object
   */
  String nextName(StateCodec.Pool pool) {
    int b = skipSpace();
    int level = depth - 1;
    if (b == '}') {
      tokenStart = pos++;
      depth--;
      return null;
    }
    if (started[level]) {
      if (b != ',') {
        throw expected("',' or '}' after a member", b);
      }
      pos++;
      b = skipSpace();
    }
    if (b != '"') {
      throw expected("a member name in double quotes", b);
    }
    tokenStart = pos;
    readString();
    String name = pool == null ? string() : pooled(pool);
    b = skipSpace();
    if (b != ':') {
      throw expected("':' after the member name", b);
    }
    pos++;
    started[level] = true;
    return name;
  }

  /**
   * Reads the next value: in an array its next element, or {@link Token#END_ARRAY} at its end
   * (consumed); in an object the value of the name {@link #nextName} read; at the top level the
   * document's value, and after it {@code null} at the end of the input or what follows it.
   *
   * @return the token
   */
  Token next() {
    int b = skipSpace();
    if (depth > 0 && !objects[depth - 1]) {
      int level = depth - 1;
      if (b == ']') {
        tokenStart = pos++;
        depth--;
        return Token.END_ARRAY;
      }
      if (started[level]) {
        if (b != ',') {
          throw expected("',' or ']' after an array element", b);
        }
        pos++;
        b = skipSpace();
      }
      started[level] = true;
    } else if (depth == 0) {
      if (rootRead && b == -1) {
        return null;
      }
      rootRead = true;
    }
    tokenStart = pos;
    switch (b) {
      case '{':
        open(true);
        return Token.START_OBJECT;
      case '[':
        open(false);
        return Token.START_ARRAY;
      case '"':
        readString();
        return Token.STRING;
      case 't':
        literal("true");
        return Token.TRUE;
      case 'f':
        literal("false");
        return Token.FALSE;
      case 'n':
        literal("null");
        return Token.NULL;
      case -1:
        throw truncated("a value");
      default:
        if (b == '-' || (b >= '0' && b <= '9')) {
          return readNumber();
        }
        throw expected("a value", b);
    }
  }

  private void open(boolean object) {
    if (depth == maxDepth) {
      throw new SyntaxError("the nesting depth (" + (depth + 1) + ") exceeds the maximum allowed (" + maxDepth + ")", pos, false);
    }
    objects[depth] = object;
    started[depth] = false;
    depth++;
    pos++;
  }

  private int skipSpace() {
    final byte[] b = buf;
    int i = pos;
    while (i < end) {
      byte c = b[i];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        i++;
      } else {
        pos = i;
        return c & 0xFF;
      }
    }
    pos = i;
    return -1;
  }

  private void literal(String word) {
    int n = word.length();
    for (int i = 0; i < n; i++) {
      if (pos + i >= end) {
        throw truncated("the rest of '" + word + "'");
      }
      if (buf[pos + i] != word.charAt(i)) {
        throw unrecognized();
      }
    }
    pos += n;
    checkDelimiter();
  }

  /** After a literal or number, only space, a comma, a closing bracket or the end may follow. */
  private void checkDelimiter() {
    if (pos < end) {
      byte c = buf[pos];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != ',' && c != '}' && c != ']') {
        throw unrecognized();
      }
    }
  }

  /** The token from {@link #tokenStart} up to the next space or punctuation is not JSON. */
  private SyntaxError unrecognized() {
    StringBuilder token = new StringBuilder();
    for (int i = tokenStart; i < end && token.length() < 32; i++) {
      byte c = buf[i];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',' || c == '}' || c == ']' || c == ':') {
        break;
      }
      token.append(printable(i));
    }
    return new SyntaxError("unrecognized token '" + token + "'; expected a value", tokenStart, false);
  }

  private String printable(int at) {
    int c = buf[at] & 0xFF;
    return c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c);
  }

  // ------------------------------------------------------------------ strings

  /** Reads the string at {@link #pos} (its opening quote); ASCII without escapes stays in the bytes. */
  private void readString() {
    final byte[] b = buf;
    int start = pos + 1;
    int i = start;
    while (true) {
      if (i >= end) {
        throw truncated("the end of a string");
      }
      byte c = b[i];
      if (c == '"') {
        break;
      }
      if (c == '\\' || c < 0x20) { // an escape, a control character, or a byte of a non-ASCII character
        readStringSlowly(start, i);
        return;
      }
      i++;
    }
    if (i - start > maxString) {
      throw tooLong(start);
    }
    valueStart = start;
    valueEnd = i;
    decoded = false;
    pos = i + 1;
  }

  /** Reads the rest of a string from {@code i} into {@link #text}, decoding escapes and UTF-8. */
  private void readStringSlowly(int start, int i) {
    if (i - start > maxString) {
      throw tooLong(start);
    }
    int n = 0;
    char[] t = text;
    for (int k = start; k < i; k++) {
      if (n == t.length) {
        t = grow(t);
      }
      t[n++] = (char) buf[k];
    }
    while (true) {
      if (i >= end) {
        throw truncated("the end of a string");
      }
      if (n + 2 > t.length) {
        if (n > maxString) {
          throw tooLong(start);
        }
        t = grow(t);
      }
      int c = buf[i] & 0xFF;
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        if (i + 1 >= end) {
          throw truncated("an escape sequence");
        }
        int e = buf[i + 1];
        switch (e) {
          case '"': t[n++] = '"'; i += 2; break;
          case '\\': t[n++] = '\\'; i += 2; break;
          case '/': t[n++] = '/'; i += 2; break;
          case 'b': t[n++] = '\b'; i += 2; break;
          case 'f': t[n++] = '\f'; i += 2; break;
          case 'n': t[n++] = '\n'; i += 2; break;
          case 'r': t[n++] = '\r'; i += 2; break;
          case 't': t[n++] = '\t'; i += 2; break;
          case 'u':
            // one UTF-16 unit: a pair of escapes makes one character above U+FFFF, and half a
            // pair stays half a pair, as Jackson's writer writes it (so every string round-trips)
            t[n++] = hex(i);
            i += 6;
            break;
          default:
            throw new SyntaxError("unknown escape '\\" + printable(i + 1) + "' in a string", i, false);
        }
      } else if (c < 0x20) {
        throw new SyntaxError(
            "control character " + String.format("U+%04X", c) + " inside a string; it must be escaped", i, false);
      } else if (c < 0x80) {
        t[n++] = (char) c;
        i++;
      } else {
        int cp = utf8(i);
        i += cp >= 0x10000 ? 4 : cp >= 0x800 ? 3 : 2;
        if (cp >= 0x10000) {
          t[n++] = Character.highSurrogate(cp);
          t[n++] = Character.lowSurrogate(cp);
        } else {
          t[n++] = (char) cp;
        }
      }
    }
    if (n > maxString) {
      throw tooLong(start);
    }
    text = t;
    textLength = n;
    decoded = true;
    pos = i + 1;
  }

  /** The character of the {@code \\uXXXX} escape at {@code i}. */
  private char hex(int i) {
    int v = 0;
    for (int k = i + 2; k < i + 6; k++) {
      if (k >= end) {
        throw truncated("the four hex digits of a \\u escape");
      }
      int d = Character.digit(buf[k], 16);
      if (d < 0) {
        throw new SyntaxError("a \\u escape needs four hex digits, found '" + printable(k) + "'", k, false);
      }
      v = v << 4 | d;
    }
    return (char) v;
  }

  /** The code point of the UTF-8 sequence at {@code i} (a byte of 0x80 or more), strictly checked. */
  private int utf8(int i) {
    int c = buf[i] & 0xFF;
    int need;
    int lo = 0x80;
    int hi = 0xBF;
    int cp;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      cp = c & 0x0F;
      if (c == 0xE0) {
        lo = 0xA0;
      } else if (c == 0xED) {
        hi = 0x9F; // no encoded surrogates
      }
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      cp = c & 0x07;
      if (c == 0xF0) {
        lo = 0x90;
      } else if (c == 0xF4) {
        hi = 0x8F; // nothing above U+10FFFF
      }
    } else {
      throw notUtf8(i, String.format("byte 0x%02x cannot start a character", c));
    }
    for (int k = 1; k <= need; k++) {
      if (i + k >= end) {
        throw truncated("the rest of a UTF-8 character");
      }
      int b = buf[i + k] & 0xFF;
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
        throw notUtf8(i, String.format("byte 0x%02x cannot follow 0x%02x there", b, buf[i + k - 1] & 0xFF));
      }
      cp = cp << 6 | (b & 0x3F);
    }
    return cp;
  }

  private SyntaxError notUtf8(int at, String why) {
    return new SyntaxError("the bytes are not valid UTF-8 (" + why + ")", at, false);
  }

  private SyntaxError tooLong(int start) {
    return new SyntaxError("a string is longer than the maximum allowed (" + maxString + " characters)", start, false);
  }

  private static char[] grow(char[] t) {
    return java.util.Arrays.copyOf(t, t.length * 2);
  }

  /**
   * The string read last (a {@link Token#STRING} or a member name), as a new string.
   *
   * @return the text
   */
  String string() {
    return decoded ? new String(text, 0, textLength) : new String(buf, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
  }

  /**
   * The string read last, as the pool's instance.
   *
   * @param pool the pool
   * @return the text
   */
  String pooled(StateCodec.Pool pool) {
    return decoded ? pool.share(new String(text, 0, textLength)) : pool.share(buf, valueStart, valueEnd - valueStart);
  }

  /**
   * The length of the string read last, in characters.
   *
   * @return its length
   */
  int stringLength() {
    return decoded ? textLength : valueEnd - valueStart;
  }

  /**
   * Where the string read last is in {@link #document()}, or -1 if it was written with escapes or
   * non-ASCII characters (then only {@link #string()} gives it).
   *
   * @return its first byte's offset, or -1
   */
  int rawStart() {
    return decoded ? -1 : valueStart;
  }

  /**
   * Whether the string read last is the same bytes as {@code document()[start, start + length)}.
   *
   * @param start an offset from {@link #rawStart()}, or -1
   * @param length the length there
   * @return whether they are the same (never for -1, nor for a string with escapes)
   */
  boolean rawEquals(int start, int length) {
    return !decoded && start >= 0 && valueEnd - valueStart == length && java.util.Arrays.equals(buf, valueStart, valueEnd, buf, start, start + length);
  }

  /**
   * Whether the string read last equals {@code s}.
   *
   * @param s a string, or {@code null}
   * @return whether they are equal
   */
  boolean stringEquals(String s) {
    if (s == null || s.length() != stringLength()) {
      return false;
    }
    if (decoded) {
      for (int i = 0; i < textLength; i++) {
        if (s.charAt(i) != text[i]) {
          return false;
        }
      }
      return true;
    }
    return StateCodec.same(s, buf, valueStart, valueEnd - valueStart);
  }

  // ------------------------------------------------------------------ numbers

  private Token readNumber() {
    final byte[] b = buf;
    int start = pos;
    int i = start;
    if (b[i] == '-') {
      i++;
    }
    if (i >= end) {
      throw truncated("the digits of a number");
    }
    if (b[i] == '0') {
      i++;
      if (i < end && b[i] >= '0' && b[i] <= '9') {
        throw new SyntaxError("a number must not have leading zeros", start, false);
      }
    } else if (b[i] >= '1' && b[i] <= '9') {
      while (++i < end && b[i] >= '0' && b[i] <= '9') {
        // digits
      }
    } else {
      throw new SyntaxError("expected a digit after '-', found '" + printable(i) + "'", i, false);
    }
    boolean fraction = false;
    if (i < end && b[i] == '.') {
      fraction = true;
      i = digits(i + 1, "a digit after the decimal point");
    }
    if (i < end && (b[i] == 'e' || b[i] == 'E')) {
      fraction = true;
      i++;
      if (i < end && (b[i] == '+' || b[i] == '-')) {
        i++;
      }
      i = digits(i, "a digit in the exponent");
    }
    if (i - start > maxNumber) {
      throw new SyntaxError("a number is longer than the maximum allowed (" + maxNumber + " characters)", start, false);
    }
    valueStart = start;
    valueEnd = i;
    decoded = false;
    pos = i;
    checkDelimiter();
    return fraction ? Token.FLOAT : Token.INT;
  }

  /** Skips one or more digits from {@code i}; returns where they end. */
  private int digits(int i, String what) {
    if (i >= end) {
      throw truncated(what);
    }
    if (buf[i] < '0' || buf[i] > '9') {
      throw new SyntaxError("expected " + what + ", found '" + printable(i) + "'", i, false);
    }
    while (++i < end && buf[i] >= '0' && buf[i] <= '9') {
      // digits
    }
    return i;
  }

  /**
   * The number read last as written.
   *
   * @return its text
   */
  String numberText() {
    return new String(buf, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
  }

  /**
   * The {@link Token#INT} read last, as the smallest of {@link Integer}, {@link Long} and {@link
   * BigInteger} that holds it.
   *
   * @return the value
   */
  Number integer() {
    int i = valueStart;
    boolean negative = buf[i] == '-';
    if (negative) {
      i++;
    }
    if (valueEnd - i <= 18) {
      long v = 0;
      for (; i < valueEnd; i++) {
        v = v * 10 + (buf[i] - '0');
      }
      if (negative) {
        v = -v;
      }
      return v == (int) v ? (Number) Integer.valueOf((int) v) : (Number) Long.valueOf(v);
    }
    BigInteger big = new BigInteger(numberText());
    return big.bitLength() < 64 ? (Number) Long.valueOf(big.longValue()) : big;
  }

  /**
   * The {@link Token#INT} read last as a long.
   *
   * @param tooLarge what to return if it does not fit in a long
   * @return the value, or {@code tooLarge}
   */
  long longValue(long tooLarge) {
    Number n = integer();
    return n instanceof BigInteger ? tooLarge : n.longValue();
  }

  /**
   * The number read last as the closest double.
   *
   * @return the value (infinite if out of range)
   */
  double doubleValue() {
    return Double.parseDouble(numberText());
  }

  // ------------------------------------------------------------------ errors

  private SyntaxError expected(String what, int found) {
    if (found == -1) {
      return truncated(what);
    }
    String seen = found >= 0x20 && found < 0x7F ? "'" + (char) found + "'" : String.format("byte 0x%02x", found);
    return new SyntaxError("expected " + what + ", found " + seen, pos, false);
  }

  private SyntaxError truncated(String what) {
    return new SyntaxError("the input ends where " + what + " was expected", end, true);
  }
}
