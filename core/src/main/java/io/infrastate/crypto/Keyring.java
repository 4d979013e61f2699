package io.infrastate.crypto;

import io.infrastate.model.Secret;
import io.infrastate.model.SecretKeyException;
import io.infrastate.spi.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The keys a handle holds to seal and reveal {@link Secret} values: one or more {@link KeySource}s,
 * any one of which opens the state. A state's secrets are sealed under a random 256-bit data key,
 * stored in the state wrapped by each of the keyring's keys (see {@code docs/secrets.md}).
 *
 * <pre>{@code
 * Keyring keys = Keyring.of(KeySource.passphrase(System.console().readPassword("Passphrase: ")));
 * try (Backend backend = keys.protect(BackendRegistry.defaultRegistry().open("state.json"));
 *      State state = State.load(backend)) {
 *   state.addHost(HostState.builder("db1").secretVar("db_password", "s3cr3t").build());
 *   String password = state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal();
 * }
 * }</pre>
 *
 * <p>Key providers: {@code passphrase}, {@code key-file} and {@code command} are built in; others
 * are found by name through {@link ServiceLoader} ({@link KeyProvider}). A provider found there that
 * takes a built-in name is ignored, as is the second of two that take one name, and both are named
 * when that name is asked for.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Keyring {
  private static final Map<String, String> BUILT_IN = Map.of(
      "passphrase", "a passphrase (INFRASTATE_PASSPHRASE on the command line)",
      "key-file", "a key file (--key-file PATH)",
      "command", "a key command (--key-command CMD)");

  private final List<KeySource> sources;

  private Keyring(List<KeySource> sources) {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a keyring needs at least one key source");
    }
    this.sources = List.copyOf(sources);
  }

  /**
   * A keyring of these sources: new data keys are wrapped by each; any one opens a state.
   *
   * @param sources one or more key sources
   * @return a keyring
   * @throws IllegalArgumentException if none is given
   */
  public static Keyring of(KeySource... sources) {
    return new Keyring(Arrays.asList(sources));
  }

  /**
   * A keyring of these sources.
   *
   * @param sources one or more key sources
   * @return a keyring
   * @throws IllegalArgumentException if the list is empty
   */
  public static Keyring of(List<KeySource> sources) {
    return new Keyring(sources);
  }

  /**
   * The key sources, in the order given.
   *
   * @return an unmodifiable list
   */
  public List<KeySource> sources() {
    return sources;
  }

  /**
   * Wraps a backend so that the handles loaded on it seal secret values when they write and can
   * reveal them when they read. The wrapper has the backend's optional capabilities. Closing the
   * wrapper closes the backend. A backend already wrapped by a keyring is wrapped anew with the keys
   * of both.
   *
   * @param backend the backend to wrap
   * @return a backend to give to {@code State.load}
   */
  public Backend protect(Backend backend) {
    Objects.requireNonNull(backend, "backend");
    if (SealingBackend.isWrapper(backend)) {
      List<KeySource> all = new ArrayList<>(SealingBackend.of(backend).sources());
      sources.stream().filter(s -> !all.contains(s)).forEach(all::add);
      return SealingBackend.wrap(SealingBackend.of(backend).inner(), all);
    }
    return SealingBackend.wrap(backend, sources);
  }

  /**
   * A key source from a provider by name, with its settings: {@code passphrase} ({@code
   * passphrase}), {@code key-file} ({@code path}), {@code command} ({@code command}, split at white
   * space), or a {@link KeyProvider} found through {@link ServiceLoader}.
   *
   * @param provider the provider's name
   * @param settings its settings
   * @return a key source
   * @throws UnknownKeyProviderException if no provider has that name
   * @throws SecretKeyException if the settings are incomplete
   */
  public static KeySource source(String provider, Map<String, String> settings) {
    switch (provider) {
      case "passphrase" -> {
        return KeySource.passphrase(required(settings, provider, "passphrase").toCharArray());
      }
      case "key-file" -> {
        return KeySource.keyFile(Path.of(required(settings, provider, "path")));
      }
      case "command" -> {
        return KeySource.command(Arrays.asList(required(settings, provider, "command").strip().split("\\s+")));
      }
      default -> {
        List<KeyProvider> found = discovered().getOrDefault(provider, List.of());
        if (found.size() == 1) {
          return found.get(0).open(settings);
        }
        if (found.size() > 1) {
          List<String> names = new ArrayList<>();
          found.forEach(p -> names.add(p.getClass().getName()));
          throw new UnknownKeyProviderException("Key provider '" + provider + "' is claimed by several classes "
              + names + "; keep one on the class path.", "");
        }
        throw new UnknownKeyProviderException("No key provider named '" + provider + "'; known: " + providers()
            + ". Add the module that provides it to the class path.", "");
      }
    }
  }

  /**
   * The names of the providers known: built in and found through {@link ServiceLoader}.
   *
   * @return names, sorted
   */
  public static List<String> providers() {
    TreeMap<String, Object> names = new TreeMap<>(BUILT_IN);
    names.putAll(discovered());
    return List.copyOf(names.keySet());
  }

  /** What a provider's key is and how to supply it, for messages. */
  static String describeProvider(String name) {
    String builtIn = BUILT_IN.get(name);
    if (builtIn != null) {
      return builtIn;
    }
    List<KeyProvider> found = discovered().getOrDefault(name, List.of());
    return found.isEmpty() ? "a key of provider '" + name + "' (not on the class path)" : found.get(0).describe();
  }

  private static Map<String, List<KeyProvider>> discovered() {
    Map<String, List<KeyProvider>> byName = new TreeMap<>();
    for (KeyProvider p : ServiceLoader.load(KeyProvider.class, Keyring.class.getClassLoader())) {
      if (!BUILT_IN.containsKey(p.name())) {
        byName.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p);
      }
    }
    return byName;
  }

  private static String required(Map<String, String> settings, String provider, String name) {
    String v = settings.get(name);
    if (v == null || v.isEmpty()) {
      throw new SecretKeyException("Key provider '" + provider + "' needs the setting '" + name + "'.",
          describeProvider(provider));
    }
    return v;
  }
}
