package io.infrastate.inventory;

import io.infrastate.model.Secret;
import io.infrastate.model.Json;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Ansible's dynamic-inventory JSON: what an inventory script prints for {@code --list} and {@code
 * --host NAME}, so that a state can feed Ansible directly ({@code ansible-playbook -i
 * my-inventory-script}).
 *
 * <h2>{@code --list}</h2>
 *
 * <pre>{@code
 * {"_meta": {"hostvars": {"web01": {"ansible_host": "10.0.0.5", "http_port": 80}}},
 *  "all": {"hosts": ["lonely"], "vars": {...}, "children": ["web", ...]},
 *  "web": {"hosts": ["web01"], "vars": {...}, "children": ["canary"]}}
 * }</pre>
 *
 * Every group has a {@code hosts} array, even an empty one: Ansible reads a group object without
 * {@code hosts}, {@code vars} and {@code children} as a host of that name. {@code vars} and {@code
 * children} are written when not empty. {@code all.hosts} lists the hosts in no other group, and
 * {@code all.children} the groups without another parent. {@code _meta.hostvars} holds every host
 * whose {@link Host#hostVars()} are not empty (so Ansible never calls {@code --host}); hosts without
 * vars are listed in their groups only. Values keep their JSON types. A group named {@code _meta}
 * cannot be written (it would be read as the metadata block).
 *
 * <h2>{@code --host NAME}</h2>
 *
 * The host's own {@link Host#hostVars()} as one object; {@code {}} for an unknown host, as scripts
 * conventionally answer.
 *
 * <p>Output is UTF-8, compact, in the inventory's insertion order, and streamed with Jackson's
 * {@link JsonGenerator} (no intermediate tree), holding the inventory's read lock for the duration.
 * Stateless and thread-safe. The stream is flushed, never closed.
 */
public final class AnsibleJson {
  private static final JsonFactory FACTORY = JsonFactory.builder().build();
  private static final String META = "_meta";

  private AnsibleJson() {}

  /**
   * Writes the {@code --list} document.
   *
   * @param inventory the inventory
   * @param out where to write UTF-8 JSON; flushed, not closed
   * @throws InventoryException of kind {@link InventoryException.Kind#IO} if writing fails,
   *     {@link InventoryException.Kind#NAME_CONFLICT} for a group named {@code _meta}, or {@link
   *     InventoryException.Kind#SECRET_VALUE} if a var holds a {@link Secret}
   */
  public static void writeList(Inventory inventory, OutputStream out) {
    Objects.requireNonNull(out, "out");
    inventory.read(
        () -> {
          if (inventory.groupMap().containsKey(META)) {
            throw new InventoryException(
                InventoryException.Kind.NAME_CONFLICT,
                null,
                0,
                "a group named '_meta' cannot be written as dynamic-inventory JSON, where '_meta'"
                    + " holds the host variables; rename the group");
          }
          try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), out)) {
            writeListLocked(inventory, g);
          } catch (JacksonException e) {
            throw new InventoryException(
                InventoryException.Kind.IO, null, 0, "cannot write inventory JSON: " + e.getMessage(), e);
          }
          return null;
        });
  }

  /**
   * Returns the {@code --list} document as a string.
   *
   * @param inventory the inventory
   * @return compact JSON
   * @throws InventoryException for a group named {@code _meta}
   */
  public static String toList(Inventory inventory) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    writeList(inventory, bytes);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /**
   * Writes the {@code --host NAME} document: the host's own variables.
   *
   * @param inventory the inventory
   * @param hostName the host
   * @param out where to write UTF-8 JSON; flushed, not closed
   * @throws InventoryException of kind {@link InventoryException.Kind#IO} if writing fails, or
   *     {@link InventoryException.Kind#SECRET_VALUE} if a var holds a {@link Secret}
   */
  public static void writeHost(Inventory inventory, String hostName, OutputStream out) {
    Objects.requireNonNull(out, "out");
    Host h = inventory.host(hostName).orElse(null);
    try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), out)) {
      if (h == null) {
        g.writeStartObject();
        g.writeEndObject();
      } else {
        writeHostVars(g, h);
      }
    } catch (JacksonException e) {
      throw new InventoryException(
          InventoryException.Kind.IO, null, 0, "cannot write host JSON: " + e.getMessage(), e);
    }
  }

  /**
   * Returns the {@code --host NAME} document as a string.
   *
   * @param inventory the inventory
   * @param hostName the host
   * @return compact JSON
   */
  public static String toHost(Inventory inventory, String hostName) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    writeHost(inventory, hostName, bytes);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /**
   * Answers an inventory-script call: {@code --list}, or {@code --host NAME}. For the {@code main}
   * method of a dynamic inventory script written in Java.
   *
   * @param inventory the inventory
   * @param args the command-line arguments
   * @param out standard output; flushed, not closed
   * @throws IllegalArgumentException if the arguments are neither {@code --list} nor {@code --host
   *     NAME}; the message shows the usage
   */
  public static void respond(Inventory inventory, List<String> args, OutputStream out) {
    if (args.size() == 1 && args.get(0).equals("--list")) {
      writeList(inventory, out);
    } else if (args.size() == 2 && args.get(0).equals("--host")) {
      writeHost(inventory, args.get(1), out);
    } else {
      throw new IllegalArgumentException("usage: --list | --host NAME (got " + args + ")");
    }
  }

  private static void writeListLocked(Inventory inv, JsonGenerator g) {
    Map<String, Host> hosts = inv.hostMap();
    g.writeStartObject();
    g.writeName(META);
    g.writeStartObject();
    g.writeName("hostvars");
    g.writeStartObject();
    for (Host h : hosts.values()) {
      if (h.vars().isEmpty() && h.address().isEmpty() && h.port() == 0 && h.user().isEmpty()) {
        continue;
      }
      g.writeName(h.name());
      writeHostVars(g, h);
    }
    g.writeEndObject();
    g.writeEndObject();
    for (Inventory.GroupData d : inv.groupMap().values()) {
      g.writeName(d.name);
      g.writeStartObject();
      g.writeName("hosts");
      g.writeStartArray();
      if (d.name.equals(Group.ALL)) {
        for (String h : hosts.keySet()) {
          if (inv.isUngrouped(h)) {
            g.writeString(h);
          }
        }
      } else {
        for (String h : d.hosts) {
          g.writeString(h);
        }
      }
      g.writeEndArray();
      if (!d.vars.isEmpty()) {
        g.writeName("vars");
        Json.write(g, refuseSecrets(d.vars, "group " + d.name), false);
      }
      if (d.name.equals(Group.ALL)) {
        boolean open = false;
        for (Inventory.GroupData c : inv.groupMap().values()) {
          if (inv.isTopLevel(c)) {
            if (!open) {
              g.writeName("children");
              g.writeStartArray();
              open = true;
            }
            g.writeString(c.name);
          }
        }
        if (open) {
          g.writeEndArray();
        }
      } else if (!d.children.isEmpty()) {
        g.writeName("children");
        g.writeStartArray();
        for (String c : d.children) {
          g.writeString(c);
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  /**
   * Returns {@code value}, or refuses it if it holds a secret: a dynamic inventory prints values in
   * clear, and a secret is printed only where its caller asked with the key in hand (by putting its
   * clear value into the inventory).
   */
  private static Object refuseSecrets(Object value, String where) {
    if (Secret.isIn(value)) {
      throw new InventoryException(InventoryException.Kind.SECRET_VALUE, null, 0, where + " holds a secret value,"
          + " which the dynamic inventory would print in clear; nothing was printed. Reveal secrets explicitly"
          + " (infrastate --show-secrets with the key), or export a YAML inventory with --vault-password-file");
    }
    return value;
  }

  private static void writeHostVars(JsonGenerator g, Host h) {
    g.writeStartObject();
    if (!h.address().isEmpty()) {
      g.writeName(Host.ANSIBLE_HOST);
      g.writeString(h.address());
    }
    if (h.port() != 0) {
      g.writeName(Host.ANSIBLE_PORT);
      g.writeNumber(h.port());
    }
    if (!h.user().isEmpty()) {
      g.writeName(Host.ANSIBLE_USER);
      g.writeString(h.user());
    }
    for (Map.Entry<String, Object> e : h.vars().entrySet()) {
      g.writeName(e.getKey());
      Json.write(g, refuseSecrets(e.getValue(), "host " + h.name() + " var " + e.getKey()), false);
    }
    g.writeEndObject();
  }
}
