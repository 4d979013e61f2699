package io.infrastate.benchmarks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.infrastate.model.Snapshot;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * A faithful Java port of the Go-FTL2 seed's state package ({@code seeds/001_…}): one {@code
 * State} with a read-write mutex over maps of mutable host and resource records; every mutation
 * holds the write lock and persists immediately by rewriting the whole file — marshal everything
 * ({@code json.MarshalIndent}: indented, map keys sorted), {@code os.WriteFile(path + ".tmp")},
 * {@code os.Rename}. "As written" that is all (no fsync: a crash can lose or empty the file);
 * the {@code durable} flag adds an fsync of the file before the rename and of the directory after it, so
 * that the comparison with durable contenders is fair. Loading reads the file and unmarshals it.
 *
 * <p>Only what the benchmarks exercise is ported. Instances of {@link State} are thread-safe as the
 * Go one is (its getters hand out the mutable records, as Go hands out pointers).
 */
public final class GoFtl2 {
  /** Go's {@code json.MarshalIndent}: indented, map keys sorted, times as RFC 3339 strings. */
  static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build();

  private GoFtl2() {}

  /** Go's {@code HostState}. Not thread-safe (guarded by the State's mutex, as in Go). */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public static final class HostState {
    /** Host name. */ @JsonProperty("name") public String name;
    /** Address. */ @JsonProperty("address") public String address;
    /** Port. */ @JsonProperty("port") @JsonInclude(JsonInclude.Include.ALWAYS) public int port;
    /** User. */ @JsonProperty("user") @JsonInclude(JsonInclude.Include.ALWAYS) public String user;
    /** Vars (omitempty). */ @JsonProperty("vars") public Map<String, Object> vars;
    /** Group (omitempty). */ @JsonProperty("group") public String group;
    /** Created. */ @JsonProperty("created_at") public Instant createdAt;
    /** Updated. */ @JsonProperty("updated_at") public Instant updatedAt;
  }

