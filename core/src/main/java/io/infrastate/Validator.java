package io.infrastate;

import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * A user rule that can veto a write. Registered with {@link StateOptions.Builder#validator(Validator)},
 * every validator sees the complete proposed version before it is persisted; if any returns a
 * violation, the write fails with {@link InvalidStateException} listing all of them, and nothing is
 * persisted.
 *
 * <p>Validators run inside the write path, possibly several times for one write (once per attempt
 * when other writers conflict). They must be fast, side-effect free and thread-safe, and must not
 * call back into the {@link State}.
 *
 * <pre>{@code
 * Validator slots = Validator.forResources("deployment", (key, r) ->
 *     List.of("blue", "green").contains(r.data().get("active_slot"))
 *         ? List.of() : List.of("active_slot must be blue or green"));
 * }</pre>
 */
@FunctionalInterface
public interface Validator {
  /**
   * Checks a proposed version.
   *
   * @param proposed the complete new version
   * @return the violations, empty if the version is acceptable
   */
  List<Violation> validate(Snapshot proposed);

  /**
   * A validator that checks every resource of one type.
   *
   * @param type the resource type
   * @param rule returns messages for what is wrong with a resource (key, resource), empty if fine
   * @return a validator reporting each message at {@code $.resources.<key>}
   */
  static Validator forResources(String type, BiFunction<String, ResourceState, List<String>> rule) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(rule, "rule");
    return proposed -> {
      List<Violation> out = new ArrayList<>();
      proposed.resources().forEach((key, r) -> {
        if (r.type().equals(type)) {
          for (String message : rule.apply(key, r)) {
            out.add(new Violation(io.infrastate.model.JsonPaths.member("$.resources", key), message));
          }
        }
      });
      return out;
    };
  }

  /**
   * A validator that checks every host.
   *
   * @param rule returns messages for what is wrong with a host, empty if fine
   * @return a validator reporting each message at {@code $.hosts.<name>}
   */
  static Validator forHosts(java.util.function.Function<HostState, List<String>> rule) {
    Objects.requireNonNull(rule, "rule");
    return proposed -> {
      List<Violation> out = new ArrayList<>();
      for (HostState h : proposed.hosts().values()) {
        for (String message : rule.apply(h)) {
          out.add(new Violation(io.infrastate.model.JsonPaths.member("$.hosts", h.name()), message));
        }
      }
      return out;
    };
  }
}
