package io.infrastate.inventory;

import io.infrastate.inventory.InventoryException.Kind;
import io.infrastate.inventory.internal.HostPatterns;
import io.infrastate.inventory.internal.PyLiteral;
import io.infrastate.inventory.internal.Shlex;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ansible INI inventories ({@code ansible.builtin.ini}): read only. A port of the plugin's parser in
 * ansible-core 2.14.
 *
 * <h2>Format</h2>
 *
 * <pre>{@code
 * lonely ansible_host=10.0.0.9      # before any section: ungrouped
 * [web]
 * web[01:03] http_port=80           # ranges; key=value host vars
 * web04:2222 ansible_user=deploy    # host:port sets ansible_port
 * [web:vars]
 * role = "web"
 * [prod:children]
 * web
 * }</pre>
 *
 * <h2>Typing rules</h2>
 *
 * Every value goes through Python's {@code ast.literal_eval} and stays a string where that fails
 * (see {@link io.infrastate.inventory.internal.PyLiteral}): {@code 80} is an int, {@code 1.5} a
 * float, {@code True} a boolean but {@code true} and {@code yes} are strings, {@code None} is null,
 * {@code [1, 2]} and {@code {'a': 1}} are a list and a dict, {@code 0755} is the string "0755". On a
 * host line the value is first split like a shell word, which removes one level of quotes: {@code
 * port="80"} is the int 80 and {@code name='"80"'} the string "80". In a {@code :vars} section the
 * whole rest of the line after {@code =} is the value, quotes included: {@code x = "80"} is the
 * string "80" and {@code x = a b # c} is the string "a b # c".
 *
 * <h2>Errors</h2>
 *
 * Ansible's parse errors become {@link InventoryException}s with file and line: {@link Kind#SYNTAX}
 * (bad section header, a host variable without {@code =}, unbalanced quotes, a bad range), {@link
 * Kind#UNKNOWN_KEY} (a section type other than {@code vars} and {@code children}), {@link
 * Kind#UNDEFINED_GROUP} ({@code :vars} or {@code :children} naming a group never declared), {@link
 * Kind#CHILD_CYCLE}, {@link Kind#UNSUPPORTED_VALUE} (literals with no JSON form, such as {@code 1j}
 * or {@code {1, 2}}). Group names are checked by the inventory's {@link GroupNamePolicy}; under
 * {@link GroupNamePolicy#TRANSFORM} names in {@code :children} sections are transformed too, so that
 * they match the transformed section names. Vars on {@code ungrouped} are refused.
 *
 * <p>Stateless and thread-safe.
 */
public final class AnsibleIni {
  private AnsibleIni() {}

  private static final String PY_S = "[\\s\\x1c-\\x1f\\x85\\p{Z}]";
  private static final String PY_W = "[\\p{L}\\p{N}_]";
  private static final Pattern SECTION =
      Pattern.compile(
          "^\\[([^:\\]\\s\\x1c-\\x1f\\x85\\p{Z}]+)(?::(" + PY_W + "+))?\\]" + PY_S + "*(?:#.*)?$");
  private static final Pattern GROUPNAME =
      Pattern.compile("^([^:\\]\\s\\x1c-\\x1f\\x85\\p{Z}]+)" + PY_S + "*(?:#.*)?$");

  /**
   * Reads an INI inventory file, rejecting group names Ansible warns about.
   *
   * @param file the file (UTF-8)
   * @return a new inventory
   * @throws InventoryException if the file is not a valid inventory; it names the file and line
   */
  public static Inventory read(Path file) {
    return read(file, GroupNamePolicy.REJECT);
  }

  /**
   * Reads an INI inventory file.
   *
   * @param file the file (UTF-8)
   * @param policy what to do with group names Ansible warns about
   * @return a new inventory
   * @throws InventoryException if the file is not a valid inventory; it names the file and line
   */
  public static Inventory read(Path file, GroupNamePolicy policy) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InventoryException(Kind.IO, file.toString(), 0, "cannot read: " + e.getMessage(), e);
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new InventoryException(Kind.SYNTAX, file.toString(), 0, "not valid UTF-8", e);
    }
    return parse(text, file.toString(), policy);
  }

  /**
   * Reads an INI inventory from text.
   *
   * @param text the inventory
   * @param source the name used in error messages, e.g. the file name
   * @param policy what to do with group names Ansible warns about
   * @return a new inventory
   * @throws InventoryException if the text is not a valid inventory
   */
  public static Inventory parse(String text, String source, GroupNamePolicy policy) {
    return new Parser(source, Inventory.create(policy)).parse(splitLines(text));
  }

  /**
   * Reads an INI inventory from text, rejecting group names Ansible warns about.
   *
   * @param text the inventory
   * @return a new inventory
   * @throws InventoryException if the text is not a valid inventory (the source is named {@code
   *     <string>})
   */
  public static Inventory parse(String text) {
    return parse(text, "<string>", GroupNamePolicy.REJECT);
  }

  /** Python's str.splitlines(). */
  private static List<String> splitLines(String s) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      boolean br =
          c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85
              || c == 0x2028 || c == 0x2029;
      if (br) {
        lines.add(s.substring(start, i));
        if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
      i++;
    }
    if (start < s.length()) {
      lines.add(s.substring(start));
    }
    return lines;
  }

  /** Python's str.strip(). */
  private static String pyStrip(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && isPySpace(s.charAt(b))) {
      b++;
    }
    while (e > b && isPySpace(s.charAt(e - 1))) {
      e--;
    }
    return s.substring(b, e);
  }

  private static boolean isPySpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
  }

  private static final class Pending {
    final int line;
    final String state;
    final String name;
    final List<String> parents = new ArrayList<>();

    Pending(int line, String state, String name) {
      this.line = line;
      this.state = state;
      this.name = name;
    }
  }

  private static final class Parser {
    private final String source;
    private final Inventory inv;
    private int lineno;

    Parser(String source, Inventory inv) {
      this.source = source;
      this.inv = inv;
    }

    Inventory parse(List<String> lines) {
      Map<String, Pending> pending = new LinkedHashMap<>();
      String groupname = Group.ALL; // Ansible starts in 'ungrouped', which is 'all' here
      String state = "hosts";
      lineno = 0;
      for (String raw : lines) {
        lineno++;
        String line = pyStrip(raw);
        if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';') {
          continue;
        }
        Matcher m = SECTION.matcher(line);
        if (m.matches()) {
          String rawName = m.group(1);
          state = m.group(2) == null ? "hosts" : m.group(2);
          if (!state.equals("hosts") && !state.equals("children") && !state.equals("vars")) {
            throw error(
                Kind.UNKNOWN_KEY,
                "Section [" + rawName + ":" + state + "] has unknown type: " + state
                    + "; only [group], [group:vars] and [group:children] are valid");
          }
          if (rawName.equals(Group.UNGROUPED) && state.equals("vars")) {
            throw error(
                Kind.NAME_CONFLICT,
                "vars on 'ungrouped' are not supported: it is not a group of its own in this model;"
                    + " set them on the hosts or in [all:vars]");
          }
          groupname = groupName(rawName);
          if (!inv.groupMap().containsKey(groupname)) {
            if (state.equals("vars") && !pending.containsKey(groupname)) {
              pending.put(groupname, new Pending(lineno, state, groupname));
            }
            String g = groupname;
            call(() -> inv.addGroup(g));
          }
          Pending p = pending.get(groupname);
          if (p != null && !state.equals("vars")) {
            if (p.state.equals("children")) {
              addPendingChildren(groupname, pending);
            } else if (p.state.equals("vars")) {
              pending.remove(groupname);
            }
          }
          continue;
        } else if (line.startsWith("[") && line.endsWith("]")) {
          throw error(
              Kind.SYNTAX,
              "Invalid section entry: '" + line + "'. Please make sure that there are no spaces in"
                  + " the section entry, and that there are no other invalid characters");
        }
        switch (state) {
          case "hosts" -> parseHostLine(groupname, line);
          case "vars" -> {
            int eq = line.indexOf('=');
            if (eq < 0) {
              throw error(Kind.SYNTAX, "Expected key=value, got: " + line);
            }
            String k = pyStrip(line.substring(0, eq));
            Object v = literal(pyStrip(line.substring(eq + 1)));
            String g = groupname;
            call(() -> inv.setGroupVar(g, k, v));
          }
          default -> {
            Matcher gm = GROUPNAME.matcher(line);
            if (!gm.matches()) {
              throw error(Kind.SYNTAX, "Expected group name, got: " + line);
            }
            String child = groupName(gm.group(1));
            if (!inv.groupMap().containsKey(child)) {
              Pending p = pending.get(child);
              if (p == null) {
                p = new Pending(lineno, "children", child);
                pending.put(child, p);
              }
              p.parents.add(groupname);
            } else {
              String g = groupname;
              call(() -> inv.addChild(g, child));
            }
          }
        }
      }
      for (Pending p : pending.values()) {
        if (p.state.equals("vars")) {
          throw new InventoryException(
              Kind.UNDEFINED_GROUP, source, p.line,
              "Section [" + p.name + ":vars] not valid for undefined group: " + p.name
                  + "; declare it with [" + p.name + "] or list it in a :children section");
        } else if (p.state.equals("children")) {
          throw new InventoryException(
              Kind.UNDEFINED_GROUP, source, p.line,
              "Section [" + p.parents.get(p.parents.size() - 1) + ":children] includes undefined group: "
                  + p.name + "; declare it with [" + p.name + "]");
        }
      }
      return inv;
    }

    private void addPendingChildren(String group, Map<String, Pending> pending) {
      for (String parent : pending.get(group).parents) {
        call(() -> inv.addChild(parent, group));
        Pending pp = pending.get(parent);
        if (pp != null && pp.state.equals("children")) {
          addPendingChildren(parent, pending);
        }
      }
      pending.remove(group);
    }

    private String groupName(String raw) {
      if (raw.equals(Group.UNGROUPED)) {
        return Group.ALL;
      }
      try {
        return raw.equals(Group.ALL) ? raw : inv.groupNamePolicy().apply(raw);
      } catch (IllegalArgumentException e) {
        throw Inventory.located(e, source, lineno);
      }
    }

    private void parseHostLine(String group, String line) {
      List<String> tokens;
      try {
        tokens = Shlex.split(line);
      } catch (IllegalArgumentException e) {
        throw error(Kind.SYNTAX, "Error parsing host definition '" + line + "': " + e.getMessage());
      }
      if (tokens.isEmpty()) {
        throw error(Kind.SYNTAX, "Error parsing host definition '" + line + "': no host name");
      }
      String pattern = tokens.get(0);
      HostPatterns.Expansion exp;
      try {
        exp = HostPatterns.expand(pattern);
      } catch (IllegalArgumentException e) {
        throw error(Kind.SYNTAX, "host pattern '" + pattern + "': " + e.getMessage());
      }
      if (pyStrip(pattern).endsWith(":") && exp.port() == null) {
        throw error(
            Kind.SYNTAX,
            "Invalid host pattern '" + pattern + "' supplied, ending in ':' is not allowed, this"
                + " character is reserved to provide a port.");
      }
      for (String h : exp.hostnames()) {
        if (pyStrip(h).equals("---")) {
          throw error(
              Kind.SYNTAX,
              "Invalid host pattern '" + pattern + "' supplied, '---' is normally a sign this is a"
                  + " YAML file.");
        }
      }
      LinkedHashMap<String, Object> vars = new LinkedHashMap<>();
      for (String t : tokens.subList(1, tokens.size())) {
        int eq = t.indexOf('=');
        if (eq < 0) {
          throw error(Kind.SYNTAX, "Expected key=value host variable assignment, got: " + t);
        }
        vars.put(t.substring(0, eq), literal(t.substring(eq + 1)));
      }
      for (String name : exp.hostnames()) {
        call(() -> inv.mergeHost(group, name, exp.port(), vars));
      }
    }

    private Object literal(String v) {
      try {
        return PyLiteral.eval(v);
      } catch (PyLiteral.Unsupported e) {
        throw error(Kind.UNSUPPORTED_VALUE, e.getMessage());
      }
    }

    private void call(Runnable r) {
      try {
        r.run();
      } catch (IllegalArgumentException e) {
        throw Inventory.located(e, source, lineno);
      }
    }

    private InventoryException error(Kind kind, String problem) {
      return new InventoryException(kind, source, lineno, problem);
    }
  }
}
