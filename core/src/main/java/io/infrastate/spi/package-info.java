/**
 * SPI: what a storage backend implements ({@link io.infrastate.spi.Backend} and its optional
 * capabilities such as {@link io.infrastate.spi.HistoryBackend}) and how it is found by URI scheme
 * ({@link io.infrastate.spi.BackendProvider}, discovered with {@link java.util.ServiceLoader}
 * through {@link io.infrastate.spi.BackendRegistry}). Applications use {@link io.infrastate.State}
 * instead; implementations prove themselves with the contract tests of {@code infrastate-testkit}.
 */
package io.infrastate.spi;
