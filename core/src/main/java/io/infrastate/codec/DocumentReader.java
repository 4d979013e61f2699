package io.infrastate.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

/*
 * Why the decoder hands Jackson characters, not bytes
 * ----------------------------------------------------
 * Jackson's byte parser lets some byte sequences that are not UTF-8 through (an overlong form in a
 * string value, a code point above U+10FFFF), and the reader it makes for UTF-16 replaces what it
 * cannot decode without a word. A state file holding such bytes is damage, so the decoder reads
 * the document through this reader: Java's own decoders, which refuse all of them, over the
 * stream in small buffers. The characters before a bad sequence are handed to the parser first and
 * the failure only then, so that the parser stands at the bad bytes when it fails: the damage is
 * reported at their JSON path, line and column (in characters, as the parser counts them).
 *
 * The reader also counts the document's bytes and refuses to read past a limit, so that neither a
 * hostile file nor a stream without end is read whole.
 *
 * Not thread-safe: one per decode.
 */

/**
 * The characters of a JSON document read from its bytes: UTF-8 (after a byte order mark or not),
 * or UTF-16 or UTF-32, recognized from the first bytes as RFC 4627 describes (a JSON text starts
 * with an ASCII character) or from a byte order mark. Bytes that are not in the encoding, and more
 * bytes than the limit, fail a read with {@link Failure}.
 */
final class DocumentReader extends Reader {
  /** A read refused: the bytes are not in the document's encoding, or there are too many. */
  static final class Failure extends IOException {
    private static final long serialVersionUID = 1L;

    /** Whether the document is longer than the limit (else its bytes are not in its encoding). */
    final boolean tooLong;

    Failure(String message, boolean tooLong) {
      super(message, null);
      this.tooLong = tooLong;
    }
  }

  private static final int BUFFER = 16 * 1024;

  private final InputStream in;
  private final long limit;
  private final ByteBuffer bytes = ByteBuffer.allocate(BUFFER);
  /** The document's offset of {@code bytes}' first byte. */
  private long base;
  private boolean eof;
  /** Whether the decoder was flushed at the end of the input: every character is read. */
  private boolean done;
  private CharsetDecoder decoder;
  /** A failure to report once the characters before it are read. */
  private Failure pending;

  /**
   * A reader of the document in {@code in}, which it reads from but does not close.
   *
   * @param in the document's bytes
   * @param limit the most bytes to read
   */
  DocumentReader(InputStream in, long limit) {
    this.in = in;
    this.limit = limit;
    bytes.flip();
  }

  /**
   * Reads the first bytes and recognizes the encoding.
   *
   * @return whether the document has any bytes
   * @throws IOException if the stream fails, or {@link Failure} past the limit
   */
  boolean start() throws IOException {
    while (!eof && bytes.remaining() < 4) {
      fill();
    }
    if (!bytes.hasRemaining()) {
      return false;
    }
    int n = bytes.remaining();
    int b0 = bytes.get(0) & 0xFF;
    int b1 = n > 1 ? bytes.get(1) & 0xFF : -1;
    int b2 = n > 2 ? bytes.get(2) & 0xFF : -1;
    int b3 = n > 3 ? bytes.get(3) & 0xFF : -1;
    Charset cs = StandardCharsets.UTF_8;
    int skip = 0;
    if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) {
      skip = 3;
    } else if (b0 == 0 && b1 == 0 && b2 == 0xFE && b3 == 0xFF) {
      cs = Charset.forName("UTF-32BE");
      skip = 4;
    } else if (b0 == 0xFF && b1 == 0xFE && b2 == 0 && b3 == 0) {
      cs = Charset.forName("UTF-32LE");
      skip = 4;
    } else if (b0 == 0xFE && b1 == 0xFF) {
      cs = StandardCharsets.UTF_16BE;
      skip = 2;
    } else if (b0 == 0xFF && b1 == 0xFE) {
      cs = StandardCharsets.UTF_16LE;
      skip = 2;
    } else if (n >= 4 && b0 == 0 && b1 == 0 && b2 == 0) {
      cs = Charset.forName("UTF-32BE");
    } else if (n >= 4 && b0 != 0 && b1 == 0 && b2 == 0 && b3 == 0) {
      cs = Charset.forName("UTF-32LE");
    } else if (n >= 2 && b0 == 0 && b1 != 0) {
      cs = StandardCharsets.UTF_16BE;
    } else if (n >= 2 && b0 != 0 && b1 == 0) {
      cs = StandardCharsets.UTF_16LE;
    }
    bytes.position(skip);
    decoder = cs.newDecoder(); // reports what is not in the encoding: its default
    return true;
  }

  @Override
  public int read(char[] buffer, int offset, int length) throws IOException {
    if (pending != null) {
      throw pending;
    }
    if (done) {
      return -1;
    }
    if (length == 0) {
      return 0;
    }
    CharBuffer out = CharBuffer.wrap(buffer, offset, length);
    while (true) {
      CoderResult result = decoder.decode(bytes, out, eof);
      if (result.isError()) {
        pending = notEncoded(result.length());
        break;
      }
      if (result.isOverflow() || out.position() > offset) {
        break;
      }
      if (eof) {
        decoder.flush(out);
        done = true;
        return out.position() > offset ? out.position() - offset : -1;
      }
      fill();
    }
    if (out.position() == offset) {
      throw pending;
    }
    return out.position() - offset;
  }

  /** Reads more bytes after those not yet decoded, refusing more than the limit. */
  private void fill() throws IOException {
    base += bytes.position();
    bytes.compact();
    int read;
    try {
      read = in.read(bytes.array(), bytes.position(), bytes.remaining());
    } finally {
      bytes.flip();
    }
    if (read < 0) {
      eof = true;
      return;
    }
    bytes.limit(bytes.limit() + read);
    if (base + bytes.limit() > limit) {
      throw new Failure("the document is longer than the maximum allowed (" + limit + " bytes)", true);
    }
  }

  /** The {@code length} bytes at the decoder's position are not in the encoding. */
  private Failure notEncoded(int length) {
    int at = bytes.position();
    StringBuilder why = new StringBuilder();
    String name = decoder.charset().name();
    if (name.equals("UTF-8")) {
      int first = bytes.get(at) & 0xFF;
      if (first < 0xC2 || first > 0xF4) {
        why.append(String.format("byte 0x%02x cannot start a character", first));
      } else if (at + length < bytes.limit()) {
        why.append(String.format("byte 0x%02x cannot follow 0x%02x there", bytes.get(at + length) & 0xFF, bytes.get(at + length - 1) & 0xFF));
      } else {
        why.append("a character is cut off");
      }
    } else {
      why.append(length).append(length == 1 ? " byte does" : " bytes do").append(" not form a character");
    }
    return new Failure("the bytes are not valid " + name + " (" + why + ") at byte offset " + (base + at), false);
  }

  @Override
  public void close() {
    // the caller closes the stream it opened
  }
}
