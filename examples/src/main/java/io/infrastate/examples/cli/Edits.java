package io.infrastate.examples.cli;

import io.infrastate.State;
import io.infrastate.Transaction;
import io.infrastate.model.Snapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * What the {@code host} and {@code resource} verbs share: the {@code --unset-…} options of {@code
 * set}, the patch of a map of variables, data or tags, the output of a write, and {@code rm}. A
 * {@code kind} is {@code "host"} or {@code "resource"}, as the messages and JSON name it. Stateless
 * and thread-safe.
 */
final class Edits {
  private Edits() {}

  /**
   * The keys of an {@code --unset-…} option (empty when not given), refused when a key also has a
   * value given.
   *
   * @param unset the option's values, or null
   * @param option the option, such as {@code --unset-var}
   * @param value how the message names the value given for a key, such as {@code "a value for k"}
   * @param given the values given by the other options
   * @return the keys to unset
   * @throws CliException (usage) if a key is both unset and given a value
   */
  @SafeVarargs
  static List<String> unset(List<String> unset, String option, Function<String, String> value,
      Map<String, ?>... given) {
    List<String> keys = unset == null ? List.of() : unset;
    for (String k : keys) {
      for (Map<String, ?> g : given) {
        if (g.containsKey(k)) {
          throw CliException.usage(option + " " + k + " and " + value.apply(k) + " are both given; give one");
        }
      }
    }
    return keys;
  }

  /**
   * {@code base} without the keys unset and with the values put.
   *
   * @param base the stored map
   * @param unset keys to remove: each must be in {@code base}
   * @param put values to set
   * @param what the entry and field for the message, such as {@code "Host web01 has no variable"}
   * @return a new map
   * @throws CliException (error) if a key to unset is not in {@code base}
   */
  static <V> Map<String, V> patch(Map<String, V> base, List<String> unset, Map<String, ? extends V> put, String what) {
    Map<String, V> m = new LinkedHashMap<>(base);
    for (String k : unset) {
      if (!m.containsKey(k)) {
        throw CliException.error(what + " '" + k + "' to unset; nothing was written");
      }
      m.remove(k);
    }
    m.putAll(put);
    return m;
  }

  /** The refusal of {@code set} without {@code --create} on an entry that does not exist. */
  static CliException missing(String kind, String name, State state) {
    return CliException.error("No " + kind + " '" + name + "' in " + state.location() + "; nothing was written. Use '"
        + kind + " set " + name + " --create …' to add it, or see 'infrastate " + kind + " list'");
  }

  /**
   * Prints what {@code add} or {@code set} wrote: one line, or a JSON object with the serial,
   * {@code created} (for {@code set}) and the entry.
   *
   * @param verb the verb printing
   * @param kind host or resource
   * @param name the entry's name or key
   * @param serial the serial written
   * @param done the word for the line: added, replaced or updated
   * @param created for {@code set}: whether the entry was added; null for {@code add}
   * @param entry the entry as JSON ({@link Output#host}, {@link Output#resource})
   */
  static void written(Verb verb, String kind, String name, long serial, String done, Boolean created,
      Map<String, Object> entry) {
    String line = done + " " + kind + " " + name + " (serial " + serial + ")";
    if (created == null) {
      verb.print(line, "serial", serial, kind, entry);
    } else {
      verb.print(line, "serial", serial, "created", created, kind, entry);
    }
  }

  /** The note of {@code add} that replaced an entry: {@code set} changes only the fields given. */
  static void noteReplaced(Verb verb, String kind, String name, String option) {
    if (!verb.json()) {
      verb.err().println("infrastate: note: '" + kind + " add' replaced every field of " + name + "; '" + kind
          + " set " + name + " " + option + " K=V' changes only the fields given");
    }
  }

  /**
   * {@code rm}: removes the entries in one write, or none if one is unknown, and prints what it
   * removed.
   *
   * @param verb the verb
   * @param state the open state
   * @param names the names or keys, repeats ignored
   * @param kind host or resource
   * @param remove removes one entry in a transaction, false when it does not exist
   * @return the exit code
   */
  static int remove(Verb verb, State state, List<String> names, String kind, BiPredicate<Transaction, String> remove) {
    List<String> unique = new ArrayList<>(new LinkedHashSet<>(names));
    Snapshot after = verb.root.update(state, verb.root.audit(""), tx -> {
      for (String n : unique) {
        if (!remove.test(tx, n)) {
          throw CliException.error("No " + kind + " '" + n + "' in " + state.location() + "; nothing was removed."
              + " See 'infrastate " + kind + " list'");
        }
      }
    });
    if (verb.json()) {
      verb.out().println(Output.json(Output.object("removed", unique, "serial", after.metadata().serial())));
    } else {
      unique.forEach(n -> verb.out().println("removed " + kind + " " + n));
      verb.out().println("serial " + after.metadata().serial());
    }
    return InfrastateCli.OK;
  }
}
