package io.infrastate.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LockNamesTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "''|must not be empty",
    "..|must not contain '..'",
    "a..b|must not contain '..'",
    "../etc|path separators",
    "a/b|path separators",
    "a\\b|path separators",
  })
  void eachRuleIsNamedInTheError(String name, String rule) {
    assertThatThrownBy(() -> LockNames.validate(name)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(rule);
    assertThat(LockNames.isValid(name)).isFalse();
  }

  @Test
  void nulControlCharactersAndLengthAreRefused() {
    assertThatThrownBy(() -> LockNames.validate("a\u0000b")).hasMessageContaining("NUL");
    assertThatThrownBy(() -> LockNames.validate("a\tb")).hasMessageContaining("control characters").hasMessageContaining("U+0009");
    assertThatThrownBy(() -> LockNames.validate("a\u007fb")).hasMessageContaining("control characters");
    assertThatThrownBy(() -> LockNames.validate("a\u0085b")).hasMessageContaining("control characters");
    assertThatThrownBy(() -> LockNames.validate("x".repeat(201))).hasMessageContaining("201 characters").hasMessageContaining("limit is 200");
    assertThat(LockNames.validate("x".repeat(200))).hasSize(200);
    assertThatThrownBy(() -> LockNames.validate(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void ordinaryNamesPass() {
    for (String n : new String[] {"state", "deploy", "my-app", "linode:42", "web01.example.com", ".hidden", "ünïcode", "a b"}) {
      assertThat(LockNames.validate(n)).isEqualTo(n);
    }
  }

  @Test
  void resourceNamesAreValidStableAndDistinct() {
    assertThat(LockNames.forResource("linode:42")).isEqualTo("resource-linode:42");
    assertThat(LockNames.forResource("arn:aws:ec2/i-1")).isEqualTo("resource-arn:aws:ec2%2Fi-1");
    assertThat(LockNames.forResource("a..b")).isEqualTo("resource-a%2E.b");
    assertThat(LockNames.forResource("100%")).isEqualTo("resource-100%25");
    assertThat(LockNames.forResource("a\\b\nc")).isEqualTo("resource-a%5Cb%0Ac");
    String longKey = "k".repeat(500);
    String name = LockNames.forResource(longKey);
    assertThat(name).hasSizeLessThanOrEqualTo(LockNames.MAX_LENGTH);
    assertThat(LockNames.forResource(longKey + "x")).isNotEqualTo(name);
    assertThat(LockNames.forResource(longKey)).isEqualTo(name);
  }

  @Property(tries = 500)
  void everyResourceKeyMapsToAValidName(@ForAll @StringLength(min = 1, max = 400) String key) {
    assertThat(LockNames.isValid(LockNames.forResource(key))).isTrue();
  }

  @Property(tries = 300)
  void distinctShortKeysMapToDistinctNames(@ForAll @StringLength(min = 1, max = 30) String a, @ForAll @StringLength(min = 1, max = 30) String b) {
    if (!a.equals(b)) {
      assertThat(LockNames.forResource(a)).isNotEqualTo(LockNames.forResource(b));
    }
  }

  @Test
  void requestsCheckTheirValues() {
    assertThatThrownBy(() -> LockRequest.builder().lease(Duration.ZERO).build()).hasMessageContaining("lease must be positive");
    assertThatThrownBy(() -> LockRequest.builder().lease(Duration.ofSeconds(10)).renewEvery(Duration.ofSeconds(10)).build())
        .hasMessageContaining("must be shorter than the lease");
    assertThatThrownBy(() -> LockRequest.builder().operation("a\nb").build()).hasMessageContaining("control characters");
    LockRequest r = LockRequest.builder().lease(Duration.ofMinutes(9)).autoRenew(true).build();
    assertThat(r.renewEvery()).isEqualTo(Duration.ofMinutes(3));
    assertThat(r.autoRenews()).isTrue();
    assertThat(LockRequest.of("deploy").lease()).isEqualTo(Duration.ofMinutes(30));
    assertThat(LockRequest.of("deploy").autoRenews()).isFalse();
    assertThat(r.toBuilder().autoRenew(false).build().autoRenews()).isFalse();
    Set<LockRequest> set = new HashSet<>(Set.of(LockRequest.of("a")));
    assertThat(set).contains(LockRequest.of("a"));
  }
}
