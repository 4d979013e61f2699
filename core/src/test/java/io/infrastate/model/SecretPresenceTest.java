package io.infrastate.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.codec.StateCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Secret#isIn}: frozen values note when they are built whether they hold a secret, so the
 * answer must match a walk of the value at any depth, however the value was made.
 */
class SecretPresenceTest {
  private static final String STORED = Secret.PREFIX + "k1:AAAA";

  @Test
  void aSecretAtAnyDepthOfABuiltValueIsFound() {
    Map<String, Object> deep = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) { // more entries than a small map holds
      deep.put("k" + i, i);
    }
    deep.put("list", List.of(1, Map.of("inner", List.of("x", Secret.of("s3cr3t")))));
    HostState h = HostState.builder("db1").var("plain", Map.of("a", List.of(1, 2))).var("nested", deep).build();

    assertThat(Secret.isIn(h.vars())).isTrue();
    assertThat(Secret.isIn(h.vars().get("nested"))).isTrue();
    assertThat(Secret.isIn(h.vars().get("plain"))).isFalse();
    assertThat(Secret.isIn(HostState.builder("web1").var("a", Map.of("b", List.of("c"))).build().vars())).isFalse();
  }

  @Test
  void aStoredSecretAtAnyDepthOfADecodedStateIsFound() {
    String json = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {"
        + "\"a\": {\"name\": \"a\", \"vars\": {\"x\": [1, {\"y\": [\"" + STORED + "\"]}]}},"
        + "\"b\": {\"name\": \"b\", \"vars\": {\"x\": [1, {\"y\": [\"plain\"]}]}}}}";
    Snapshot s = StateCodec.decode(json.getBytes(StandardCharsets.UTF_8), "test", "");

    assertThat(Secret.isIn(s.hosts().get("a").vars())).isTrue();
    assertThat(Secret.isIn(s.hosts().get("b").vars())).isFalse();
  }

  @Test
  void containersThatAreNotFrozenAreWalked() {
    List<Object> list = new ArrayList<>(List.of("x", new LinkedHashMap<>(Map.of("y", Secret.of("s")))));
    assertThat(Secret.isIn(list)).isTrue();
    assertThat(Secret.isIn(new LinkedHashMap<>(Map.of("y", List.of("s"))))).isFalse();
    assertThat(Secret.isIn(Secret.fromStored(STORED))).isTrue();
    assertThat(Secret.isIn(STORED)).isFalse();
    assertThat(Secret.isIn(null)).isFalse();
  }

  @Test
  void aValueRebuiltWithoutItsSecretNoLongerHoldsOne() {
    HostState h = HostState.builder("db1").var("pw", Secret.of("s")).var("port", 5432).build();
    Map<String, Object> vars = new LinkedHashMap<>(h.vars());
    vars.remove("pw");
    assertThat(Secret.isIn(h.withVars(vars).vars())).isFalse();
    assertThat(Secret.isIn(h.vars())).isTrue();
  }
}
