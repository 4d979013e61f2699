package io.infrastate.examples.cli;

import io.infrastate.model.ResourceState;
import io.infrastate.inventory.GroupNamePolicy;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The state's policy for group names that Ansible rejects ({@code cache-tier}, {@code db.prod},
 * {@code 1st}): refused when written (the default), or transformed to what Ansible would make of
 * them ({@code cache_tier}). Chosen once per state with {@code state settings --group-names} and
 * stored in the state itself, as the resource {@value #KEY}, so every writer and every machine
 * applies the same policy and the choice is versioned and audited like any other change.
 * Stateless and thread-safe.
 */
final class GroupNames {
  /*
   * Design notes: one policy for every writer.
   *
   * The policy lives in the state, not in a flag of each command, so that two operators cannot
   * store the same group under two spellings. Writers read it inside their update function, from
   * the transaction: when another process changes the policy between the read and the write, the
   * compare-and-swap fails, the function runs again and sees the new policy.
   */

  /** The key of the resource holding the state's CLI settings. */
  static final String KEY = "infrastate:settings";

  /** The data field of {@value #KEY} holding the group-name policy. */
  static final String FIELD = "group_names";

  private GroupNames() {}

  /** The policy stored in a state (through its {@code getResource}), {@code reject} when none is. */
  static GroupNamePolicy policy(Function<String, Optional<ResourceState>> getResource) {
    return getResource.apply(KEY)
        .map(r -> r.data().get(FIELD))
        .map(v -> parse(String.valueOf(v)))
        .orElse(GroupNamePolicy.REJECT);
  }

  /** A policy by its CLI name, {@code reject} or {@code transform}. */
  static GroupNamePolicy parse(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "reject":
        return GroupNamePolicy.REJECT;
      case "transform":
        return GroupNamePolicy.TRANSFORM;
      default:
        throw CliException.usage("Unknown group-name policy '" + name + "': use reject or transform");
    }
  }

  /** The CLI name of a policy. */
  static String name(GroupNamePolicy policy) {
    return policy.name().toLowerCase(Locale.ROOT);
  }

  /**
   * The group name to store for {@code group} under {@code policy}: itself when Ansible accepts it
   * (or it is empty, no group), transformed under {@code transform}, refused (exit 2) under {@code
   * reject} with a message saying what to do.
   */
  static String apply(String group, GroupNamePolicy policy) {
    if (group.isEmpty() || GroupNamePolicy.isValid(group)) {
      return group;
    }
    if (policy == GroupNamePolicy.TRANSFORM) {
      return GroupNamePolicy.transform(group);
    }
    throw CliException.usage("Group name '" + group + "' would make Ansible reject the inventory (only letters,"
        + " digits and _ are allowed, and no leading digit); nothing was written. Use --group "
        + GroupNamePolicy.transform(group) + ", or have this state transform such names:"
        + " 'infrastate state settings --group-names transform'");
  }
}
