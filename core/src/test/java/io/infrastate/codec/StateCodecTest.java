package io.infrastate.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.infrastate.CorruptStateException;
import io.infrastate.HostState;
import io.infrastate.Metadata;
import io.infrastate.ResourceState;
import io.infrastate.Snapshot;
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
  void keysWithSpecialCharactersAreQuotedInPaths() {
    String json = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"web 01\": {\"name\": \"web01\"}}}";
    assertThatThrownBy(() -> StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "s", ""))
        .isInstanceOf(CorruptStateException.class)
        .satisfies(e -> assertThat(((CorruptStateException) e).jsonPath()).contains("$.hosts['web 01'].name"));
  }
}
