package io.infrastate.inventory;

import io.infrastate.model.Secret;
import io.infrastate.inventory.InventoryException.Kind;
import io.infrastate.inventory.internal.HostPatterns;
import io.infrastate.inventory.internal.PyYamlResolver;
import io.infrastate.inventory.internal.PyYamlScalars;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Ansible YAML inventories ({@code ansible.builtin.yaml}): read and write.
 *
 * <h2>Format</h2>
 *
 * <pre>{@code
 * all:
 *   hosts:
 *     lonely: {ansible_host: 10.0.0.9}
 *   vars: {dns: 10.0.0.2}
 *   children:
 *     web:
 *       hosts:
 *         web01: {ansible_host: 10.0.0.5, ansible_port: 2222, http_port: 80}
 *         web02:
 *       vars: {role: web}
 *       children:
 *         canary:
 *           hosts: {web02: }
 * }</pre>
 *
 * <h2>Reading: the rules Ansible applies, and what this reader does</h2>
 *
 * <ul>
 *   <li>Scalars are typed by YAML 1.1 as PyYAML does (see {@link
 *       io.infrastate.inventory.internal.PyYamlResolver}): {@code yes}, {@code on}, {@code True} are
 *       booleans; {@code 0755} is the octal 493; {@code 1_000} is 1000; {@code 1:30} is 90; {@code
 *       1e3} and {@code 0o17} are strings; {@code ~} and an empty value are null; {@code 2024-01-15}
 *       is a date, kept as the string {@code ansible-inventory} prints for it. Quoted scalars are
 *       strings. {@code !unsafe} values are strings.
 *   <li>Each top-level key is a group. A group is a mapping (or empty) with the keys {@code hosts},
 *       {@code vars} and {@code children}; each of them is a mapping, empty, or a single string
 *       (meaning one key without value). A host key is a pattern: {@code web[01:03]} expands to three
 *       hosts and {@code web01:2222} sets {@code ansible_port}; its value is the host's vars (empty or
 *       any "falsy" value for none). Merge keys ({@code <<}) and anchors work.
 *   <li>Where Ansible only warns and goes on, this reader throws an {@link InventoryException}
 *       instead, so that a typo cannot silently drop hosts: unknown keys in a group ({@link
 *       Kind#UNKNOWN_KEY}), a group or section that is not a mapping, e.g. {@code hosts} written as a
 *       list ({@link Kind#NOT_A_MAPPING}), duplicate keys ({@link Kind#DUPLICATE_KEY}), a name that
 *       is both host and group ({@link Kind#NAME_CONFLICT}), group names with characters Ansible
 *       warns about (per the inventory's {@link GroupNamePolicy}). Ansible's own errors map to
 *       {@link Kind#SYNTAX}, {@link Kind#EMPTY}, {@link Kind#CHILD_CYCLE} and {@link
 *       Kind#UNSUPPORTED_VALUE} (vault data, {@code .inf}, binary, sets, non-string keys or var
 *       names). Every error names the file and, where known, the line.
 *   <li>Vars in the group {@code ungrouped} are refused; its hosts go to {@code all}.
 * </ul>
 *
 * <h2>Writing</h2>
 *
 * The inventory is written as nested groups under {@code all}, in insertion order. A group with
 * several parents is written in full under the first and as a bare reference under the others; a
 * host's vars are written where it first appears. Strings are quoted exactly when PyYAML would
 * otherwise read them as something else ({@code "yes"}, {@code "0755"}, {@code "1.5"}, {@code
 * "null"}, {@code "2024-01-15"}, {@code "="}), so a string stays a string; floats are written with a
 * dot and a signed exponent ({@code 1.0e+20}) so that they stay floats. Host names that Ansible would
 * read as a pattern ({@code web[1:3]}, {@code host:22}) cannot be written: {@link
 * Kind#INVALID_HOST_NAME}; use {@link AnsibleJson}, where names are taken literally. Output is UTF-8
 * with Unicode written as is.
 *
 * <p>Stateless and thread-safe. Writing holds the inventory's read lock.
 */
public final class AnsibleYaml {
  private AnsibleYaml() {}

  private static final Tag UNSAFE = new Tag("!unsafe");
  private static final Tag VAULT = new Tag("!vault");

  private static Yaml yaml() {
    LoaderOptions lo = new LoaderOptions();
    lo.setAllowDuplicateKeys(true); // checked here, after merge keys, with a typed error
    lo.setCodePointLimit(Integer.MAX_VALUE);
    lo.setNestingDepthLimit(1000);
    DumperOptions dopt = new DumperOptions();
    dopt.setIndent(2);
    dopt.setWidth(Integer.MAX_VALUE);
    dopt.setSplitLines(false);
    dopt.setAllowUnicode(true);
    dopt.setLineBreak(DumperOptions.LineBreak.UNIX);
    return new Yaml(new SafeConstructor(lo), new Representer(dopt), dopt, lo, new PyYamlResolver());
  }

  // ------------------------------------------------------------------ reading

  /**
   * Reads a YAML inventory file, rejecting group names Ansible warns about.
   *
   * @param file the file (UTF-8)
   * @return a new inventory
   * @throws InventoryException if the file is not a valid inventory; it names the file and line
   */
  public static Inventory read(Path file) {
    return read(file, GroupNamePolicy.REJECT);
  }

  /**
   * Reads a YAML inventory file.
   *
   * @param file the file (UTF-8)
   * @param policy what to do with group names Ansible warns about
   * @return a new inventory
   * @throws InventoryException if the file is not a valid inventory; it names the file and line
   */
  public static Inventory read(Path file, GroupNamePolicy policy) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(r, file.toString(), policy);
    } catch (IOException e) {
      throw new InventoryException(Kind.IO, file.toString(), 0, "cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Reads a YAML inventory from text.
   *
   * @param yamlText the inventory
   * @return a new inventory
   * @throws InventoryException if the text is not a valid inventory (the source is named {@code
   *     <string>})
   */
  public static Inventory parse(String yamlText) {
    return read(new StringReader(yamlText), "<string>", GroupNamePolicy.REJECT);
  }

  /**
   * Reads a YAML inventory from a reader, which is not closed.
   *
   * @param reader the YAML text
   * @param source the name used in error messages, e.g. the file name
   * @param policy what to do with group names Ansible warns about
   * @return a new inventory
   * @throws InventoryException if the text is not a valid inventory
   */
  public static Inventory read(Reader reader, String source, GroupNamePolicy policy) {
    Node root;
    try {
      root = yaml().compose(reader);
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      throw new InventoryException(
          Kind.SYNTAX, source, m == null ? 0 : m.getLine() + 1, "invalid YAML: " + oneLine(e), e);
    } catch (YAMLException e) {
      throw new InventoryException(Kind.SYNTAX, source, 0, "invalid YAML: " + oneLine(e), e);
    }
    return new YamlReader(source, Inventory.create(policy)).read(root);
  }

  private static String oneLine(YAMLException e) {
    String msg = e instanceof MarkedYAMLException m ? m.getProblem() : e.getMessage();
    if (e instanceof MarkedYAMLException m && m.getContext() != null) {
      msg = m.getContext() + ": " + msg;
    }
    return msg == null ? e.toString() : msg.replace('\n', ' ');
  }

  private static final class YamlReader {
    private final String source;
    private final Inventory inv;
    private final Set<Node> parsing = Collections.newSetFromMap(new IdentityHashMap<>());

    YamlReader(String source, Inventory inv) {
      this.source = source;
      this.inv = inv;
    }

    Inventory read(Node root) {
      if (root == null || isNull(root)) {
        throw new InventoryException(Kind.EMPTY, source, 0, "Parsed empty YAML file");
      }
      if (!(root instanceof MappingNode map)) {
        throw error(
            Kind.NOT_A_MAPPING,
            root,
            "YAML inventory has invalid structure, it should be a mapping of groups, got a "
                + describe(root));
      }
      List<NodeTuple> entries = entries(map);
      if (entries.isEmpty()) {
        throw new InventoryException(Kind.EMPTY, source, line(root), "Parsed empty YAML file");
      }
      for (NodeTuple t : entries) {
        if (t.getKeyNode() instanceof ScalarNode k && "plugin".equals(k.getValue())) {
          throw error(
              Kind.UNKNOWN_KEY,
              k,
              "this is a plugin configuration YAML file, not a YAML inventory (top-level key"
                  + " 'plugin')");
        }
      }
      for (NodeTuple t : entries) {
        parseGroup(stringKey(t.getKeyNode(), "group name"), t.getKeyNode(), t.getValueNode());
      }
      return inv;
    }

    private String parseGroup(String name, Node keyNode, Node node) {
      if (!(node instanceof MappingNode) && !isNull(node)) {
        throw error(
            Kind.NOT_A_MAPPING,
            node,
            "group '" + name + "' must be a mapping with hosts, vars and children, got a " + describe(node));
      }
      String g;
      try {
        g = inv.addGroup(name);
      } catch (IllegalArgumentException e) {
        throw Inventory.located(e, source, line(keyNode));
      }
      if (!(node instanceof MappingNode map)) {
        return g;
      }
      if (!parsing.add(node)) {
        throw error(Kind.CHILD_CYCLE, node, "group '" + name + "' contains itself through a YAML alias");
      }
      try {
        List<NodeTuple> entries = entries(map);
        for (NodeTuple t : entries) {
          String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : null;
          Node value = t.getValueNode();
          boolean section = "hosts".equals(key) || "vars".equals(key) || "children".equals(key);
          if (!section || !isStringKey(t.getKeyNode())) {
            throw error(
                Kind.UNKNOWN_KEY,
                t.getKeyNode(),
                "unexpected key '"
                    + (key == null ? describe(t.getKeyNode()) : key)
                    + "' in group '"
                    + name
                    + "': only 'hosts', 'vars' and 'children' are valid");
          }
          if (value instanceof ScalarNode s && isString(s)) {
            value = singleKey(s);
          }
          if (isNull(value)) {
            continue;
          }
          if (!(value instanceof MappingNode sectionMap)) {
            throw error(
                Kind.NOT_A_MAPPING,
                value,
                "'"
                    + key
                    + "' of group '"
                    + name
                    + "' must be a mapping, got a "
                    + describe(value)
                    + ("hosts".equals(key) && value instanceof SequenceNode
                        ? " (write 'hosts: {web01: , web02: }', not a list)"
                        : ""));
          }
          switch (key) {
            case "vars" -> {
              if (name.equals(Group.UNGROUPED) && !sectionMap.getValue().isEmpty()) {
                throw error(
                    Kind.NAME_CONFLICT,
                    value,
                    "vars on 'ungrouped' are not supported: it is not a group of its own in this"
                        + " model; set them on the hosts or on 'all'");
              }
              for (NodeTuple v : entries(sectionMap)) {
                String var = stringKey(v.getKeyNode(), "variable name");
                Object val = value(v.getValueNode());
                try {
                  inv.setGroupVar(g, var, val);
                } catch (IllegalArgumentException e) {
                  throw Inventory.located(e, source, line(v.getKeyNode()));
                }
              }
            }
            case "children" -> {
              for (NodeTuple c : entries(sectionMap)) {
                String childName = stringKey(c.getKeyNode(), "group name");
                String child = parseGroup(childName, c.getKeyNode(), c.getValueNode());
                try {
                  inv.addChild(g, child);
                } catch (IllegalArgumentException e) {
                  throw Inventory.located(e, source, line(c.getKeyNode()));
                }
              }
            }
            default -> {
              for (NodeTuple h : entries(sectionMap)) {
                parseHosts(g, h);
              }
            }
          }
        }
      } finally {
        parsing.remove(node);
      }
      return g;
    }

    private void parseHosts(String group, NodeTuple h) {
      Node keyNode = h.getKeyNode();
      if (!isStringKey(keyNode)) {
        throw error(
            Kind.INVALID_HOST_NAME,
            keyNode,
            "host pattern "
                + ((ScalarNode) keyNode).getValue()
                + " must be a string; enclose integers and floats in quotation marks");
      }
      String pattern = ((ScalarNode) keyNode).getValue();
      HostPatterns.Expansion exp;
      try {
        exp = HostPatterns.expand(pattern);
      } catch (IllegalArgumentException e) {
        throw error(Kind.SYNTAX, keyNode, "host pattern '" + pattern + "': " + e.getMessage());
      }
      Node varsNode = h.getValueNode();
      Map<String, Object> vars = new LinkedHashMap<>();
      if (varsNode instanceof MappingNode m) {
        for (NodeTuple v : entries(m)) {
          vars.put(stringKey(v.getKeyNode(), "variable name"), value(v.getValueNode()));
        }
      } else {
        Object v = value(varsNode);
        if (!isFalsy(v)) {
          throw error(
              Kind.NOT_A_MAPPING,
              varsNode,
              "vars of host '" + pattern + "' must be a mapping, got a " + describe(varsNode));
        }
      }
      for (String name : exp.hostnames()) {
        addHostVars(group, name, exp.port(), vars, keyNode);
      }
    }

    private void addHostVars(
        String group, String name, BigInteger port, Map<String, Object> vars, Node where) {
      try {
        inv.mergeHost(group, name, port, vars);
      } catch (IllegalArgumentException e) {
        throw Inventory.located(e, source, line(where));
      }
    }

    private Object value(Node node) {
      return value(node, Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    private Object value(Node node, Set<Node> stack) {
      Tag tag = node.getTag();
      if (node instanceof ScalarNode s) {
        String text = s.getValue();
        try {
          if (tag.equals(Tag.STR) || tag.equals(UNSAFE)) {
            return text;
          } else if (tag.equals(Tag.NULL)) {
            return null;
          } else if (tag.equals(Tag.BOOL)) {
            return PyYamlScalars.toBool(text);
          } else if (tag.equals(Tag.INT)) {
            return PyYamlScalars.toInt(text);
          } else if (tag.equals(Tag.FLOAT)) {
            double d = PyYamlScalars.toFloat(text);
            if (Double.isNaN(d) || Double.isInfinite(d)) {
              throw error(Kind.UNSUPPORTED_VALUE, node, "'" + text + "' is not a finite number; JSON has no NaN or infinity");
            }
            return d;
          } else if (tag.equals(Tag.TIMESTAMP)) {
            return PyYamlScalars.toTimestamp(text);
          }
        } catch (IllegalArgumentException e) {
          throw error(Kind.SYNTAX, node, e.getMessage());
        }
        throw unsupportedTag(node);
      }
      if (!stack.add(node)) {
        throw error(Kind.UNSUPPORTED_VALUE, node, "a recursive YAML alias has no JSON form");
      }
      try {
        if (node instanceof SequenceNode seq && (tag.equals(Tag.SEQ) || tag.equals(UNSAFE))) {
          List<Object> out = new ArrayList<>(seq.getValue().size());
          for (Node n : seq.getValue()) {
            out.add(value(n, stack));
          }
          return out;
        }
        if (node instanceof MappingNode m && (tag.equals(Tag.MAP) || tag.equals(UNSAFE))) {
          LinkedHashMap<String, Object> out = new LinkedHashMap<>();
          for (NodeTuple t : entries(m)) {
            if (!isStringKey(t.getKeyNode())) {
              throw error(
                  Kind.UNSUPPORTED_VALUE,
                  t.getKeyNode(),
                  "mapping key " + describe(t.getKeyNode()) + " is not a string; JSON object keys are strings (quote it)");
            }
            out.put(((ScalarNode) t.getKeyNode()).getValue(), value(t.getValueNode(), stack));
          }
          return out;
        }
      } finally {
        stack.remove(node);
      }
      throw unsupportedTag(node);
    }

    private InventoryException unsupportedTag(Node node) {
      String t = node.getTag().getValue();
      if (t.equals("!vault") || t.equals("!vault-encrypted")) {
        return error(Kind.UNSUPPORTED_VALUE, node, "vault-encrypted values are not supported; keep secrets out of the inventory or decrypt first");
      }
      return error(Kind.UNSUPPORTED_VALUE, node, "values tagged " + t + " have no JSON form");
    }

    /** PyYAML's flatten_mapping, then Ansible's duplicate-key check. */
    private List<NodeTuple> entries(MappingNode node) {
      List<NodeTuple> merged = new ArrayList<>();
      List<NodeTuple> own = new ArrayList<>();
      for (NodeTuple t : node.getValue()) {
        if (t.getKeyNode().getTag().equals(Tag.MERGE) && t.getKeyNode() instanceof ScalarNode) {
          Node v = t.getValueNode();
          if (v instanceof MappingNode m) {
            merged.addAll(entries(m));
          } else if (v instanceof SequenceNode s) {
            List<List<NodeTuple>> sub = new ArrayList<>();
            for (Node n : s.getValue()) {
              if (!(n instanceof MappingNode m)) {
                throw error(Kind.NOT_A_MAPPING, n, "a merge key (<<) needs mappings, got a " + describe(n));
              }
              sub.add(entries(m));
            }
            Collections.reverse(sub);
            sub.forEach(merged::addAll);
          } else {
            throw error(Kind.NOT_A_MAPPING, v, "a merge key (<<) needs a mapping, got a " + describe(v));
          }
        } else {
          own.add(t);
        }
      }
      merged.addAll(own);
      Set<String> seen = new HashSet<>();
      for (NodeTuple t : merged) {
        if (t.getKeyNode() instanceof ScalarNode k) {
          String id = k.getTag().getValue() + "\u0000" + k.getValue();
          if (!seen.add(id)) {
            throw error(
                Kind.DUPLICATE_KEY,
                k,
                "duplicate key '" + k.getValue() + "'; Ansible warns and keeps the last one, remove one of them");
          }
        }
      }
      return merged;
    }

    private String stringKey(Node node, String what) {
      if (!isStringKey(node)) {
        throw error(
            Kind.UNSUPPORTED_VALUE,
            node,
            what + " must be a string, got a " + describe(node) + "; quote it");
      }
      return ((ScalarNode) node).getValue();
    }

    private static boolean isStringKey(Node node) {
      return node instanceof ScalarNode s
          && (isString(s) || s.getTag().equals(PyYamlResolver.VALUE));
    }

    private static boolean isString(ScalarNode s) {
      return s.getTag().equals(Tag.STR) || s.getTag().equals(UNSAFE);
    }

    private static boolean isNull(Node node) {
      return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    private static MappingNode singleKey(ScalarNode s) {
      ScalarNode nul =
          new ScalarNode(Tag.NULL, "", s.getStartMark(), s.getEndMark(), DumperOptions.ScalarStyle.PLAIN);
      return new MappingNode(
          Tag.MAP, false, List.of(new NodeTuple(s, nul)), s.getStartMark(), s.getEndMark(), DumperOptions.FlowStyle.BLOCK);
    }

    private static boolean isFalsy(Object v) {
      return v == null
          || Boolean.FALSE.equals(v)
          || (v instanceof String s && s.isEmpty())
          || (v instanceof BigInteger b && b.signum() == 0)
          || (v instanceof Double d && d == 0.0)
          || (v instanceof List<?> l && l.isEmpty())
          || (v instanceof Map<?, ?> m && m.isEmpty());
    }

    private static String describe(Node node) {
      if (node instanceof MappingNode) {
        return "mapping";
      }
      if (node instanceof SequenceNode) {
        return "list";
      }
      String t = node.getTag().getValue();
      String type = t.startsWith(Tag.PREFIX) ? t.substring(Tag.PREFIX.length()) : t;
      return type + " (" + ((ScalarNode) node).getValue() + ")";
    }

    private static int line(Node node) {
      return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private InventoryException error(Kind kind, Node node, String problem) {
      return new InventoryException(kind, source, line(node), problem);
    }
  }

  // ------------------------------------------------------------------ writing

  /**
   * Writes an inventory as a YAML file (UTF-8), replacing it.
   *
   * @param inventory the inventory
   * @param file the file
   * @throws InventoryException of kind {@link Kind#INVALID_HOST_NAME} if a host name would be read
   *     back as a pattern, or {@link Kind#IO}
   */
  public static void write(Inventory inventory, Path file) {
    String text = toYaml(inventory);
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InventoryException(Kind.IO, file.toString(), 0, "cannot write: " + e.getMessage(), e);
    }
  }

  /**
   * Writes an inventory as YAML to a writer, which is flushed, not closed.
   *
   * @param inventory the inventory
   * @param out the writer
   * @throws InventoryException of kind {@link Kind#INVALID_HOST_NAME} if a host name would be read
   *     back as a pattern, or {@link Kind#IO}
   */
  public static void write(Inventory inventory, Writer out) {
    write(inventory, out, null);
  }

  /**
   * Writes an inventory as YAML to a writer, which is flushed, not closed, with each secret value
   * ({@link Secret}) encrypted by {@code vault} as an Ansible Vault 1.1 {@code !vault |} scalar,
   * which Ansible decrypts with the same password ({@code --vault-password-file}).
   *
   * @param inventory the inventory
   * @param out the writer
   * @param vault the vault for secret values, or {@code null} to refuse them
   * @throws InventoryException of kind {@link Kind#SECRET_VALUE} if a value is secret and no vault
   *     is given, {@link Kind#INVALID_HOST_NAME} if a host name would be read back as a pattern, or
   *     {@link Kind#IO}
   * @throws io.infrastate.model.SecretKeyException if a secret cannot be revealed (no key, wrong
   *     key)
   */
  public static void write(Inventory inventory, Writer out, AnsibleVault vault) {
    Objects.requireNonNull(out, "out");
    Node root = inventory.read(() -> new NodeBuilder(inventory, vault).root());
    try {
      yaml().serialize(root, out);
      out.flush();
    } catch (IOException | YAMLException e) {
      throw new InventoryException(Kind.IO, null, 0, "cannot write YAML: " + e.getMessage(), e);
    }
  }

  /**
   * Returns an inventory as YAML text.
   *
   * @param inventory the inventory
   * @return the YAML document
   * @throws InventoryException of kind {@link Kind#INVALID_HOST_NAME} if a host name would be read
   *     back as a pattern
   */
  public static String toYaml(Inventory inventory) {
    return toYaml(inventory, null);
  }

  /**
   * Returns an inventory as YAML text, secret values encrypted by {@code vault} (see {@link
   * #write(Inventory, Writer, AnsibleVault)}).
   *
   * @param inventory the inventory
   * @param vault the vault for secret values, or {@code null} to refuse them
   * @return the YAML document
   * @throws InventoryException of kind {@link Kind#SECRET_VALUE} if a value is secret and no vault
   *     is given, or {@link Kind#INVALID_HOST_NAME}
   */
  public static String toYaml(Inventory inventory, AnsibleVault vault) {
    StringWriter w = new StringWriter();
    write(inventory, w, vault);
    return w.toString();
  }

  private static final class NodeBuilder {
    private final Inventory inv;
    private final AnsibleVault vault;
    private final Set<String> groupsWritten = new HashSet<>();
    private final Set<String> hostsWritten = new HashSet<>();

    NodeBuilder(Inventory inv, AnsibleVault vault) {
      this.inv = inv;
      this.vault = vault;
    }

    Node root() {
      for (String h : inv.hostMap().keySet()) {
        if (!HostPatterns.isLiteral(h)) {
          throw new InventoryException(
              Kind.INVALID_HOST_NAME,
              null,
              0,
              "host name '"
                  + h
                  + "' would be read by Ansible as a host pattern (a range like [1:3] or a :port),"
                  + " not as this name; rename the host or write dynamic-inventory JSON instead");
        }
      }
      List<NodeTuple> top = new ArrayList<>();
      top.add(new NodeTuple(str(Group.ALL), group(inv.groupMap().get(Group.ALL))));
      return map(top, false);
    }

    private Node group(Inventory.GroupData d) {
      groupsWritten.add(d.name);
      boolean all = d.name.equals(Group.ALL);
      List<NodeTuple> entries = new ArrayList<>();
      List<NodeTuple> hosts = new ArrayList<>();
      if (all) {
        for (String h : inv.hostMap().keySet()) {
          if (inv.isUngrouped(h)) {
            hosts.add(hostEntry(h));
          }
        }
      } else {
        for (String h : d.hosts) {
          hosts.add(hostEntry(h));
        }
      }
      if (!hosts.isEmpty()) {
        entries.add(new NodeTuple(str("hosts"), map(hosts, false)));
      }
      if (!d.vars.isEmpty()) {
        entries.add(new NodeTuple(str("vars"), value(d.vars)));
      }
      List<NodeTuple> children = new ArrayList<>();
      if (all) {
        for (Inventory.GroupData c : inv.groupMap().values()) {
          if (inv.isTopLevel(c)) {
            children.add(new NodeTuple(str(c.name), group(c)));
          }
        }
      } else {
        for (String c : d.children) {
          Node n = groupsWritten.contains(c) ? emptyMap() : group(inv.groupMap().get(c));
          children.add(new NodeTuple(str(c), n));
        }
      }
      if (!children.isEmpty()) {
        entries.add(new NodeTuple(str("children"), map(children, false)));
      }
      return entries.isEmpty() ? emptyMap() : map(entries, false);
    }

    private NodeTuple hostEntry(String name) {
      if (!hostsWritten.add(name)) {
        return new NodeTuple(str(name), emptyMap());
      }
      Map<String, Object> vars = inv.hostMap().get(name).hostVars();
      return new NodeTuple(str(name), vars.isEmpty() ? emptyMap() : value(vars));
    }

    private Node value(Object v) {
      if (v instanceof Secret secret) {
        if (vault == null) {
          throw new InventoryException(Kind.SECRET_VALUE, null, 0, "a host or group var is a secret value, which a"
              + " YAML inventory would hold in clear; give a vault password (--vault-password-file) to write it as"
              + " !vault, as ansible-vault encrypt_string does");
        }
        return new ScalarNode(VAULT, vault.encrypt(secret.reveal()), null, null, DumperOptions.ScalarStyle.LITERAL);
      }
      if (v == null) {
        return new ScalarNode(Tag.NULL, "null", null, null, DumperOptions.ScalarStyle.PLAIN);
      } else if (v instanceof String s) {
        return str(s);
      } else if (v instanceof Boolean b) {
        return new ScalarNode(Tag.BOOL, b ? "true" : "false", null, null, DumperOptions.ScalarStyle.PLAIN);
      } else if (v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
        return new ScalarNode(Tag.INT, v.toString(), null, null, DumperOptions.ScalarStyle.PLAIN);
      } else if (v instanceof Double d) {
        return new ScalarNode(Tag.FLOAT, formatFloat(d), null, null, DumperOptions.ScalarStyle.PLAIN);
      } else if (v instanceof Map<?, ?> m) {
        if (m.isEmpty()) {
          return emptyMap();
        }
        List<NodeTuple> entries = new ArrayList<>(m.size());
        for (Map.Entry<?, ?> e : m.entrySet()) {
          entries.add(new NodeTuple(str((String) e.getKey()), value(e.getValue())));
        }
        return map(entries, false);
      } else if (v instanceof List<?> l) {
        List<Node> items = new ArrayList<>(l.size());
        for (Object o : l) {
          items.add(value(o));
        }
        return new SequenceNode(
            Tag.SEQ, items, l.isEmpty() ? DumperOptions.FlowStyle.FLOW : DumperOptions.FlowStyle.BLOCK);
      }
      throw new IllegalStateException("not a frozen JSON value: " + v.getClass().getName());
    }

    /** Java's shortest repr, spelled so that PyYAML's float pattern matches (1.0e+20, not 1.0E20). */
    static String formatFloat(double d) {
      String s = Double.toString(d);
      int e = s.indexOf('E');
      if (e < 0) {
        return s;
      }
      String mantissa = s.substring(0, e);
      String exp = s.substring(e + 1);
      return mantissa + "e" + (exp.startsWith("-") ? exp : "+" + exp);
    }

    private static ScalarNode str(String s) {
      // SnakeYAML may put NEL, LS and PS raw into plain or single-quoted scalars, where YAML folds
      // them into a space; only double quotes escape them (\N, \L, \P).
      boolean unicodeBreak = false;
      for (int i = 0; i < s.length() && !unicodeBreak; i++) {
        char c = s.charAt(i);
        unicodeBreak = c == '\u0085' || c == '\u2028' || c == '\u2029';
      }
      return new ScalarNode(
          Tag.STR,
          s,
          null,
          null,
          unicodeBreak ? DumperOptions.ScalarStyle.DOUBLE_QUOTED : DumperOptions.ScalarStyle.PLAIN);
    }

    private static MappingNode emptyMap() {
      return new MappingNode(Tag.MAP, new ArrayList<>(), DumperOptions.FlowStyle.FLOW);
    }

    private static MappingNode map(List<NodeTuple> entries, boolean flow) {
      return new MappingNode(
          Tag.MAP, entries, flow ? DumperOptions.FlowStyle.FLOW : DumperOptions.FlowStyle.BLOCK);
    }
  }
}
