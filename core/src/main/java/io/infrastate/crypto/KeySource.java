package io.infrastate.crypto;

import io.infrastate.model.SecretKeyException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One key-encryption key: where a {@link Keyring} gets the 256-bit key that wraps a state's data
 * key. Built-in sources: {@link #passphrase(char[])}, {@link #keyFile(Path)} and {@link
 * #command(List)}; others come from a {@link KeyProvider}.
 *
 * <p>A source may need parameters stored beside the wrapped key (the passphrase's salt and
 * iteration count): {@link #newParameters()} makes them when a data key is first wrapped, and
 * {@link #key(Map)} gets them back. Parameters are stored in clear; they must hold nothing secret.
 *
 * <p>Implementations must be thread-safe.
 */
public interface KeySource {
  /**
   * The provider's name, stored with each key wrapped by this source so that the right source is
   * tried on the way back: {@code passphrase}, {@code key-file}, {@code command}, or a {@link
   * KeyProvider#name()}.
   *
   * @return the provider name
   */
  String provider();

  /**
   * What this key is, for messages: never the key itself (such as {@code "the key file
   * /etc/infra.key"}).
   *
   * @return a human-readable description
   */
  String describe();

  /**
   * Fresh parameters for wrapping a new data key (a new salt, for example).
   *
   * @return parameters to store in clear beside the wrapped key; empty if none are needed
   */
  default Map<String, String> newParameters() {
    return Map.of();
  }

  /**
   * The 32-byte key-encryption key for stored parameters.
   *
   * @param parameters what {@link #newParameters()} returned when the key was wrapped
   * @return a new array of 32 bytes, which the caller may clear after use
   * @throws SecretKeyException if the key cannot be had (unreadable key file, failing command) or
   *     the parameters are not this source's
   */
  byte[] key(Map<String, String> parameters);

  /**
   * A passphrase, stretched with PBKDF2-HMAC-SHA256 at {@value PassphraseSource#ITERATIONS}
   * iterations and a random 16-byte salt per state. The array is copied; the caller may clear it.
   *
   * @param passphrase the passphrase, not empty
   * @return a key source
   * @throws IllegalArgumentException if the passphrase is empty
   */
  static KeySource passphrase(char[] passphrase) {
    return new PassphraseSource(passphrase);
  }

  /**
   * A key file holding 32 bytes: raw, or their base64 (standard or URL-safe, padded or not, with
   * surrounding white space), as {@code openssl rand -base64 32 > infra.key} writes. It is read
   * each time a key is needed.
   *
   * @param file the key file
   * @return a key source
   */
  static KeySource keyFile(Path file) {
    return new KeyFileSource(file);
  }

  /**
   * An external command that prints the key, as OpenTofu's {@code external} key provider: either
   * the OpenTofu protocol (a header line {@code {"magic":"OpenTofu-External-Key-Provider",
   * "version":1}}, then a JSON object whose {@code keys.decryption_key} holds the base64 key) or
   * just the key as a key file holds it. The command gets {@code null} on standard input, must
   * finish within 30 seconds and exit 0.
   *
   * @param command the program and its arguments
   * @return a key source
   * @throws IllegalArgumentException if the command is empty
   */
  static KeySource command(List<String> command) {
    return new CommandSource(command);
  }
}
