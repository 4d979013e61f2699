package io.infrastate.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.UnknownBackendException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one reading of a state URI's query that every backend provider uses. */
class UriParametersTest {
  private static Map<String, String> parse(String uri) {
    URI u = URI.create(uri);
    return UriParameters.parse(u.getRawQuery(), BackendRegistry.redact(u));
  }

  @Test
  void readsParametersInOrderPercentDecodedWithPlusKept() {
    assertThat(parse("s3://b/k?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&&kmsKeyId=a+b%20c"))
        .containsExactly(Map.entry("region", "eu-west-1"), Map.entry("endpoint", "http://127.0.0.1:9000"),
            Map.entry("kmsKeyId", "a+b c"));
    assertThat(parse("file:///srv/state.json")).isEmpty();
    assertThat(parse("file:///srv/state.json?history=")).containsExactly(Map.entry("history", ""));
  }

  @Test
  void aRepeatedOrMalformedParameterIsRefusedNamingItAndTheUriWithoutItsQuery() {
    assertThatThrownBy(() -> parse("s3://b/k?region=a&region=b&secret=x"))
        .isInstanceOf(UnknownBackendException.class)
        .hasMessage("Parameter 'region' is given twice in state URI s3://b/k; give it once.");
    assertThatThrownBy(() -> parse("postgresql://h/db?sslmode"))
        .isInstanceOf(UnknownBackendException.class)
        .hasMessage("State URI postgresql://h/db has a malformed parameter 'sslmode' (no '='); use NAME=VALUE.");
    assertThatThrownBy(() -> parse("postgresql://h/db?=secret")).isInstanceOf(UnknownBackendException.class)
        .hasMessage("State URI postgresql://h/db has a malformed parameter (no name); use NAME=VALUE.");
  }
}