  /** Go's {@code ResourceState}. Not thread-safe. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public static final class ResourceState {
    /** Type. */ @JsonProperty("type") public String type;
    /** Id. */ @JsonProperty("id") public String id;
    /** Name. */ @JsonProperty("name") public String name;
    /** Data. */ @JsonProperty("data") @JsonInclude(JsonInclude.Include.ALWAYS) public Map<String, Object> data;
    /** Tags (omitempty). */ @JsonProperty("tags") public Map<String, String> tags;
    /** Created. */ @JsonProperty("created_at") public Instant createdAt;
    /** Updated. */ @JsonProperty("updated_at") public Instant updatedAt;
  }

  /** Go's {@code Metadata}. Not thread-safe. */
  public static final class Metadata {
    /** Version. */ @JsonProperty("version") public String version = "1.0";
    /** Created. */ @JsonProperty("created_at") public Instant createdAt;
    /** Updated. */ @JsonProperty("updated_at") public Instant updatedAt;
  }

  /** Go's {@code stateFile}, the serialization format. Not thread-safe. */
  public static final class StateFile {
    /** Metadata. */ @JsonProperty("metadata") public Metadata metadata;
    /** Hosts. */ @JsonProperty("hosts") public Map<String, HostState> hosts;
    /** Resources. */ @JsonProperty("resources") public Map<String, ResourceState> resources;
  }

  /** Go's {@code FileBackend}. Thread-safe (stateless apart from its path). */
  public static final class FileBackend {
    private final Path path;
    private final boolean durable;

    /**
     * A backend for a path.
     *
     * @param path the state file
     * @param durable {@code false} as written in Go; {@code true} adds fsync of file and directory
     */
    public FileBackend(Path path, boolean durable) {
      this.path = path;
      this.durable = durable;
    }

    void load(State s) throws IOException {
      byte[] data = Files.readAllBytes(path);
      StateFile sf = MAPPER.readValue(data, StateFile.class);
      s.metadata = sf.metadata;
      s.hosts = sf.hosts == null ? new HashMap<>() : new HashMap<>(sf.hosts);
      s.resources = sf.resources == null ? new HashMap<>() : new HashMap<>(sf.resources);
    }

    void save(State s) throws IOException {
      StateFile sf = new StateFile();
      sf.metadata = s.metadata;
      sf.hosts = s.hosts;
      sf.resources = s.resources;
      byte[] data = MAPPER.writeValueAsBytes(sf);
      Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
      // os.WriteFile(tmpPath, data, 0644): O_WRONLY|O_CREATE|O_TRUNC, write, close
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
        Floors.writeAll(ch, data); // Go's write(2) of its slice, without the JDK's copy of it whole
        if (durable) {
          ch.force(true);
        }
      }
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (durable) {
        try (FileChannel d = FileChannel.open(path.getParent(), StandardOpenOption.READ)) {
          d.force(true);
        }
      }
    }
  }

  /** Go's {@code State}. Thread-safe through its read-write mutex. */
  public static final class State {
    private final ReentrantReadWriteLock mu = new ReentrantReadWriteLock();
    private final FileBackend backend;
    private Map<String, HostState> hosts = new HashMap<>();
    private Map<String, ResourceState> resources = new HashMap<>();
    private Metadata metadata = new Metadata();

    private State(FileBackend backend) {
      this.backend = backend;
      Instant now = Instant.now();
      metadata.createdAt = now;
      metadata.updatedAt = now;
    }

    /**
     * Go's {@code Load}: reads the file, or starts empty if there is none.
     *
     * @param path the state file
     * @param durable whether saves fsync
     * @return the state
     * @throws IOException if reading fails
     */
    public static State load(Path path, boolean durable) throws IOException {
      State s = new State(new FileBackend(path, durable));
      try {
        s.backend.load(s);
      } catch (NoSuchFileException e) {
        // new state file
      }
      return s;
    }

    /**
     * A state holding the same hosts and resources as an infrastate snapshot, saved once.
     *
     * @param path the state file
     * @param durable whether saves fsync
     * @param content the content
     * @return the state
     * @throws IOException if saving fails
     */
    public static State create(Path path, boolean durable, Snapshot content) throws IOException {
      State s = new State(new FileBackend(path, durable));
      content.hosts().values().forEach(h -> s.hosts.put(h.name(), fromHost(h)));
      content.resources().forEach((k, r) -> s.resources.put(k, fromResource(r)));
      s.save();
      return s;
    }

    /**
     * Go's {@code AddHost}: adds or updates, then persists the whole state.
     *
     * @param host the host
     * @throws IOException if persisting fails
     */
    public void addHost(HostState host) throws IOException {
      mu.writeLock().lock();
      try {
        Instant now = Instant.now();
        HostState existing = hosts.get(host.name);
        if (existing != null) {
          existing.address = host.address;
          existing.port = host.port;
          existing.user = host.user;
          existing.vars = host.vars;
          existing.group = host.group;
          existing.updatedAt = now;
        } else {
          host.createdAt = now;
          host.updatedAt = now;
          hosts.put(host.name, host);
        }
        metadata.updatedAt = now;
        save();
      } finally {
        mu.writeLock().unlock();
      }
    }

    /**
     * Go's {@code AddResource}.
     *
     * @param key the key
     * @param res the resource
     * @throws IOException if persisting fails
     */
    public void addResource(String key, ResourceState res) throws IOException {
      mu.writeLock().lock();
      try {
        Instant now = Instant.now();
        ResourceState existing = resources.get(key);
        if (existing != null) {
          existing.data = res.data;
          existing.tags = res.tags;
          existing.updatedAt = now;
        } else {
          res.createdAt = now;
          res.updatedAt = now;
          resources.put(key, res);
        }
        metadata.updatedAt = now;
        save();
      } finally {
        mu.writeLock().unlock();
      }
    }

    /**
     * Go's {@code GetHost}.
     *
     * @param name the name
     * @return the host or null
     */
    public HostState getHost(String name) {
      mu.readLock().lock();
      try {
        return hosts.get(name);
      } finally {
        mu.readLock().unlock();
      }
    }

    /**
     * Go's {@code AllHosts}.
     *
     * @return the hosts, in map order
     */
    public List<HostState> allHosts() {
      mu.readLock().lock();
      try {
        return new ArrayList<>(hosts.values());
      } finally {
        mu.readLock().unlock();
      }
    }

    private void save() throws IOException {
      backend.save(this);
    }
  }

  /**
   * Converts an infrastate host to the Go record.
   *
   * @param h the host
   * @return a new mutable record
   */
  public static HostState fromHost(io.infrastate.model.HostState h) {
    HostState g = new HostState();
    g.name = h.name();
    g.address = h.address();
    g.port = h.port();
    g.user = h.user();
    g.vars = new HashMap<>(h.vars());
    g.group = h.group();
    g.createdAt = h.createdAt();
    g.updatedAt = h.updatedAt();
    return g;
  }

  /**
   * Converts an infrastate resource to the Go record.
   *
   * @param r the resource
   * @return a new mutable record
   */
  public static ResourceState fromResource(io.infrastate.model.ResourceState r) {
    ResourceState g = new ResourceState();
    g.type = r.type();
    g.id = r.id();
    g.name = r.name();
    g.data = new HashMap<>(r.data());
    g.tags = new HashMap<>(r.tags());
    g.createdAt = r.createdAt();
    g.updatedAt = r.updatedAt();
    return g;
  }
}
