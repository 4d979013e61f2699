package io.infrastate.codec;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Json;
import io.infrastate.model.ResourceState;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;

/**
 * One host or one resource in the layout of {@code state.json}, for formats that embed them (a
 * journal's change records): the same writer and reader {@link StateCodec} uses for a whole
 * document, so that an entry reads and writes alike wherever it is stored. Empty {@code vars},
 * {@code group} and {@code tags} are omitted, map keys sorted, timestamps in RFC 3339 UTC; on
 * reading, unknown and repeated fields, wrong types, a port outside 0..65535 and a missing name,
 * type or id are refused. The structural rules (such as a host's key being its name) are the
 * caller's to check, with the key it stores the entry under.
 *
 * <p>Stateless and thread-safe.
 */
@SuppressWarnings("exports") // takes Jackson generators and parsers: machinery for other formats' codecs
public final class StateEntries {
  private StateEntries() {}

  /**
   * Writes a host as an object, as state.json holds it.
   *
   * @param g the generator, where a value may be written
   * @param h the host
   * @throws io.infrastate.model.MissingKeyException if it holds a secret set in clear
   * @throws JacksonException if the generator fails
   */
  public static void writeHost(JsonGenerator g, HostState h) {
    g.writeStartObject();
    g.writeStringProperty("name", h.name());
    g.writeStringProperty("address", h.address());
    g.writeNumberProperty("port", h.port());
    g.writeStringProperty("user", h.user());
    if (!h.vars().isEmpty()) {
      g.writeName("vars");
      Json.write(g, h.vars(), true);
    }
    if (!h.group().isEmpty()) {
      g.writeStringProperty("group", h.group());
    }
    g.writeStringProperty("created_at", StateCodec.formatTime(h.createdAt()));
    g.writeStringProperty("updated_at", StateCodec.formatTime(h.updatedAt()));
    g.writeEndObject();
  }

  /**
   * Writes a resource as an object, as state.json holds it.
   *
   * @param g the generator, where a value may be written
   * @param r the resource
   * @throws io.infrastate.model.MissingKeyException if it holds a secret set in clear
   * @throws JacksonException if the generator fails
   */
  public static void writeResource(JsonGenerator g, ResourceState r) {
    g.writeStartObject();
    g.writeStringProperty("type", r.type());
    g.writeStringProperty("id", r.id());
    g.writeStringProperty("name", r.name());
    g.writeName("data");
    Json.write(g, r.data(), true);
    if (!r.tags().isEmpty()) {
      g.writeName("tags");
      Json.write(g, r.tags(), true);
    }
    g.writeStringProperty("created_at", StateCodec.formatTime(r.createdAt()));
    g.writeStringProperty("updated_at", StateCodec.formatTime(r.updatedAt()));
    g.writeEndObject();
  }

  /**
   * Reads a host, the parser standing at its object's start.
   *
   * @param p the parser, at {@link tools.jackson.core.JsonToken#START_OBJECT}; left at the
   *     object's end
   * @param source what is being read, for messages (such as {@code "the journal record at offset
   *     120"})
   * @return the host
   * @throws CorruptStateException if it is not a host as state.json holds it (the path in the
   *     message starts at the host's object)
   * @throws JacksonException if the parser fails
   */
  public static HostState readHost(JsonParser p, String source) {
    return StateDecoder.over(p, source).readHost(null);
  }

  /**
   * Reads a resource, the parser standing at its object's start.
   *
   * @param p the parser, at {@link tools.jackson.core.JsonToken#START_OBJECT}; left at the
   *     object's end
   * @param source what is being read, for messages
   * @return the resource
   * @throws CorruptStateException if it is not a resource as state.json holds it (the path in the
   *     message starts at the resource's object)
   * @throws JacksonException if the parser fails
   */
  public static ResourceState readResource(JsonParser p, String source) {
    return StateDecoder.over(p, source).readResource();
  }
}
