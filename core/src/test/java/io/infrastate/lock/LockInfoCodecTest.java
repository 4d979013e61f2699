package io.infrastate.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.CorruptStateException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LockInfoCodecTest {
  static final LockInfo INFO = new LockInfo("lock_1", "deploy", "alice@build-7", "deploy api", "ticket \"OPS-42\"",
      Instant.parse("2026-01-28T10:30:00Z"), Instant.parse("2026-01-28T11:00:00.123456789Z"), 12345, "deploy-server.example.com");

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void encodesTheSeedFieldsInAFixedReadableOrder() {
    assertThat(new String(LockInfoCodec.encode(INFO), StandardCharsets.UTF_8)).isEqualTo("{\n"
        + "  \"id\": \"lock_1\",\n"
        + "  \"name\": \"deploy\",\n"
        + "  \"operator\": \"alice@build-7\",\n"
        + "  \"timestamp\": \"2026-01-28T10:30:00Z\",\n"
        + "  \"operation\": \"deploy api\",\n"
        + "  \"reason\": \"ticket \\\"OPS-42\\\"\",\n"
        + "  \"created_at\": \"2026-01-28T10:30:00Z\",\n"
        + "  \"expires_at\": \"2026-01-28T11:00:00.123456789Z\",\n"
        + "  \"pid\": 12345,\n"
        + "  \"hostname\": \"deploy-server.example.com\",\n"
        + "  \"token\": 0,\n"
        + "  \"released\": false\n"
        + "}\n");
  }

  @Test
  void theTokenAndTheReleasedMarkRoundTripAndADocumentWithoutThemIsAHeldLockWithToken0() {
    LockInfo released = INFO.withToken(42).releasedAt(Instant.parse("2026-01-28T10:45:00Z"));
    assertThat(released.expiresAt()).isEqualTo(Instant.parse("2026-01-28T10:45:00Z"));
    String json = new String(LockInfoCodec.encode(released), StandardCharsets.UTF_8);
    assertThat(json).contains("\"token\": 42,\n", "\"released\": true\n");
    assertThat(LockInfoCodec.decode(utf8(json), "x")).isEqualTo(released);
    LockInfo old = LockInfoCodec.decode(utf8("{\"id\": \"l\", \"name\": \"deploy\", \"created_at\": \"2026-01-28T10:30:00Z\","
        + " \"expires_at\": \"2026-01-28T11:00:00Z\"}"), "x");
    assertThat(old.token()).isZero();
    assertThat(old.released()).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"token\": -1|$.token",
      "\"token\": \"7\"|$.token",
      "\"token\": 99999999999999999999|$.token",
      "\"released\": \"yes\"|$.released"})
  void aBadTokenOrReleasedMarkIsDamageAtItsPath(String field, String path) {
    String doc = "{\"id\": \"l\", \"name\": \"deploy\", \"created_at\": \"2026-01-28T10:30:00Z\","
        + " \"expires_at\": \"2026-01-28T11:00:00Z\", " + field + "}";
    assertThatThrownBy(() -> LockInfoCodec.decode(utf8(doc), "lockfile"))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining(path);
  }

  @Test
  void decodesWhatItEncodesAndToleratesNewFieldsAndOffsets() {
    assertThat(LockInfoCodec.decode(LockInfoCodec.encode(INFO), "x")).isEqualTo(INFO);
    LockInfo minimal = LockInfoCodec.decode(utf8("{\"id\":\"lock_2\",\"name\":\"n\",\"timestamp\":\"2026-01-28T12:30:00+02:00\","
        + "\"expires_at\":\"2026-01-28T11:00:00Z\",\"future_field\":{\"nested\":[1,2]}}"), "x");
    assertThat(minimal.createdAt()).isEqualTo(Instant.parse("2026-01-28T10:30:00Z"));
    assertThat(minimal.operator()).isEmpty();
    assertThat(minimal.pid()).isZero();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "''|$|empty",
    "[]|$|expected a JSON object",
    "{\"id\":\"x\"|$|not valid JSON",
    "{\"name\":\"n\",\"created_at\":\"2026-01-01T00:00:00Z\",\"expires_at\":\"2026-01-01T00:00:00Z\"}|$.id|id is missing",
    "{\"id\":\"x\",\"created_at\":\"2026-01-01T00:00:00Z\",\"expires_at\":\"2026-01-01T00:00:00Z\"}|$.name|name is missing",
    "{\"id\":\"x\",\"name\":\"n\",\"created_at\":\"2026-01-01T00:00:00Z\"}|$.expires_at|expiry time is missing",
    "{\"id\":\"x\",\"name\":\"n\",\"expires_at\":\"2026-01-01T00:00:00Z\"}|$.created_at|creation time is missing",
    "{\"id\":\"x\",\"name\":\"n\",\"created_at\":\"yesterday\",\"expires_at\":\"2026-01-01T00:00:00Z\"}|$.created_at|not an RFC 3339 time",
    "{\"id\":\"x\",\"name\":\"n\",\"pid\":\"12\",\"created_at\":\"2026-01-01T00:00:00Z\",\"expires_at\":\"2026-01-01T00:00:00Z\"}|$.pid|expected an integer",
    "{\"id\":7}|$.id|expected a string",
    "{\"id\":\"x\",\"id\":\"y\"}|$.id|not valid JSON",
    "{\"id\":\"x\",\"name\":\"n\",\"created_at\":\"2026-01-02T00:00:00Z\",\"expires_at\":\"2026-01-01T00:00:00Z\"}|$.expires_at|before it was created",
  })
  void damageNamesTheSourceThePathAndWhatToDo(String json, String path, String what) {
    assertThatThrownBy(() -> LockInfoCodec.decode(utf8(json), "/locks/deploy.lock"))
        .isInstanceOfSatisfying(CorruptStateException.class, e -> {
          assertThat(e.location()).isEqualTo("/locks/deploy.lock");
          assertThat(e.jsonPath()).contains(path);
          assertThat(e.getMessage()).contains("/locks/deploy.lock", what, "delete it by hand");
        });
  }

  @Test
  void oversizedDocumentsAreRefused() {
    byte[] big = new byte[LockInfoCodec.MAX_SIZE + 1];
    assertThatThrownBy(() -> LockInfoCodec.decode(big, "x")).isInstanceOf(CorruptStateException.class).hasMessageContaining("more than");
  }

  @Provide
  Arbitrary<LockInfo> infos() {
    Arbitrary<String> text = Arbitraries.strings().ofMaxLength(40);
    Arbitrary<Instant> created = Arbitraries.longs().between(0, 4_000_000_000L).flatMap(s ->
        Arbitraries.integers().between(0, 999_999_999).map(n -> Instant.ofEpochSecond(s, n)));
    Arbitrary<Long> leaseNanos = Arbitraries.longs().between(0, 10_000_000_000_000L);
    return Combinators.combine(text.filter(s -> !s.isEmpty()), text.filter(s -> !s.isEmpty()), text, text, text, created, leaseNanos, Arbitraries.longs().between(0, Long.MAX_VALUE))
        .as((id, name, op, operation, reason, c, lease, pid) ->
            new LockInfo(id, name, op, operation, reason, c, c.plusNanos(lease), pid, name + "-host"));
  }

  @Property(tries = 300)
  void everyLockSurvivesARoundTrip(@ForAll("infos") LockInfo info) {
    byte[] bytes = LockInfoCodec.encode(info);
    assertThat(LockInfoCodec.decode(bytes, "x")).isEqualTo(info);
    assertThat(LockInfoCodec.encode(LockInfoCodec.decode(bytes, "x"))).isEqualTo(bytes);
  }
}
