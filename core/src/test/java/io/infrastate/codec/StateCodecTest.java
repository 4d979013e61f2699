package io.infrastate.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

class StateCodecTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static byte[] fixture() throws Exception {
    try (InputStream in = StateCodecTest.class.getResourceAsStream("go-ftl2-example.json")) {
      return in.readAllBytes();
    }
  }

  static Schema schema() throws Exception {
    try (InputStream in = StateCodec.class.getResourceAsStream("state.schema.json")) {
      return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in, InputFormat.JSON);
    }
  }

  @Test
  void goFtl2ExampleLoadsWithEveryField() throws Exception {
    Snapshot s = StateCodec.decode(fixture(), "go-ftl2-example.json", "");
    assertThat(s.metadata().version()).isEqualTo("1.0");
    assertThat(s.metadata().serial()).isZero();
    assertThat(s.metadata().lineage()).isEmpty();
    assertThat(s.metadata().createdAt()).isEqualTo(Instant.parse("2024-01-15T10:30:00Z"));
    HostState web = s.getHost("web01").orElseThrow();
    assertThat(web.address()).isEqualTo("192.168.1.10");
    assertThat(web.port()).isEqualTo(22);
    assertThat(web.user()).isEqualTo("admin");
    assertThat(web.group()).isEqualTo("webservers");
    assertThat(web.vars()).containsEntry("http_port", 80);
    assertThat(s.getHost("db01").orElseThrow().vars()).containsEntry("postgres_version", "15");
    ResourceState linode = s.getResource("linode:12345678").orElseThrow();
    assertThat(linode.type()).isEqualTo("linode");
    assertThat(linode.data()).containsEntry("ipv4", List.of("192.168.1.10")).containsEntry("type", "g6-standard-2");
    assertThat(linode.tags()).containsEntry("environment", "production").containsEntry("role", "webserver");
  }

  @Test
  void roundTripKeepsEveryFieldOfTheGoExample() throws Exception {
    byte[] original = fixture();
    byte[] written = StateCodec.encode(StateCodec.decode(original, "fixture", ""));
    JsonNode expected = MAPPER.readTree(original);
    JsonNode actual = MAPPER.readTree(written);
    // the only addition is the serial (0 for a file Go wrote); no lineage until the first write
    assertThat(actual.get("metadata").get("serial").asLong()).isZero();
    ((ObjectNode) actual.get("metadata")).remove("serial");
    assertThat(actual).isEqualTo(expected);
    // and writing again gives the same bytes
    assertThat(StateCodec.encode(StateCodec.decode(written, "again", ""))).isEqualTo(written);
  }

  @Test
  void writesGoMarshalIndentLayoutWithSortedKeys() {
    Instant t = Instant.parse("2024-01-15T10:30:00Z");
    Snapshot s = Snapshot.of(
        new Metadata("1.0", 2, "lin", t, t),
        Map.of("b", HostState.builder("b").var("z", 1).var("a", List.of()).build().withTimestamps(t, t),
            "a", HostState.builder("a").build().withTimestamps(t, t)),
        Map.of());
    String json = new String(StateCodec.encode(s), StandardCharsets.UTF_8);
    assertThat(json).isEqualTo(
        "{\n"
            + "  \"metadata\": {\n"
            + "    \"version\": \"1.0\",\n"
            + "    \"created_at\": \"2024-01-15T10:30:00Z\",\n"
            + "    \"updated_at\": \"2024-01-15T10:30:00Z\",\n"
            + "    \"serial\": 2,\n"
            + "    \"lineage\": \"lin\"\n"
            + "  },\n"
            + "  \"hosts\": {\n"
            + "    \"a\": {\n"
            + "      \"name\": \"a\",\n"
            + "      \"address\": \"\",\n"
            + "      \"port\": 0,\n"
            + "      \"user\": \"\",\n"
            + "      \"created_at\": \"2024-01-15T10:30:00Z\",\n"
            + "      \"updated_at\": \"2024-01-15T10:30:00Z\"\n"
            + "    },\n"
            + "    \"b\": {\n"
            + "      \"name\": \"b\",\n"
            + "      \"address\": \"\",\n"
            + "      \"port\": 0,\n"
            + "      \"user\": \"\",\n"
            + "      \"vars\": {\n"
            + "        \"a\": [],\n"
            + "        \"z\": 1\n"
            + "      },\n"
            + "      \"created_at\": \"2024-01-15T10:30:00Z\",\n"
            + "      \"updated_at\": \"2024-01-15T10:30:00Z\"\n"
            + "    }\n"
            + "  },\n"
            + "  \"resources\": {}\n"
            + "}\n");
  }

  @Test
  void acceptsGoTimestampsWithNanosecondsAndOffsets() {
    assertThat(StateCodec.parseTime("2024-01-15T10:30:00.123456789+02:00"))
        .isEqualTo(Instant.parse("2024-01-15T08:30:00.123456789Z"));
    assertThat(StateCodec.parseTime("2024-01-15T10:30:00-05:30")).isEqualTo(Instant.parse("2024-01-15T16:00:00Z"));
    assertThat(StateCodec.parseTime("0001-01-01T00:00:00Z")).isEqualTo(HostState.UNSET_TIME);
    assertThat(java.time.Instant.parse("0001-01-01T00:00:00Z")).isEqualTo(HostState.UNSET_TIME);
    String go = "{\"metadata\": {\"version\": \"1.0\", \"created_at\": \"2024-01-15T10:30:00.5+01:00\", \"updated_at\": \"2024-01-15T10:30:00.000000001Z\"}}";
    Snapshot s = StateCodec.decode(go.getBytes(StandardCharsets.UTF_8), "go", "");
    assertThat(s.metadata().createdAt()).isEqualTo(Instant.parse("2024-01-15T09:30:00.5Z"));
    assertThat(s.metadata().updatedAt().getNano()).isEqualTo(1);
    assertThat(StateCodec.decode(StateCodec.encode(s), "again", "")).isEqualTo(s);
  }

  @Test
  void whatWeWriteConformsToThePublishedSchema() throws Exception {
    Schema schema = schema();
    Snapshot s = StateCodec.decode(fixture(), "fixture", "").withMetadata(new Metadata("1.0", 9, "5f0c6a3e-0000-4000-8000-000000000001", Instant.now(), Instant.now()));
    List<Error> errors = schema.validate(new String(StateCodec.encode(s), StandardCharsets.UTF_8), InputFormat.JSON);
    assertThat(errors).isEmpty();
    assertThat(schema.validate(new String(fixture(), StandardCharsets.UTF_8), InputFormat.JSON)).isEmpty();
    // and the schema is not vacuous: it rejects a port out of range
    String bad = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"port\": 70000}}}";
    assertThat(schema.validate(bad, InputFormat.JSON)).isNotEmpty();
  }

  @Test
  void fencesAreWrittenSortedInsideMetadataConformToTheSchemaAndRoundTrip() throws Exception {
    Metadata m = new Metadata("1.0", 9, "5f0c6a3e-0000-4000-8000-000000000001", Instant.parse("2026-01-01T00:00:00Z"),
        Instant.parse("2026-01-02T00:00:00Z"), java.util.Map.of("deploy", 7L, "backup", 1796653168955L));
    Snapshot s = StateCodec.decode(fixture(), "fixture", "").withMetadata(m);
    String json = new String(StateCodec.encode(s), StandardCharsets.UTF_8);
    assertThat(json).contains("    \"lineage\": \"5f0c6a3e-0000-4000-8000-000000000001\",\n"
        + "    \"fences\": {\n      \"backup\": 1796653168955,\n      \"deploy\": 7\n    }\n  },");
    assertThat(schema().validate(json, InputFormat.JSON)).isEmpty();
    Snapshot back = StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "again", "");
    assertThat(back).isEqualTo(s);
    assertThat(back.metadata().fence("deploy")).isEqualTo(7);
    assertThat(back.metadata().fence("other")).isZero();
    // no fences: nothing written
    assertThat(new String(StateCodec.encode(s.withMetadata(m.withSerial(10, m.updatedAt()).withLineage("x")
        .withFence("a", 1))), StandardCharsets.UTF_8)).contains("\"fences\"");
    assertThat(new String(StateCodec.encode(StateCodec.decode(fixture(), "fixture", "")), StandardCharsets.UTF_8))
        .doesNotContain("fences");
    // the schema refuses a negative token
    assertThat(schema().validate("{\"metadata\": {\"version\": \"1.0\", \"fences\": {\"deploy\": -1}}}", InputFormat.JSON))
        .isNotEmpty();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "{\"deploy\": -1}|$.metadata.fences.deploy|negative",
      "{\"deploy\": \"7\"}|$.metadata.fences.deploy|whole number",
      "{\"deploy\": 1.5}|$.metadata.fences.deploy|whole number",
      "{\"deploy\": 99999999999999999999}|$.metadata.fences.deploy|larger than",
      "{\"deploy\": 1, \"deploy\": 2}|$.metadata.fences.deploy|duplicate",
      "{\"\": 1}|$.metadata.fences|empty",
      "[1]|$.metadata.fences|object"})
  void damagedFencesAreRefusedAtTheirPath(String fences, String path, String what) {
    String doc = "{\"metadata\": {\"version\": \"1.0\", \"fences\": " + fences + "}}";
    assertThatThrownBy(() -> StateCodec.decode(doc.getBytes(StandardCharsets.UTF_8), "state.json", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining(path)
        .hasMessageContaining(what);
  }

  @Test
  void damageMessageNamesSourcePathLineAndRecovery() {
    String json = "{\n  \"metadata\": {\"version\": \"1.0\"},\n  \"hosts\": {\"web01\": {\"name\": \"web01\", \"port\": \"22\"}}\n}";
    assertThatThrownBy(() -> StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "/srv/state.json", "the previous version is in /srv/state.json.backup"))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("/srv/state.json is damaged at $.hosts.web01.port")
        .hasMessageContaining("line 3")
        .hasMessageContaining("expected a whole number, found a string")
        .hasMessageContaining("It was not modified; the previous version is in /srv/state.json.backup");
  }

  @Test
  void damageColumnsCountCharactersNotBytes() {
    // two 2-byte characters before the damage on its line: a column counted in bytes would be 2 more
    String json = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"é\": {\"name\": \"é\", \"port\": \"x\"}}}";
    assertThatThrownBy(() -> StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts['é'].port (line 1, column " + (json.indexOf("\"x\"") + 1) + ")");
  }

  @Test
  void keysWithSpecialCharactersAreQuotedInPaths() {
    String json = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"web 01\": {\"name\": \"web01\"}}}";
    assertThatThrownBy(() -> StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .satisfies(e -> assertThat(((CorruptStateException) e).jsonPath()).contains("$.hosts['web 01'].name"));
  }

  @Test
  void timestampsAreFormattedExactlyAsIsoInstantAndParsedBack() {
    for (Instant t : trickyInstants(20_000)) {
      String text = StateCodec.formatTime(t);
      assertThat(text).as("%s", t).isEqualTo(java.time.format.DateTimeFormatter.ISO_INSTANT.format(t));
      assertThat(StateCodec.parseTime(text)).as(text).isEqualTo(t);
    }
  }

  @Test
  void theLongestInstantsFormatAsIsoInstantDoes() {
    // the encoder's buffer holds any instant java.time can hold
    for (Instant t : List.of(Instant.MAX, Instant.MIN)) {
      assertThat(StateCodec.formatTime(t)).isEqualTo(java.time.format.DateTimeFormatter.ISO_INSTANT.format(t));
    }
  }

  @Test
  void aDocumentWritesEveryTimestampAsFormatTimeDoes() {
    // the encoder formats timestamps into one buffer, not through formatTime's strings
    List<Instant> instants = trickyInstants(2_000);
    Map<String, HostState> hosts = new java.util.HashMap<>();
    Map<String, ResourceState> resources = new java.util.HashMap<>();
    for (int i = 0; i + 1 < instants.size(); i += 2) {
      String key = String.format("%05d", i);
      hosts.put(key, HostState.builder(key).build().withTimestamps(instants.get(i), instants.get(i + 1)));
      resources.put("t." + key, ResourceState.builder("t", key).build().withTimestamps(instants.get(i + 1), instants.get(i)));
    }
    Snapshot s = Snapshot.of(new Metadata("1.0", 1, "lin", instants.get(9), instants.get(10)), hosts, resources);
    JsonNode doc = new ObjectMapper().readTree(StateCodec.encode(s));
    assertThat(doc.get("metadata").get("created_at").asString()).isEqualTo(StateCodec.formatTime(instants.get(9)));
    assertThat(doc.get("metadata").get("updated_at").asString()).isEqualTo(StateCodec.formatTime(instants.get(10)));
    for (int i = 0; i + 1 < instants.size(); i += 2) {
      String key = String.format("%05d", i);
      JsonNode h = doc.get("hosts").get(key);
      JsonNode r = doc.get("resources").get("t." + key);
      assertThat(List.of(h.get("created_at").asString(), h.get("updated_at").asString(), r.get("created_at").asString(), r.get("updated_at").asString()))
          .as(key)
          .containsExactly(StateCodec.formatTime(instants.get(i)), StateCodec.formatTime(instants.get(i + 1)),
              StateCodec.formatTime(instants.get(i + 1)), StateCodec.formatTime(instants.get(i)));
    }
    assertThat(StateCodec.decode(StateCodec.encode(s), "test", "")).isEqualTo(s);
  }

  /** Edge instants (before 1970, after 9999, every precision), then {@code random} random ones. */
  private static List<Instant> trickyInstants(int random) {
    java.util.Random rnd = new java.util.Random(42);
    List<Instant> instants = new java.util.ArrayList<>(List.of(
        Instant.EPOCH, Instant.parse("2026-01-15T10:30:00Z"), Instant.parse("2024-02-29T23:59:59.5Z"),
        Instant.parse("2026-11-22T01:02:03.000000001Z"), Instant.parse("2026-11-22T01:02:03.120Z"),
        Instant.parse("2026-11-22T01:02:03.123400Z"), Instant.parse("0001-01-01T00:00:00Z"),
        Instant.parse("9999-12-31T23:59:59.999999999Z"), Instant.parse("+10000-01-01T00:00:00Z"),
        Instant.parse("1969-12-31T23:59:59Z"), Instant.parse("1900-03-01T00:00:00Z")));
    for (int i = 0; i < random; i++) {
      long seconds = rnd.nextLong(-100L * 365 * 86_400, 253_402_300_800L);
      int nanos = switch (i % 4) {
        case 0 -> 0;
        case 1 -> rnd.nextInt(1000) * 1_000_000;
        case 2 -> rnd.nextInt(1_000_000) * 1000;
        default -> rnd.nextInt(1_000_000_000);
      };
      instants.add(Instant.ofEpochSecond(seconds, nanos));
    }
    return instants;
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"2026-01-15T10:30:00Z", "0001-01-01T00:00:00Z", "2024-02-29T23:59:59.5Z",
      "2026-11-22T01:02:03.123456789Z", "2026-11-22T01:02:03.000000001Z", "2026-01-15T10:30:00+02:00", "2026-01-15T10:30:00.12+00:00",
      "2026-01-15T10:30:00.Z", "9999-12-31T23:59:59.999999999Z", "2026-01-15T10:30:00.1234567891Z"})
  void theFastTimestampParserAgreesWithJavaTime(String text) {
    Instant expected;
    try {
      expected = java.time.OffsetDateTime.parse(text, java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      assertThatThrownBy(() -> StateCodec.parseTime(text)).isInstanceOf(java.time.format.DateTimeParseException.class);
      return;
    }
    assertThat(StateCodec.parseTime(text)).isEqualTo(expected);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"2026-02-30T10:30:00Z", "2026-13-01T10:30:00Z", "2026-01-15T24:00:00Z",
      "2026-01-15 10:30:00Z", "2026-01-15T10:30:60Z", "2026-0a-15T10:30:00Z", "x"})
  void theFastTimestampParserRejectsWhatJavaTimeRejects(String text) {
    assertThatThrownBy(() -> java.time.OffsetDateTime.parse(text, java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .isInstanceOf(java.time.format.DateTimeParseException.class);
    assertThatThrownBy(() -> StateCodec.parseTime(text)).isInstanceOf(java.time.format.DateTimeParseException.class);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{1}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "{\"metadata\": {\"version\": \"1.0\", \"version\": \"1.0\"}}|$.metadata.version",
      "{\"metadata\": {\"version\": \"1.0\"}, \"metadata\": {\"version\": \"1.0\"}}|$.metadata",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\"}, \"b\": {\"name\": \"b\"}, \"a\": {\"name\": \"a\"}}}|$.hosts.a",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"b\": {\"name\": \"b\"}, \"a\": {\"name\": \"a\"}, \"b\": {\"name\": \"b\"}}}|$.hosts.b",
      "{\"metadata\": {\"version\": \"1.0\"}, \"resources\": {\"r:1\": {\"type\": \"r\", \"id\": \"1\", \"id\": \"2\"}}}|$.resources['r:1'].id",
      "{\"metadata\": {\"version\": \"1.0\"}, \"resources\": {\"r:1\": {\"type\": \"r\", \"id\": \"1\", \"tags\": {\"k\": \"1\", \"k\": \"2\"}}}}|$.resources['r:1'].tags.k",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"x\": {\"y\": 1, \"y\": 2}}}}}|$.hosts.a.vars.x.y",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"k1\": 1, \"k2\": 1, \"k3\": 1, \"k4\": 1, \"k5\": 1, \"k6\": 1, \"k7\": 1, \"k8\": 1, \"k9\": 1, \"k3\": 2}}}}|$.hosts.a.vars.k3"})
  void duplicateNamesAreDamageAtTheirPath(String json, String path) {
    assertThatThrownBy(() -> StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("duplicate")
        .hasMessageContaining("must not repeat a name")
        .satisfies(e -> assertThat(((CorruptStateException) e).jsonPath()).contains(path));
  }

  @Test
  void entriesInAnyOrderLoadSortedAndSmallAndLargeObjectsKeepTheirOrderInMemory() {
    StringBuilder vars = new StringBuilder();
    for (int i = 20; i >= 1; i--) {
      vars.append(i == 20 ? "" : ", ").append("\"v").append(i).append("\": ").append(i);
    }
    String json = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {"
        + "\"c\": {\"name\": \"c\", \"vars\": {\"z\": 1, \"a\": [1, \"x\", null], \"m\": {\"q\": true, \"b\": null}}},"
        + " \"a\": {\"name\": \"a\", \"vars\": {" + vars + "}},"
        + " \"b\": {\"name\": \"b\"}}}";
    Snapshot s = StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", "");
    assertThat(s.hosts().keySet()).containsExactly("a", "b", "c");
    HostState c = s.hosts().get("c");
    assertThat(c.vars().keySet()).containsExactly("z", "a", "m");
    assertThat(c.vars().get("a")).isEqualTo(java.util.Arrays.asList(1, "x", null));
    assertThat(c.vars().get("m")).isEqualTo(java.util.Collections.unmodifiableMap(new java.util.HashMap<>(java.util.Map.of("q", true)) {{ put("b", null); }}));
    assertThat(c.vars().containsKey("nope")).isFalse();
    assertThat(s.hosts().get("a").vars()).hasSize(20).containsEntry("v7", 7);
    assertThat(s.hosts().get("a").vars().keySet()).startsWith("v20", "v19");
    // written sorted, and what is written reads back equal
    String out = new String(StateCodec.encode(s), StandardCharsets.UTF_8);
    assertThat(out.indexOf("\"v1\"")).isLessThan(out.indexOf("\"v10\"")).isLessThan(out.indexOf("\"v2\""));
    assertThat(out.indexOf("\"a\": [")).isLessThan(out.indexOf("\"m\": {")).isLessThan(out.indexOf("\"z\": 1"));
    assertThat(out.indexOf("\"b\": null")).isLessThan(out.indexOf("\"q\": true"));
    Snapshot again = StateCodec.decode(out.getBytes(StandardCharsets.UTF_8), "s", "");
    assertThat(again).isEqualTo(s);
    assertThat(StateCodec.encode(again)).isEqualTo(out.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A state.json of {@code hosts} hosts whose vars nest objects and arrays (some longer than the
   * decoder's first buffers); {@code lastPort} is the JSON text of the last host's port, {@code
   * lastVars} members put first in its vars.
   */
  private static String document(int hosts, String lastPort, String lastVars) {
    StringBuilder sb = new StringBuilder("{\n  \"metadata\": {\"version\": \"1.0\", \"serial\": 3},\n  \"hosts\": {\n");
    for (int i = 0; i < hosts; i++) {
      String name = String.format("host-%05d", i);
      sb.append("    \"").append(name).append("\": {\"name\": \"").append(name).append("\", \"port\": ")
          .append(i == hosts - 1 ? lastPort : "22").append(", \"user\": \"deploy\", \"created_at\": \"2026-01-15T10:30:")
          .append(String.format("%02d", i % 60)).append("Z\", \"updated_at\": \"2026-01-15T10:30:")
          .append(String.format("%02d", i % 60)).append("Z\", \"vars\": {").append(i == hosts - 1 ? lastVars : "").append("\"n\": ").append(i)
          .append(", \"roles\": [\"web\", {\"tier\": [1, [2, [3, \"x").append(i % 7).append("\"]], {\"deep\": true}]}]")
          .append(", \"many\": {");
      for (int k = 0; k < 20; k++) {
        sb.append(k == 0 ? "" : ", ").append("\"k").append(k).append("\": [").append(k).append(", ").append(k + 1).append("]");
      }
      sb.append("}, \"eight\": {");
      for (int k = 0; k < 8; k++) {
        sb.append(k == 0 ? "" : ", ").append("\"e").append(k).append("\": ").append(i);
      }
      sb.append("}, \"long\": [");
      for (int k = 0; k < 40; k++) {
        sb.append(k == 0 ? "" : ", ").append(k % 3 == 0 ? "{\"i\": " + k + "}" : String.valueOf(k));
      }
      sb.append("]}}").append(i == hosts - 1 ? "\n" : ",\n");
    }
    return sb.append("  }\n}\n").toString();
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0} hosts")
  @org.junit.jupiter.params.provider.ValueSource(ints = {3, 2_000})
  void smallAndLargeDocumentsDecodeAlikeAndReportDamageAtTheSamePlace(int hosts) {
    // 2,000 such hosts are over 1 MiB: the reader's buffers for strings and the decoder's per-depth ones grow
    String json = document(hosts, "22", "");
    assertThat(json.length() > (1 << 20)).isEqualTo(hosts == 2_000);
    Snapshot s = StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", "");
    assertThat(s.hosts()).hasSize(hosts);
    HostState last = s.hosts().get(String.format("host-%05d", hosts - 1));
    assertThat(last.vars().get("roles")).isEqualTo(List.of("web", Map.of("tier", List.of(1, List.of(2, List.of(3, "x" + (hosts - 1) % 7)), Map.of("deep", true)))));
    @SuppressWarnings("unchecked")
    Map<String, Object> many = (Map<String, Object>) last.vars().get("many");
    assertThat(many).hasSize(20).containsEntry("k19", List.of(19, 20));
    @SuppressWarnings("unchecked")
    List<Object> longList = (List<Object>) last.vars().get("long");
    assertThat(longList).hasSize(40).startsWith(Map.of("i", 0), 1, 2, Map.of("i", 3)).endsWith(Map.of("i", 39));
    assertThat(last.createdAt()).isEqualTo(Instant.parse("2026-01-15T10:30:" + String.format("%02d", (hosts - 1) % 60) + "Z"));
    // repeated values and member names are held once, in a small document and a large one
    HostState first = s.hosts().get("host-00000");
    assertThat(last.user()).isSameAs(first.user());
    assertThat(((List<?>) last.vars().get("roles")).get(0)).isSameAs(((List<?>) first.vars().get("roles")).get(0));
    List<String> firstKeys = List.copyOf(first.vars().keySet());
    List<String> lastKeys = List.copyOf(last.vars().keySet());
    assertThat(lastKeys).hasSameSizeAs(firstKeys);
    for (int k = 0; k < firstKeys.size(); k++) {
      assertThat(lastKeys.get(k)).isSameAs(firstKeys.get(k));
    }
    assertThat(last.createdAt()).isSameAs(last.updatedAt());
    for (HostState h : List.of(first, last)) {
      @SuppressWarnings("unchecked")
      Map<String, Object> eight = (Map<String, Object>) h.vars().get("eight");
      assertThat(eight).hasSize(8).containsEntry("e0", h.vars().get("n")).containsEntry("e7", h.vars().get("n"));
    }
    assertThat(StateCodec.decode(StateCodec.encode(s), "s", "")).isEqualTo(s);

    String lastName = String.format("host-%05d", hosts - 1);
    int lastLine = hosts + 3;
    assertThatThrownBy(() -> StateCodec.decode(document(hosts, "\"22\"", "").getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts." + lastName + ".port (line " + lastLine + ",")
        .hasMessageContaining("expected a whole number, found a string");
    byte[] truncated = json.substring(0, json.length() - 40).getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> StateCodec.decode(truncated, "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("the JSON is truncated")
        .satisfies(e -> assertThat(((CorruptStateException) e).jsonPath()).hasValueSatisfying(p -> assertThat(p).startsWith("$.hosts." + lastName + ".vars.long")));
    // JSON's encodings other than plain UTF-8 load alike; bytes that are not UTF-8 are damage
    byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
    byte[] withMark = new byte[utf8.length + 3];
    withMark[0] = (byte) 0xEF;
    withMark[1] = (byte) 0xBB;
    withMark[2] = (byte) 0xBF;
    System.arraycopy(utf8, 0, withMark, 3, utf8.length);
    assertThat(StateCodec.decode(withMark, "s", "")).isEqualTo(s);
    assertThat(StateCodec.decode(json.getBytes(StandardCharsets.UTF_16), "s", "")).isEqualTo(s);
    byte[] notUtf8 = json.replace("\"n\": " + (hosts - 1), "\"n\": \"\u00e9\"").getBytes(StandardCharsets.UTF_8);
    int bad = new String(notUtf8, StandardCharsets.ISO_8859_1).indexOf("\"n\": \"") + 6;
    notUtf8[bad] = (byte) 0xFF;
    assertThatThrownBy(() -> StateCodec.decode(notUtf8, "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("not valid UTF-8 (byte 0xff cannot start a character)")
        .hasMessageContaining("line " + lastLine + ",")
        .satisfies(e -> assertThat(((CorruptStateException) e).jsonPath()).hasValue("$.hosts." + lastName + ".vars.n"));
    String tooDeep = "[".repeat(StateCodec.MAX_DEPTH) + "1" + "]".repeat(StateCodec.MAX_DEPTH);
    assertThatThrownBy(() -> StateCodec.decode(document(hosts, "22", "\"deep\": " + tooDeep + ", ").getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts." + lastName + ".vars.deep")
        .hasMessageContaining("nesting depth");
  }

  @Test
  void twoFrequentValuesThatShareAPoolSlotAreBothShared() {
    // two values whose first slots in the decoder's string pool are the same (its slot is the
    // spread String hash's low 10 bits, the second slot the next 10), found by search
    String[] pair = null;
    java.util.Map<Integer, String> byFirstSlot = new java.util.HashMap<>();
    for (char a = 'a'; pair == null && a <= 'z'; a++) {
      for (char b = 'a'; pair == null && b <= 'z'; b++) {
        for (char c = 'a'; pair == null && c <= 'z'; c++) {
          String v = "" + a + b + c;
          int h = v.hashCode() ^ (v.hashCode() >>> 16);
          String other = byFirstSlot.putIfAbsent(h & 1023, v);
          if (other != null) {
            int g = other.hashCode() ^ (other.hashCode() >>> 16);
            if (((g >>> 10) & 1023) != ((h >>> 10) & 1023) && ((g >>> 10) & 1023) != (h & 1023)) {
              pair = new String[] {other, v};
            }
          }
        }
      }
    }
    assertThat(pair).isNotNull();
    StringBuilder json = new StringBuilder("{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {");
    for (int i = 0; i < 6; i++) {
      json.append(i == 0 ? "" : ", ").append("\"h").append(i).append("\": {\"name\": \"h").append(i)
          .append("\", \"user\": \"").append(pair[i % 2]).append("\"}");
    }
    Snapshot s = StateCodec.decode(json.append("}}").toString().getBytes(StandardCharsets.UTF_8), "s", "");
    for (int i = 2; i < 6; i++) {
      assertThat(s.hosts().get("h" + i).user()).isEqualTo(pair[i % 2]).isSameAs(s.hosts().get("h" + (i - 2)).user());
    }
  }

  @Test
  void timestampsWithEscapesOrOffsetsReadAsTheirInstantsAndEqualOnesAreShared() {
    String json = "{\"metadata\": {\"version\": \"1.0\", \"created_at\": \"2026-01-15T10:30:00\\u005a\", \"updated_at\": \"2026-01-15T10:30:00Z\"},"
        + " \"hosts\": {\"a\": {\"name\": \"a\", \"created_at\": \"2026-01-15T12:30:00+02:00\", \"updated_at\": \"2026-01-15T10:30:00.000Z\"},"
        + " \"b\": {\"name\": \"b\", \"created_at\": \"2026-01-15T10:30:00Z\", \"updated_at\": \"2026-01-15T10:30:00Z\"}}}";
    Snapshot s = StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", "");
    Instant t = Instant.parse("2026-01-15T10:30:00Z");
    assertThat(List.of(s.metadata().createdAt(), s.metadata().updatedAt(), s.hosts().get("a").createdAt(), s.hosts().get("a").updatedAt(),
        s.hosts().get("b").createdAt(), s.hosts().get("b").updatedAt())).containsOnly(t);
    assertThat(s.hosts().get("b").updatedAt()).isSameAs(s.hosts().get("b").createdAt());
    // the layout written here, but no such day: refused, not read by the fast path as 2 March
    String bad = json.replace("\"2026-01-15T12:30:00+02:00\"", "\"2026-02-30T10:30:00Z\"");
    assertThatThrownBy(() -> StateCodec.decode(bad.getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts.a.created_at (line 1, column ")
        .hasMessageContaining("'2026-02-30T10:30:00Z' is not an RFC 3339 timestamp");
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "\"serial\": -1|$.metadata.serial|serial -1 is negative",
      "\"serial\": 9223372036854775808|$.metadata.serial|serial 9223372036854775808 is larger than 9223372036854775807",
      "\"serial\": 1.5|$.metadata.serial|expected a whole number, found a number",
      "\"port\": 99999999999999999999|$.hosts.a.port|port 99999999999999999999 is outside 0..65535",
      "\"port\": 1e3|$.hosts.a.port|expected a whole number, found a number"})
  void numbersOutOfTheirRangeAreDamageAtTheirPath(String member, String path, String message) {
    String json = member.startsWith("\"serial")
        ? "{\"metadata\": {\"version\": \"1.0\", " + member + "}}"
        : "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", " + member + "}}}";
    assertThatThrownBy(() -> StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at " + path + " (line 1, column ")
        .hasMessageContaining(message);
  }

  @Test
  void valuesWithHalfASurrogatePairRoundTripAndKeysWithOneAreRefusedBeforeTheyAreWritten() {
    // the API takes any Java string as a value; the writer escapes a lone surrogate, and the reader reads it back
    HostState h = HostState.builder("a").vars(Map.of("k", "x\udc00y", "lone", "\ud800", "pair", "\ud83d\ude00")).build();
    Snapshot s = Snapshot.of(new Metadata("1.0", 1, "", Instant.EPOCH, Instant.EPOCH), Map.of("a", h), Map.of());
    byte[] bytes = StateCodec.encode(s);
    assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"k\": \"x\\uDC00y\"");
    Snapshot back = StateCodec.decode(bytes, "s", "");
    assertThat(back).isEqualTo(s);
    assertThat(back.hosts().get("a").vars()).containsEntry("k", "x\udc00y").containsEntry("lone", "\ud800").containsEntry("pair", "\ud83d\ude00");
    assertThat(StateCodec.encode(back)).isEqualTo(bytes);
    // a JSON parser refuses half a pair in a name, so such a key is refused where it is made, not written
    assertThatThrownBy(() -> HostState.builder("a").vars(Map.of("k\ud800", 1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vars: key 'k\\uD800' holds half a surrogate pair");
    assertThatThrownBy(() -> ResourceState.builder("t", "1").tags(Map.of("x", "1", "\udc00", "2")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tags: key '\\uDC00' holds half a surrogate pair");
    java.util.List<io.infrastate.model.Violation> violations = new java.util.ArrayList<>();
    io.infrastate.internal.StructuralRules.checkHost("h\ud800", HostState.builder("h\ud800").build(), violations);
    assertThat(violations).singleElement().satisfies(v -> assertThat(v.message()).contains("half a surrogate pair"));
    // and a file holding one (an earlier version wrote them) is damage at its path, not a crash
    String json = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"k\\ud800\": 1}}}}";
    assertThatThrownBy(() -> StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts.a.vars (line 1, column ")
        .hasMessageContaining("surrogate");
  }
}
