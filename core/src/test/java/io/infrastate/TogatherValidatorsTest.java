package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.memory.InMemoryBackend;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Violation;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Togather's deployment-state schema rules (seed 002) expressed as user validators: version is a
 * 7-hex Git SHA, health_status is one of four values, active_slot is blue or green, and a lock
 * expires at most 30 minutes after it was taken. A write that breaks them is vetoed with every
 * reason listed, and nothing is persisted.
 */
class TogatherValidatorsTest {
  static final Pattern SHA7 = Pattern.compile("[a-f0-9]{7}");
  static final Set<String> HEALTH = Set.of("healthy", "degraded", "unhealthy", "unknown");
  static final Set<String> SLOTS = Set.of("blue", "green");

  static final Validator DEPLOYMENTS = Validator.forResources("deployment", (key, r) -> {
    List<String> errors = new ArrayList<>();
    Object version = r.data().get("version");
    if (!(version instanceof String v) || !SHA7.matcher(v).matches()) {
      errors.add("version must match Git SHA format [a-f0-9]{7}, got " + version);
    }
    Object health = r.data().get("health_status");
    if (!HEALTH.contains(health)) {
      errors.add("health_status must be one of degraded, healthy, unhealthy, unknown, got " + health);
    }
    Object slot = r.data().get("active_slot");
    if (!SLOTS.contains(slot)) {
      errors.add("active_slot must be blue or green, got " + slot);
    }
    if (r.data().get("lock") instanceof Map<?, ?> lock && Boolean.TRUE.equals(lock.get("locked"))) {
      try {
        Instant at = Instant.parse(String.valueOf(lock.get("locked_at")));
        Instant until = Instant.parse(String.valueOf(lock.get("lock_expires_at")));
        if (until.isAfter(at.plus(Duration.ofMinutes(30)))) {
          errors.add("lock.lock_expires_at must be at most 30 minutes after locked_at");
        }
      } catch (DateTimeParseException e) {
        errors.add("lock.locked_at and lock.lock_expires_at must be ISO 8601 timestamps");
      }
    }
    return errors;
  });

  static ResourceState deployment(String version, String health, String slot) {
    return ResourceState.builder("deployment", "production")
        .data("version", version).data("health_status", health).data("active_slot", slot)
        .data("deployed_by", "operator@example.com")
        .build();
  }

  @Test
  void aValidDeploymentIsWrittenAndABadOneIsVetoedWithEveryReasonAndNothingPersisted() {
    InMemoryBackend backend = InMemoryBackend.create();
    try (State state = State.load(backend, StateOptions.builder().validator(DEPLOYMENTS).build())) {
      state.addResource("deployment:production", deployment("abc1234", "healthy", "blue"));
      byte[] before = backend.readRaw().orElseThrow();
      long serial = state.metadata().serial();

      ResourceState bad = deployment("ABC12345", "sick", "purple")
          .withData("lock", Map.of("locked", true, "locked_at", "2026-01-28T10:30:00Z", "lock_expires_at", "2026-01-28T12:00:00Z"));
      assertThatThrownBy(() -> state.addResource("deployment:production", bad))
          .isInstanceOfSatisfying(InvalidStateException.class, e -> {
            assertThat(e.violations()).extracting(Violation::path).containsOnly("$.resources['deployment:production']");
            assertThat(e.violations()).extracting(Violation::message).containsExactly(
                "version must match Git SHA format [a-f0-9]{7}, got ABC12345",
                "health_status must be one of degraded, healthy, unhealthy, unknown, got sick",
                "active_slot must be blue or green, got purple",
                "lock.lock_expires_at must be at most 30 minutes after locked_at");
            assertThat(e.getMessage()).contains("4 violations", "nothing was written", "got sick", "got purple");
          });

      assertThat(backend.readRaw().orElseThrow()).isEqualTo(before);
      assertThat(state.metadata().serial()).isEqualTo(serial);
      assertThat(state.getResource("deployment:production").orElseThrow().data()).containsEntry("active_slot", "blue");

      state.update(tx -> tx.addResource("deployment:production", deployment("def5678", "degraded", "green")));
      assertThat(state.getResource("deployment:production").orElseThrow().data()).containsEntry("version", "def5678");
    }
  }

  @Test
  void otherResourceTypesAreNotChecked() {
    try (State state = State.load(InMemoryBackend.create(), StateOptions.builder().validator(DEPLOYMENTS).build())) {
      state.addResource("dns:a", ResourceState.builder("dns", "a").data("version", "not a sha").build());
      assertThat(state.getResource("dns:a")).isPresent();
    }
  }
}
