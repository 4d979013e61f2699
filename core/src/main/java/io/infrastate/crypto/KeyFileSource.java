package io.infrastate.crypto;

import io.infrastate.model.MissingKeyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/** A key file: 32 raw bytes or their base64. Read each time a key is needed; never cached. */
final class KeyFileSource implements KeySource {
  /** Larger files are refused unread: a key is 32 bytes, its base64 with white space a few more. */
  private static final long MAX_BYTES = 1024;

  private final Path file;

  KeyFileSource(Path file) {
    this.file = Objects.requireNonNull(file, "file");
  }

  @Override
  public String provider() {
    return "key-file";
  }

  @Override
  public String describe() {
    return "the key file " + file;
  }

  @Override
  public byte[] key(Map<String, String> parameters) {
    try {
      if (!Files.isRegularFile(file)) {
        throw new MissingKeyException("Key file " + file + " does not exist or is not a regular file; give the file"
            + " that holds the state's 256-bit key (--key-file PATH). Nothing was read or written.", describe());
      }
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new MissingKeyException("Key file " + file + " has " + size + " bytes; a key file holds 32 raw bytes or"
            + " their base64. Nothing was read or written.", describe());
      }
      return KeyText.parse(Files.readAllBytes(file), "Key file " + file);
    } catch (IOException e) {
      throw new MissingKeyException("Key file " + file + " cannot be read (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + "); check its permissions. Nothing was read or written.", describe());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyFileSource k && k.file.equals(file);
  }

  @Override
  public int hashCode() {
    return file.hashCode();
  }

  @Override
  public String toString() {
    return describe();
  }
}
