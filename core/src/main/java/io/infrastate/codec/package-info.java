/**
 * SPI: the {@code state.json} format, for backends that store a state as that document and for
 * tools that read or write state files. {@link io.infrastate.codec.StateCodec} encodes a snapshot
 * to the exact bytes Go-FTL2 writes and decodes them with limits on size and nesting.
 */
package io.infrastate.codec;
