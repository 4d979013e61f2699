package io.infrastate.crypto;

import io.infrastate.model.MissingKeyException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * A command that prints the key, as OpenTofu's {@code external} key provider: the OpenTofu protocol
 * (header line, then {@code {"keys":{"decryption_key":BASE64,…}}}) or just the key as a key file
 * holds it. It is run each time a key is needed, never through a shell, with {@code null} on
 * standard input; its standard error goes to ours (a command may prompt there).
 */
final class CommandSource implements KeySource {
  static final String MAGIC = "OpenTofu-External-Key-Provider";
  private static final long TIMEOUT_SECONDS = 30;
  private static final int MAX_OUTPUT = 64 * 1024;

  private final List<String> command;

  CommandSource(List<String> command) {
    this.command = List.copyOf(command);
    if (this.command.isEmpty() || this.command.get(0).isBlank()) {
      throw new IllegalArgumentException("the key command must name a program");
    }
  }

  @Override
  public String provider() {
    return "command";
  }

  @Override
  public String describe() {
    return "the key command " + command.get(0);
  }

  @Override
  public byte[] key(Map<String, String> parameters) {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    } catch (IOException e) {
      throw failed("cannot be started (" + e.getMessage() + ")");
    }
    try {
      try (OutputStream in = p.getOutputStream()) {
        in.write("null\n".getBytes(StandardCharsets.US_ASCII));
      } catch (IOException e) {
        // the command need not read its input
      }
      byte[] out = readBounded(p.getInputStream());
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw failed("did not finish within " + TIMEOUT_SECONDS + " s");
      }
      if (p.exitValue() != 0) {
        throw failed("exited with status " + p.exitValue());
      }
      return parse(out);
    } catch (IOException e) {
      throw failed("could not be read (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failed("was interrupted");
    } finally {
      p.destroyForcibly();
    }
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    for (int n; (n = in.read(buf)) > 0; ) {
      if (out.size() + n > MAX_OUTPUT) {
        throw new IOException("it printed more than " + MAX_OUTPUT + " bytes");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private byte[] parse(byte[] out) {
    String text = new String(out, StandardCharsets.UTF_8);
    int nl = text.indexOf('\n');
    if (nl > 0 && text.substring(0, nl).contains(MAGIC)) {
      String key = decryptionKey(text.substring(nl + 1));
      byte[] bytes = null;
      try {
        bytes = key == null ? null : Base64.getDecoder().decode(key.strip());
      } catch (IllegalArgumentException e) {
        bytes = null;
      }
      if (bytes == null || bytes.length != Crypto.KEY_BYTES) {
        throw failed("printed the OpenTofu header but no keys.decryption_key of 32 bytes in base64");
      }
      return bytes;
    }
    return KeyText.parse(out, "The output of " + describe());
  }

  /** keys.decryption_key (or keys.encryption_key when there is none) of the protocol's output. */
  private static String decryptionKey(String json) {
    String decryption = null;
    String encryption = null;
    try (JsonParser p = new JsonFactory().createParser(ObjectReadContext.empty(), json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (field.equals("keys") && t == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String k = p.currentName();
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_STRING && k.equals("decryption_key")) {
              decryption = p.getString();
            } else if (v == JsonToken.VALUE_STRING && k.equals("encryption_key")) {
              encryption = p.getString();
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    } catch (JacksonException e) {
      return null;
    }
    return decryption != null && !decryption.isEmpty() ? decryption : encryption;
  }

  private MissingKeyException failed(String what) {
    return new MissingKeyException("The key command " + command.get(0) + " " + what + "; it must print the"
        + " state's 256-bit key (base64) or answer OpenTofu's external key provider protocol. Nothing was read"
        + " or written.", describe());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CommandSource c && c.command.equals(command);
  }

  @Override
  public int hashCode() {
    return command.hashCode();
  }

  @Override
  public String toString() {
    return describe();
  }
}
