package io.infrastate.model;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A provisioned resource (a cloud instance, an IP, a deployment), as Go-FTL2's {@code
 * ResourceState}. Stored in a state under a caller-chosen key, conventionally {@code type:id}.
 * Immutable; build one with {@link #builder(String, String)}.
 *
 * <p>{@code data} holds JSON-compatible values, {@code tags} strings; both are deep-copied and
 * frozen on construction. Timestamps are set by the {@link io.infrastate.State} on write: an update keeps {@code
 * createdAt} and sets {@code updatedAt}. Unlike Go, whose update keeps the old type, id and name,
 * an update replaces every field but {@code createdAt}.
 *
 * <pre>{@code
 * ResourceState vm = ResourceState.builder("linode", "12345678")
 *     .name("web01").data("region", "us-east").tag("environment", "production")
 *     .build();
 * }</pre>
 *
 * @param type the resource type, such as {@code ec2_instance}
 * @param id the provider's id
 * @param name a human-readable name, empty if unset
 * @param data resource-specific data: JSON-compatible values, immutable
 * @param tags string tags, immutable
 * @param createdAt when the resource was first written
 * @param updatedAt when the resource was last written
 */
public record ResourceState(
    String type,
    String id,
    String name,
    Map<String, Object> data,
    Map<String, String> tags,
    Instant createdAt,
    Instant updatedAt) {

  /**
   * Creates a resource, copying and freezing {@code data} and {@code tags}.
   *
   * @param type the resource type, such as {@code ec2_instance}
   * @param id the provider's id
   * @param name a human-readable name, empty if unset
   * @param data resource-specific data: JSON-compatible values, immutable
   * @param tags string tags, immutable
   * @param createdAt when the resource was first written
   * @param updatedAt when the resource was last written
   * @throws NullPointerException if {@code type} or {@code id} is null
   * @throws IllegalArgumentException if a value is not JSON-compatible or a tag is not a string
   */
  public ResourceState {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(id, "id");
    name = name == null ? "" : name;
    data = Json.freezeObject(data, "data");
    tags = Json.freezeStrings(tags, "tags");
    createdAt = createdAt == null ? HostState.UNSET_TIME : createdAt;
    updatedAt = updatedAt == null ? HostState.UNSET_TIME : updatedAt;
  }

  /**
   * Starts a builder.
   *
   * @param type the resource type, not empty
   * @param id the provider's id, not empty
   * @return a new builder
   */
  public static Builder builder(String type, String id) {
    return new Builder(type, id);
  }

  /**
   * The conventional key of this resource, {@code type:id}.
   *
   * @return {@code type + ":" + id}
   */
  public String key() {
    return type + ":" + id;
  }

  /**
   * Returns a builder holding this resource's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder(type, id).name(name).data(data).tags(tags);
    b.createdAt = createdAt;
    b.updatedAt = updatedAt;
    return b;
  }

  /**
   * Returns a copy with another name.
   *
   * @param newName the name
   * @return a new resource state
   */
  public ResourceState withName(String newName) {
    return new ResourceState(type, id, newName, data, tags, createdAt, updatedAt);
  }

  /**
   * Returns a copy whose data is replaced.
   *
   * @param newData JSON-compatible values
   * @return a new resource state
   */
  public ResourceState withData(Map<String, ?> newData) {
    return new ResourceState(type, id, name, Json.freezeObject(newData, "data"), tags, createdAt, updatedAt);
  }

  /**
   * Returns a copy with one data entry set.
   *
   * @param key the entry name
   * @param value a JSON-compatible value
   * @return a new resource state
   */
  public ResourceState withData(String key, Object value) {
    LinkedHashMap<String, Object> copy = new LinkedHashMap<>(data);
    copy.put(Objects.requireNonNull(key, "key"), value);
    return withData(copy);
  }

  /**
   * Returns a copy whose tags are replaced.
   *
   * @param newTags string tags
   * @return a new resource state
   */
  public ResourceState withTags(Map<String, String> newTags) {
    return new ResourceState(type, id, name, data, newTags, createdAt, updatedAt);
  }

  /**
   * Returns a copy with one tag set.
   *
   * @param key the tag name
   * @param value the tag value
   * @return a new resource state
   */
  public ResourceState withTag(String key, String value) {
    LinkedHashMap<String, String> copy = new LinkedHashMap<>(tags);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return withTags(copy);
  }

  /**
   * The data entry {@code key} if it holds a {@link Secret} (set with {@link
   * Builder#secretData(String, String)}, or read from storage in its sealed form).
   *
   * @param key the data key
   * @return the secret, or empty if the entry is absent or not secret
   */
  public Optional<Secret> secretData(String key) {
    return data.get(key) instanceof Secret s ? Optional.of(s) : Optional.empty();
  }

  /**
   * Returns a copy with other timestamps (the {@link io.infrastate.State} sets them on write).
   *
   * @param created the creation time
   * @param updated the last update time
   * @return a new resource state
   */
  public ResourceState withTimestamps(Instant created, Instant updated) {
    return new ResourceState(type, id, name, data, tags, created, updated);
  }

  /** Builds a {@link ResourceState}. Not thread-safe; use one per thread. */
  public static final class Builder {
    private final String type;
    private final String id;
    private String name = "";
    private final LinkedHashMap<String, Object> data = new LinkedHashMap<>();
    private final LinkedHashMap<String, String> tags = new LinkedHashMap<>();
    private Instant createdAt;
    private Instant updatedAt;

    private Builder(String type, String id) {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(id, "id");
      if (type.isEmpty()) {
        throw new IllegalArgumentException("resource type must not be empty");
      }
      if (id.isEmpty()) {
        throw new IllegalArgumentException("resource id must not be empty");
      }
      this.type = type;
      this.id = id;
    }

    /**
     * Sets the human-readable name.
     *
     * @param name the name
     * @return this builder
     */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * Sets one secret data entry: stored encrypted in place and printed as {@value Secret#MASK}
     * (see {@link Secret}). Writing it needs a handle opened with a key ({@link
     * io.infrastate.crypto.Keyring#protect(io.infrastate.spi.Backend)}).
     *
     * @param key the data key
     * @param value the secret text
     * @return this builder
     */
    public Builder secretData(String key, String value) {
      Objects.requireNonNull(key, "key");
      data.put(key, Secret.of(value));
      return this;
    }

    /**
     * Sets one data entry.
     *
     * @param key the entry name
     * @param value a JSON-compatible value
     * @return this builder
     * @throws IllegalArgumentException if the value is not JSON-compatible
     */
    public Builder data(String key, Object value) {
      Objects.requireNonNull(key, "key");
      data.put(key, Json.freeze(value, "data." + key));
      return this;
    }

    /**
     * Sets several data entries (added to those already set).
     *
     * @param values JSON-compatible values
     * @return this builder
     */
    public Builder data(Map<String, ?> values) {
      values.forEach(this::data);
      return this;
    }

    /**
     * Sets one tag.
     *
     * @param key the tag name
     * @param value the tag value
     * @return this builder
     */
    public Builder tag(String key, String value) {
      tags.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "tag " + key));
      return this;
    }

    /**
     * Sets several tags (added to those already set).
     *
     * @param values string tags
     * @return this builder
     */
    public Builder tags(Map<String, String> values) {
      values.forEach(this::tag);
      return this;
    }

    /**
     * Builds the resource.
     *
     * @return a new immutable resource state
     */
    public ResourceState build() {
      return new ResourceState(type, id, name, data, tags, createdAt, updatedAt);
    }
  }
}
