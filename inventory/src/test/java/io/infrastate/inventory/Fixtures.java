package io.infrastate.inventory;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The inventory the real-Ansible tests build: nested groups, every var type, Unicode. */
final class Fixtures {
  private Fixtures() {}

  /** Strings that YAML 1.1, INI or JSON could mistake for something else. */
  static final List<String> TRICKY_STRINGS =
      List.of(
          "yes", "no", "on", "off", "Yes", "NO", "true", "False", "y", "n", "null", "Null", "~", "",
          " ", "  leading", "trailing  ", "0755", "0o17", "0x1F", "0b101", "1e3", "1.5", "1.0e+10",
          "1_000", "12:30", "190:20:30.15", ".inf", "-.inf", ".nan", "2024-01-15",
          "2001-12-14 21:59:43.10 -5", "=", "<<", "@foo", "`x`", "- item", "key: value", "#comment",
          "a #b", "a: b", "{{ jinja }}", "{a: 1}", "[1, 2]", "multi\nline", "trailing newline\n",
          "tab\there", "quote ' \" both", "back\\slash", "line\u2028sep", "nel\u0085", "bell\u0007",
          "bom\uFEFF", "!tag", "&anchor", "*alias", "%percent", "|", ">", "?", ":", "-", "---", "...",
          "\u00e9t\u00e9 \u2603 \ud83d\ude00 \u65e5\u672c\u8a9e \u05e2\u05d1\u05e8\u05d9\u05ea",
          "0", "-0", "+1", "007", "1:2:3");

  static Map<String, Object> everyType() {
    LinkedHashMap<String, Object> v = new LinkedHashMap<>();
    v.put("int", 80);
    v.put("negative", -42);
    v.put("long", 9_000_000_000L);
    v.put("big", new BigInteger("123456789012345678901234567890"));
    v.put("float", 1.5);
    v.put("float_exp", 1.0e20);
    v.put("float_small", 2.5e-7);
    v.put("float_integral", 3.0);
    v.put("bool_true", true);
    v.put("bool_false", false);
    v.put("nothing", null);
    v.put("text", "plain text");
    v.put("unicode", "h\u00e9llo \u2603 \ud83d\ude00 \u4f60\u597d");
    v.put("list", List.of(1, "two", 3.5, true, Map.of("k", "v")));
    v.put("empty_list", List.of());
    v.put("empty_map", Map.of());
    LinkedHashMap<String, Object> nested = new LinkedHashMap<>();
    nested.put("a", Map.of("b", List.of(List.of(1, 2), List.of())));
    nested.put("yes", "key that YAML 1.1 reads as a boolean");
    nested.put("1", "numeric-looking key");
    v.put("nested", nested);
    ArrayList<Object> list = new ArrayList<>();
    list.add(null);
    list.addAll(TRICKY_STRINGS);
    v.put("tricky_list", list);
    return v;
  }

  /** Nested groups, a group with two parents, group vars, every var type, Unicode, an ungrouped host. */
  static Inventory big() {
    Inventory inv = Inventory.create();
    inv.putHost("web", new Host("web01", "10.0.0.5", 2222, "deploy", everyType()));
    inv.putHost("web", Host.of("web02", Map.of("http_port", 8080)));
    inv.addMember("canary", "web02");
    inv.putHost("db", new Host("db01", "db01.internal", 0, "postgres", Map.of("pg_version", "15")));
    inv.putHost("monitoring", Host.of("mon01"));
    inv.addChild("prod", "web");
    inv.addChild("prod", "db");
    inv.addChild("web", "canary");
    inv.addChild("web", "monitoring");
    inv.addChild("db", "monitoring");
    inv.addGroup("spare");
    inv.putHost(Host.of("lonely", Map.of("ansible_port", "2200", "note", "in no group")));
    inv.putHost("gr\u00fcppe", Host.of("caf\u00e9-\u00fc01", Map.of("city", "Z\u00fcrich")));
    inv.setGroupVars(Group.ALL, Map.of("dns", List.of("10.0.0.2", "10.0.0.3"), "ntp", "pool.ntp.org"));
    inv.setGroupVars("prod", Map.of("env", "production", "replicas", 3, "debug", false));
    inv.setGroupVars("web", everyType());
    inv.setGroupVar("canary", "weight", 0.1);
    LinkedHashMap<String, Object> tricky = new LinkedHashMap<>();
    for (int i = 0; i < TRICKY_STRINGS.size(); i++) {
      tricky.put("s" + i, TRICKY_STRINGS.get(i));
      tricky.put(TRICKY_STRINGS.get(i).isEmpty() ? "empty_key" : "k_" + TRICKY_STRINGS.get(i), i);
    }
    inv.putHost("db", Host.of("tricky", tricky));
    return inv;
  }
}
