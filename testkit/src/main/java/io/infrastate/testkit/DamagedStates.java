package io.infrastate.testkit;

import io.infrastate.codec.StateCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Damaged state.json contents, one per way a file can be broken, each with the JSON path the error
 * must name. {@link BackendContract} writes each into storage and checks that loading fails with a
 * typed error and that the stored bytes stay identical, for every backend.
 */
public final class DamagedStates {
  private DamagedStates() {}

  /**
   * One damaged content.
   *
   * @param name what is wrong, for test names
   * @param content the raw bytes
   * @param path the JSON path the error must name (or {@code $} for the whole document)
   * @param unsupportedVersion whether the expected error is {@link
   *     io.infrastate.model.UnsupportedFormatVersionException} rather than {@link
   *     io.infrastate.model.CorruptStateException}
   */
  public record Case(String name, byte[] content, String path, boolean unsupportedVersion) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static final String META =
      "\"metadata\": {\"version\": \"1.0\", \"created_at\": \"2024-01-15T10:30:00Z\","
          + " \"updated_at\": \"2024-01-15T14:45:00Z\", \"serial\": 3, \"lineage\": \"5f0c6a3e-0000-4000-8000-000000000001\"}";

  private static String host(String key, String body) {
    return "{" + META + ", \"hosts\": {\"" + key + "\": {" + body + "}}, \"resources\": {}}";
  }

  private static Case text(String name, String content, String path) {
    return new Case(name, content.getBytes(StandardCharsets.UTF_8), path, false);
  }

  /**
   * Every case.
   *
   * @return the damaged contents
   */
  public static List<Case> all() {
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("empty file", new byte[0], "$", false));
    cases.add(text("truncated JSON", "{" + META + ", \"hosts\": {\"web01\": {\"name\": \"web0", "$.hosts.web01.name"));
    cases.add(text("not JSON", "hosts:\n  web01: 10.0.0.1\n", "$"));
    byte[] nul = ("{" + META + ", \"hosts\": {}, \"resources\": {}}").getBytes(StandardCharsets.UTF_8);
    byte[] withNul = new byte[nul.length + 2];
    System.arraycopy(nul, 0, withNul, 0, 1);
    withNul[1] = 0;
    withNul[2] = 0;
    System.arraycopy(nul, 1, withNul, 3, nul.length - 1);
    cases.add(new Case("NUL bytes", withNul, "$", false));
    cases.add(text("port is a string", host("web01", "\"name\": \"web01\", \"port\": \"22\""), "$.hosts.web01.port"));
    cases.add(text("hosts is an array", "{" + META + ", \"hosts\": [], \"resources\": {}}", "$.hosts"));
    cases.add(text("vars is a string", host("web01", "\"name\": \"web01\", \"vars\": \"x\""), "$.hosts.web01.vars"));
    cases.add(text("port above 65535", host("web01", "\"name\": \"web01\", \"port\": 70000"), "$.hosts.web01.port"));
    cases.add(text("negative port", host("web01", "\"name\": \"web01\", \"port\": -1"), "$.hosts.web01.port"));
    cases.add(text("host key differs from its name", host("web01", "\"name\": \"db01\""), "$.hosts.web01.name"));
    cases.add(text("duplicate keys", host("web01", "\"name\": \"web01\", \"port\": 22, \"port\": 23"), "$.hosts.web01.port"));
    cases.add(text("unknown field", host("web01", "\"name\": \"web01\", \"color\": \"red\""), "$.hosts.web01.color"));
    cases.add(text("bad timestamp", host("web01", "\"name\": \"web01\", \"created_at\": \"yesterday\""), "$.hosts.web01.created_at"));
    cases.add(text("missing metadata", "{\"hosts\": {}, \"resources\": {}}", "$.metadata"));
    StringBuilder deep = new StringBuilder();
    int depth = StateCodec.MAX_DEPTH + 5;
    for (int i = 0; i < depth; i++) {
      deep.append("{\"a\": ");
    }
    deep.append("1");
    for (int i = 0; i < depth; i++) {
      deep.append('}');
    }
    cases.add(text("nesting too deep", host("web01", "\"name\": \"web01\", \"vars\": " + deep), "$.hosts.web01.vars"));
    String big = "x".repeat(StateCodec.MAX_STRING_LENGTH + 1);
    cases.add(text("oversized string", host("web01", "\"name\": \"web01\", \"address\": \"" + big + "\""), "$.hosts.web01.address"));
    String bigNumber = "9".repeat(StateCodec.MAX_NUMBER_LENGTH + 1);
    cases.add(text("oversized number", host("web01", "\"name\": \"web01\", \"vars\": {\"n\": " + bigNumber + "}}"), "$.hosts.web01.vars.n"));
    cases.add(text("trailing garbage", "{" + META + ", \"hosts\": {}, \"resources\": {}} {}", "$"));
    cases.add(new Case(
        "newer format version",
        ("{\"metadata\": {\"version\": \"2.0\", \"serial\": 1}, \"hosts\": {}, \"resources\": {}}").getBytes(StandardCharsets.UTF_8),
        "$.metadata.version",
        true));
    return cases;
  }
}
