/**
 * SPI: the {@code state.json} format, for backends that store a state as that document and for
 * tools that read or write state files. {@link io.infrastate.codec.StateCodec} encodes a snapshot
 * to the exact bytes Go-FTL2 writes and decodes them with limits on size and nesting. A whole-file
 * writer keeps an {@link io.infrastate.codec.EntryEncodings} so that each write encodes only the
 * hosts and resources that changed since its last one; {@link io.infrastate.codec.StateEntries}
 * reads and writes a single host or resource for formats that embed them.
 */
package io.infrastate.codec;
