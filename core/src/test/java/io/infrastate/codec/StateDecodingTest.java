package io.infrastate.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Snapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the decoder accepts and refuses as JSON, and how it reads from a stream: every refusal is a
 * {@link CorruptStateException} that names the source and the JSON path.
 */
class StateDecodingTest {
  private static final String HEAD = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"v\": ";
  private static final String TAIL = "}}}}";

  /** A document whose host {@code a} has the var {@code v} written as {@code value}. */
  private static byte[] withVar(String value) {
    return (HEAD + value + TAIL).getBytes(StandardCharsets.UTF_8);
  }

  private static Object var(byte[] doc) {
    return StateCodec.decode(doc, "s", "").hosts().get("a").vars().get("v");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "{", "{\"metadata\"", "{\"metadata\":", "{\"metadata\": {\"version\": \"1.", "{\"metadata\": {\"version\": \"1\\",
      "{\"metadata\": {\"version\": \"\\u12",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"v\": [1,"})
  void truncatedInputIsDamageThatSaysSo(String text) {
    assertThatThrownBy(() -> StateCodec.decode(text.getBytes(StandardCharsets.UTF_8), "/srv/state.json", ""))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageStartingWith("State /srv/state.json is damaged at $")
        .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("the JSON is truncated", "the file is empty", "expected a JSON object"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"[01]", "[1,]", "{\"x\": 1,}", "[+1]", "[.5]", "NaN", "truex", "{'x': 1}", "{x: 1}", "[1 2]",
      "{\"x\" 1}", "\"a\tb\"", "\"\\x\"", "[] // c", "[1]]", "\"\\u12g4\"", "1e+", "-", "1."})
  void whatIsNotJsonIsDamageAtItsPath(String value) {
    assertThatThrownBy(() -> var(withVar(value)))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts.a.vars.v")
        .hasMessageContaining("(line 1, column ")
        .hasMessageContaining("It was not modified");
  }

  @Test
  void bytesThatAreNotUtf8AreDamageWhereTheyAre() {
    // overlong '/', an encoded surrogate, beyond U+10FFFF, a lone continuation byte, a bad second byte
    byte[][] bad = {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0x80}, {(byte) 0xE2, 0x41, 0x41}};
    for (byte[] b : bad) {
      ByteArrayOutputStream doc = new ByteArrayOutputStream();
      doc.writeBytes((HEAD + "[\"ok\", \"x").getBytes(StandardCharsets.UTF_8));
      doc.writeBytes(b);
      doc.writeBytes(("\"]" + TAIL).getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(() -> var(doc.toByteArray()))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("damaged at $.hosts.a.vars.v[1] (line 1, column " + (HEAD.length() + 10) + ")")
          .hasMessageContaining("not valid UTF-8")
          .hasMessageContaining("at byte offset " + (HEAD.length() + 9));
    }
  }

  @Test
  void limitsAreDamageWithTheirOwnMessages() {
    // the document's own four levels count: vars.v is at the fifth
    int free = StateCodec.MAX_DEPTH - 4;
    assertThat(var(withVar("[".repeat(free) + "]".repeat(free)))).isNotNull();
    assertThatThrownBy(() -> var(withVar("[".repeat(free + 1) + "]".repeat(free + 1))))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("nesting depth (" + (StateCodec.MAX_DEPTH + 1) + ") exceeds the maximum allowed (" + StateCodec.MAX_DEPTH);
    assertThat(var(withVar("1".repeat(StateCodec.MAX_NUMBER_LENGTH)))).isNotNull();
    assertThatThrownBy(() -> var(withVar("1".repeat(StateCodec.MAX_NUMBER_LENGTH + 1))))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts.a.vars.v")
        .hasMessageContaining("Number value length (" + (StateCodec.MAX_NUMBER_LENGTH + 1) + ") exceeds the maximum allowed (" + StateCodec.MAX_NUMBER_LENGTH);
    String longest = "é".repeat(StateCodec.MAX_STRING_LENGTH);
    assertThat(var(withVar("\"" + longest + "\""))).isEqualTo(longest);
    assertThatThrownBy(() -> var(withVar("\"" + longest + "a\\n\"")))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts.a.vars.v")
        .hasMessageContaining("String value length (" + (StateCodec.MAX_STRING_LENGTH + 2) + ") exceeds the maximum allowed (" + StateCodec.MAX_STRING_LENGTH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTF-8", "UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE", "UTF-16"})
  void jsonsOtherEncodingsAreRecognizedWithAndWithoutAByteOrderMark(String charset) {
    String text = HEAD + "[\"é\", \"😀\", 1.5, null]" + TAIL;
    byte[] doc = text.getBytes(Charset.forName(charset)); // UTF-16 writes a byte order mark
    List<Object> expected = java.util.Arrays.asList("é", "😀", 1.5, null);
    assertThat(var(doc)).isEqualTo(expected);
    if (!charset.equals("UTF-16")) {
      byte[] mark = "\ufeff".getBytes(Charset.forName(charset));
      byte[] marked = new byte[mark.length + doc.length];
      System.arraycopy(mark, 0, marked, 0, mark.length);
      System.arraycopy(doc, 0, marked, mark.length, doc.length);
      assertThat(var(marked)).isEqualTo(expected);
    }
    // and damage in them is damage, at its place
    byte[] broken = java.util.Arrays.copyOf(doc, doc.length - 1);
    if (!charset.equals("UTF-8")) {
      assertThatThrownBy(() -> var(broken)).isInstanceOf(CorruptStateException.class).hasMessageContaining("damaged at $");
    }
  }

  @Test
  void utf16ThatIsNotUtf16IsDamageWhereItIs() {
    String text = HEAD + "\"xy\"" + TAIL;
    byte[] doc = text.getBytes(StandardCharsets.UTF_16BE);
    int at = 2 * text.indexOf("xy");
    doc[at] = (byte) 0xD8; // half a surrogate pair, then 'y'
    doc[at + 1] = 0;
    assertThatThrownBy(() -> var(doc))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("damaged at $.hosts.a.vars.v (line 1, column " + (text.indexOf("xy") + 1) + ")")
        .hasMessageContaining("the bytes are not valid UTF-16BE (")
        .hasMessageContaining("at byte offset " + at);
  }

  @Test
  void aStreamIsReadInSmallBuffersToItsEndAndNotClosed() throws Exception {
    Snapshot expected = StateCodec.decode(StateCodecTest.fixture(), "fixture", "");
    byte[] doc = StateCodec.encode(expected);
    int[] largestRead = {0};
    boolean[] closed = {false};
    InputStream in = new ByteArrayInputStream(doc) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        largestRead[0] = Math.max(largestRead[0], len);
        return super.read(b, off, len);
      }

      @Override
      public byte[] readAllBytes() {
        throw new AssertionError("the decoder must not read the whole stream into memory");
      }

      @Override
      public void close() throws IOException {
        closed[0] = true;
        super.close();
      }
    };
    assertThat(StateCodec.decode(in, "stream", "")).isEqualTo(expected);
    assertThat(in.available()).isZero();
    assertThat(closed[0]).isFalse();
    assertThat(largestRead[0]).isLessThanOrEqualTo(64 * 1024);
  }

  @Test
  void aDocumentLongerThanTheLimitIsRefusedWithTheLimitBeforeItIsReadWhole() {
    byte[] doc = StateCodec.encode(StateCodec.decode(withVar("1"), "s", ""));
    assertThat(StateCodec.decode(new ByteArrayInputStream(doc), "s", "", doc.length).hosts()).containsKey("a");
    assertThatThrownBy(() -> StateCodec.decode(new ByteArrayInputStream(doc), "/srv/state.json", "", doc.length - 1))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("State /srv/state.json is damaged at $: the document is longer than the maximum allowed (" + (doc.length - 1) + " bytes)");
    // a stream without end (a device, a pipe) stops at the limit
    InputStream endless = new InputStream() {
      private int at;

      @Override
      public int read() {
        return at++ == 0 ? '{' : ' ';
      }
    };
    assertThatThrownBy(() -> StateCodec.decode(endless, "/dev/zero", "", 1 << 20))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("the document is longer than the maximum allowed (1048576 bytes)");
    assertThatThrownBy(() -> StateCodec.decode(new ByteArrayInputStream(doc), "s", "", -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aStreamThatFailsIsABackendErrorNotDamage() {
    byte[] doc = withVar("1");
    InputStream failing = new InputStream() {
      private int at;

      @Override
      public int read() throws IOException {
        if (at == 40) {
          throw new IOException("Input/output error");
        }
        return doc[at++];
      }
    };
    assertThatThrownBy(() -> StateCodec.decode(failing, "/srv/state.json", ""))
        .isInstanceOf(BackendException.class)
        .isNotInstanceOf(CorruptStateException.class)
        .hasMessageContaining("Could not read state /srv/state.json: Input/output error");
  }

  @Test
  void bytesAndStreamsDecodeAlike() throws Exception {
    byte[] doc = StateCodecTest.fixture();
    assertThat(StateCodec.decode(new ByteArrayInputStream(doc), "s", "")).isEqualTo(StateCodec.decode(doc, "s", ""));
    assertThat(var(withVar("{\"b\": [true, false, null, -0, 12345678901, 123456789012345678901234, 1.5e300]}")))
        .isEqualTo(Map.of("b", java.util.Arrays.asList(true, false, null, 0, 12345678901L, new java.math.BigInteger("123456789012345678901234"), 1.5e300)));
    assertThatThrownBy(() -> var(withVar("1e400")))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("number 1e400 is out of the range of a double");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\",\n \"port\": \"x\"}}}",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"b\"}}}",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"name\": \"a\"}}}",
      "{\"metadata\": {\"version\": \"1.0\"}, \"resources\": {\"t:1\": {\"type\": \"t\", \"id\": \"1\", \"color\": 1}}}",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"k\\ud800\": 1}}}}",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"vars\": {\"v\": [1,\n 2,, 3]}}}}",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\", \"created_at\": \"yesterday\"}}}",
      "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\\u0000\tb\"}}}",
      "{\"metadata\": {\"version\": \"9.0\"}}", "{\"metadata\": {\"version\": \"1.0\"}} []", "{\"metadata\": {\"version\": \"1.0\", \"serial\": -1}}",
      "[]", "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {\"a\": {\"name\": \"a\"}", "{\"metadata\": {\"version\": tru}}"})
  void asciiDocumentsGivenWholeFailAsStreamsDo(String text) {
    // bytes that are all ASCII are parsed without the reader, but every failure is reported as the
    // reader reports it: the same exception, message, path, line and column
    byte[] doc = text.getBytes(StandardCharsets.US_ASCII);
    Throwable whole = org.assertj.core.api.Assertions.catchThrowable(() -> StateCodec.decode(doc, "/srv/state.json", "a hint"));
    Throwable streamed = org.assertj.core.api.Assertions.catchThrowable(
        () -> StateCodec.decode(new ByteArrayInputStream(doc), "/srv/state.json", "a hint"));
    assertThat(whole).isInstanceOf(io.infrastate.model.StateException.class);
    assertThat(whole.getClass()).isEqualTo(streamed.getClass());
    assertThat(whole.getMessage()).isEqualTo(streamed.getMessage()).contains("/srv/state.json");
  }
}
