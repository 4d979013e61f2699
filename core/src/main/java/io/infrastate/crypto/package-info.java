/**
 * Secret values and the keys that protect them. API: {@link io.infrastate.model.Secret} (a value
 * stored encrypted in place), {@link io.infrastate.crypto.Keyring} (the keys a handle holds, and
 * the backend wrapper that seals and opens secrets), {@link io.infrastate.crypto.KeySource} and the
 * typed errors. SPI: {@link io.infrastate.crypto.KeyProvider}, found through {@link
 * java.util.ServiceLoader}. Everything else here is package-private.
 *
 * <p>See {@code docs/secrets.md} for the format, the threat model and the command-line setup.
 */
package io.infrastate.crypto;
