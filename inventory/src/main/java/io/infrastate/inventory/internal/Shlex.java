package io.infrastate.inventory.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's {@code shlex.split(s, comments=True, posix=True)}, which Ansible's INI plugin uses to
 * split host lines: whitespace separates tokens, single and double quotes group, backslash escapes
 * (inside double quotes only before {@code "} or {@code \}), and {@code #} starts a comment wherever a
 * token may start or continue. Not part of the API.
 */
public final class Shlex {
  private Shlex() {}

  private static final String WHITESPACE = " \t\r\n";

  /**
   * Splits a line.
   *
   * @param s the line
   * @return the tokens
   * @throws IllegalArgumentException "No closing quotation" or "No escaped character", as Python
   */
  public static List<String> split(String s) {
    List<String> tokens = new ArrayList<>();
    int pos = 0;
    int n = s.length();
    char state = ' ';
    StringBuilder token = new StringBuilder();
    boolean quoted = false;
    char escapedState = ' ';
    boolean eof = false;
    while (!eof) {
      // read one token
      token.setLength(0);
      quoted = false;
      escapedState = ' ';
      boolean emitted = false;
      while (true) {
        int c = pos < n ? s.charAt(pos++) : -1;
        if (state == 0) {
          eof = true;
          break;
        } else if (state == ' ') {
          if (c < 0) {
            state = 0;
            eof = true;
            break;
          } else if (WHITESPACE.indexOf(c) >= 0) {
            if (token.length() > 0 || quoted) {
              emitted = true;
              break;
            }
          } else if (c == '#') {
            pos = skipLine(s, pos);
          } else if (c == '\\') {
            escapedState = 'a';
            state = '\\';
          } else if (c == '\'' || c == '"') {
            state = (char) c;
          } else {
            token.append((char) c);
            state = 'a';
          }
        } else if (state == '\'' || state == '"') {
          quoted = true;
          if (c < 0) {
            throw new IllegalArgumentException("No closing quotation");
          }
          if (c == state) {
            state = 'a';
          } else if (c == '\\' && state == '"') {
            escapedState = state;
            state = '\\';
          } else {
            token.append((char) c);
          }
        } else if (state == '\\') {
          if (c < 0) {
            throw new IllegalArgumentException("No escaped character");
          }
          if ((escapedState == '\'' || escapedState == '"') && c != state && c != escapedState) {
            token.append(state);
          }
          token.append((char) c);
          state = escapedState;
        } else { // 'a'
          if (c < 0) {
            state = 0;
            eof = true;
            break;
          } else if (WHITESPACE.indexOf(c) >= 0) {
            state = ' ';
            if (token.length() > 0 || quoted) {
              emitted = true;
              break;
            }
          } else if (c == '#') {
            pos = skipLine(s, pos);
            state = ' ';
            if (token.length() > 0 || quoted) {
              emitted = true;
              break;
            }
          } else if (c == '\'' || c == '"') {
            state = (char) c;
          } else if (c == '\\') {
            escapedState = 'a';
            state = '\\';
          } else {
            token.append((char) c);
          }
        }
      }
      if (emitted || token.length() > 0 || quoted) {
        tokens.add(token.toString());
      }
    }
    return tokens;
  }

  private static int skipLine(String s, int pos) {
    int nl = s.indexOf('\n', pos);
    return nl < 0 ? s.length() : nl + 1;
  }
}
