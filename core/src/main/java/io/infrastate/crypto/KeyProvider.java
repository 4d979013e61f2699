package io.infrastate.crypto;

import io.infrastate.model.SecretKeyException;
import java.util.Map;

/**
 * A kind of key-encryption key, found through {@link java.util.ServiceLoader} (register an
 * implementation in {@code META-INF/services/io.infrastate.crypto.KeyProvider}, or with {@code
 * provides} in a module) and chosen by {@link #name()}, as OpenTofu's key providers are. The
 * built-in kinds ({@code passphrase}, {@code key-file}, {@code command}) need no registration; a
 * provider may not take their names. No provider whose server cannot run in tests ships here.
 *
 * <p>Implementations must be thread-safe and have a public no-argument constructor.
 */
public interface KeyProvider {
  /**
   * The name, as settings and stored records name it: lower case letters, digits and dashes.
   *
   * @return such as {@code passphrase}
   */
  String name();

  /**
   * What key this provider expects and how a user supplies it, for error messages (such as {@code
   * "a passphrase (set INFRASTATE_PASSPHRASE)"}).
   *
   * @return a human-readable description
   */
  String describe();

  /**
   * Makes a key source from settings.
   *
   * @param settings the provider's settings, such as {@code path} for a key file
   * @return a key source
   * @throws SecretKeyException if the settings are incomplete or wrong (the message names them)
   */
  KeySource open(Map<String, String> settings);
}
