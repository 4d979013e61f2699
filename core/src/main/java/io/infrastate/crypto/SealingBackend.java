package io.infrastate.crypto;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.PersistentMap;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Secret;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.Backend;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredFormBackend;
import io.infrastate.spi.StoredState;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backend a {@link Keyring} wraps: it seals secret values on the way to storage and makes
 * them openable on the way back, and keeps the state's key record ({@link KeyRecord}) out of the
 * handle's view.
 *
 * <h2>SAME CAPABILITIES AS THE BACKEND IT WRAPS</h2>
 *
 * The wrapper is a dynamic proxy implementing exactly the SPI interfaces of the wrapped backend
 * (history, exclusive writes, write leases, write history), so that a {@code State} sees the same
 * optional capabilities, each forwarded unchanged, except the four calls that carry states: {@code
 * load}, {@code loadIfChanged}, {@code at} and {@code save}.
 *
 * <h2>A WRITE</h2>
 *
 * The save seals every secret of the entries its changes touch (and of entries an earlier save of
 * this wrapper wrote with clear secrets, which the handle still holds in clear), adds the key
 * record to the snapshot (and, while storage does not hold it yet, to the changes, so that
 * backends that store only changes store it too), and forwards one save. A failure before the
 * forward (no key, a value that does not authenticate) writes nothing. A state whose writes carry
 * no secret and that has no key record passes through unchanged: no cost without secrets.
 * The sealed version shares everything else with the handle's version (hosts, resources and the
 * type index are updated entry by entry), so a write costs what its changes cost, not the state's
 * size: a journal write stays O(change) with secrets and whole-state encryption.
 *
 * <h2>A READ</h2>
 *
 * A loaded version with a key record has its data keys unwrapped at once (a wrong key fails the
 * load with {@link WrongKeyException}, reading nothing), the record removed from view, and its
 * sealed values made openable; nothing is decrypted until a caller asks with {@link
 * Secret#reveal()}.
 *
 * <p>Instances are thread-safe: key material is published through a volatile field and replaced
 * whole; the set of entries holding clear secrets only grows.
 */
final class SealingBackend implements InvocationHandler {
  private final Backend inner;
  private final List<KeySource> sources;
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private final Envelope envelope;

  private volatile Keys keys;

  /** The unwrapped keys of one lineage, the record they came from, and whether storage holds it. */
  private record Keys(String lineage, ResourceState resource, Sealer sealer, boolean stored) {
    Keys storedNow() {
      return stored ? this : new Keys(lineage, resource, sealer, true);
    }
  }

  private SealingBackend(Backend inner, List<KeySource> sources) {
    this.inner = inner;
    this.sources = sources;
    this.envelope = new Envelope(sources, inner.location());
    if (inner instanceof StoredFormBackend b) {
      b.storedForm(envelope);
    }
  }

  /**
   * The handler behind a backend that {@link #wrap} returned.
   *
   * @throws IllegalArgumentException if the backend is not one
   */
  static SealingBackend of(Backend backend) {
    if (Proxy.isProxyClass(backend.getClass()) && Proxy.getInvocationHandler(backend) instanceof SealingBackend s) {
      return s;
    }
    throw new IllegalArgumentException("the backend " + backend.location() + " was not opened through a keyring:"
        + " pass Keyring.protect(backend)");
  }

  static boolean isWrapper(Backend backend) {
    return Proxy.isProxyClass(backend.getClass()) && Proxy.getInvocationHandler(backend) instanceof SealingBackend;
  }

  Backend inner() {
    return inner;
  }

  List<KeySource> sources() {
    return sources;
  }

  Envelope envelope() {
    return envelope;
  }

  static Backend wrap(Backend inner, List<KeySource> sources) {
    Set<Class<?>> interfaces = new LinkedHashSet<>();
    collect(inner.getClass(), interfaces);
    interfaces.add(Backend.class);
    return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), interfaces.toArray(new Class<?>[0]),
        new SealingBackend(inner, sources));
  }

  /** The SPI interfaces (io.infrastate.spi) a class implements, directly or not. */
  private static void collect(Class<?> c, Set<Class<?>> out) {
    for (Class<?> k = c; k != null; k = k.getSuperclass()) {
      for (Class<?> i : k.getInterfaces()) {
        if (i.getPackageName().equals(Backend.class.getPackageName())) {
          out.add(i);
        }
        collect(i, out);
      }
    }
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    int n = args == null ? 0 : args.length;
    if (method.getDeclaringClass() == Object.class) {
      return switch (name) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        default -> "sealing " + inner.location();
      };
    }
    Object result;
    try {
      if (name.equals("save") && n == 1 && args[0] instanceof SaveRequest r) {
        return save(r);
      }
      if (keys == null && !name.equals("load") && !name.equals("loadIfChanged") && !name.equals("close")
          && !name.equals("location") && !name.equals("storedForm")) {
        prime();
      }
      result = method.invoke(inner, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
    if ((name.equals("load") && n == 0) || (name.equals("loadIfChanged") && n == 1) || (name.equals("at") && n == 1)) {
      @SuppressWarnings("unchecked")
      Optional<StoredState> loaded = (Optional<StoredState>) result;
      boolean current = !name.equals("at");
      return loaded.map(st -> opened(st, current));
    }
    return result;
  }

  // ------------------------------------------------------------------ reads

  /**
   * Reads the current version once before a call that reads earlier ones (history), so that its
   * key record, the newest, supplies the data keys of versions whose own record is older (after a
   * rekey). A state that cannot be read now is left to the call itself to report.
   */
  private void prime() {
    try {
      inner.load().ifPresent(st -> opened(st, true));
    } catch (RuntimeException e) {
      // the call that follows reads what it needs and reports its own error
    }
  }

  /**
   * A stored version as the handle sees it. For the current version ({@code current}), the keys
   * held must open its key record itself: data keys known from an earlier record (whose wraps a
   * rekey has since dropped) open earlier versions only.
   */
  private StoredState opened(StoredState stored, boolean current) {
    Snapshot s = stored.snapshot();
    ResourceState record = s.resources().get(KeyRecord.RESOURCE_KEY);
    if (record == null) {
      return stored;
    }
    Keys k = keysFor(s.metadata().lineage(), record, current);
    Sealer sealer = k.sealer();
    // entry by entry, sharing the rest with the stored version (as seal does): no copy of the
    // maps or the type index, so opening costs the scan and the entries that hold secrets
    PersistentMap<HostState> hosts = s.hostMap();
    for (HostState h : s.hosts().values()) {
      if (Sealer.holdsSecret(h.vars())) {
        hosts = hosts.plus(h.name(), sealer.open(h));
      }
    }
    PersistentMap<ResourceState> resources = s.resourceMap().minus(KeyRecord.RESOURCE_KEY);
    PersistentMap<PersistentMap<ResourceState>> byType = withoutResource(s.typeIndex(), KeyRecord.RESOURCE_KEY, record);
    for (Map.Entry<String, ResourceState> e : s.resources().entrySet()) {
      if (!e.getKey().equals(KeyRecord.RESOURCE_KEY) && Sealer.holdsSecret(e.getValue().data())) {
        ResourceState opened = sealer.open(e.getKey(), e.getValue());
        resources = resources.plus(e.getKey(), opened);
        byType = withResource(byType, e.getKey(), opened);
      }
    }
    return new StoredState(s.derive(s.metadata(), hosts, resources, byType), stored.token());
  }

  /** The keys for a stored record: the cached ones if the record is the same, else unwrapped now. */
  private Keys keysFor(String lineage, ResourceState record, boolean current) {
    Keys k = keys;
    if (k != null && k.lineage().equals(lineage) && k.resource().data().equals(record.data())) {
      if (!k.stored()) {
        keys = k = k.storedNow();
      }
      return k;
    }
    KeyRecord parsed = KeyRecord.parse(record, inner.location());
    Map<String, byte[]> dataKeys = envelope.cached(lineage, parsed);
    if (dataKeys == null || (current && !envelope.opensRecord(lineage, parsed))) {
      dataKeys = parsed.unwrap(lineage, sources, inner.location());
      envelope.remember(lineage, dataKeys);
      envelope.opens(lineage, parsed);
    }
    k = new Keys(lineage, record, new Sealer(lineage, parsed.current, dataKeys, inner.location()), true);
    keys = k;
    return k;
  }

  // ------------------------------------------------------------------ writes

  private SaveResult save(SaveRequest req) {
    Snapshot snap = req.snapshot();
    String lineage = snap.metadata().lineage();
    Set<String> touched = new LinkedHashSet<>(dirty);
    boolean all = false;
    for (Change c : req.changes()) {
      if (c instanceof Change.PutHost p) {
        touched.add(hostKey(p.host().name()));
      } else if (c instanceof Change.PutResource p) {
        touched.add(resourceKey(p.key()));
      } else if (c instanceof Change.ReplaceAll) {
        all = true;
      }
    }
    Keys k = keys;
    if (k != null && !k.lineage().equals(lineage)) {
      k = null;
    }
    if (k == null && !holdsSecret(snap, touched, all)) {
      return conflictOpened(inner.save(req));
    }
    if (k == null) {
      k = create(lineage);
    }
    Snapshot sealed = seal(snap, touched, all, k);
    List<Change> changes = new ArrayList<>(req.changes().size() + 1);
    for (Change c : req.changes()) {
      if (c instanceof Change.PutHost p) {
        changes.add(new Change.PutHost(sealed.hosts().get(p.host().name())));
      } else if (c instanceof Change.PutResource p) {
        changes.add(p.key().equals(KeyRecord.RESOURCE_KEY) ? c : new Change.PutResource(p.key(), sealed.resources().get(p.key())));
      } else if (c instanceof Change.RemoveResource r && r.key().equals(KeyRecord.RESOURCE_KEY)) {
        continue; // the record is not the handle's to remove
      } else if (c instanceof Change.ReplaceAll r) {
        changes.add(new Change.ReplaceAll(seal(r.content(), Set.of(), true, k)));
      } else {
        changes.add(c);
      }
    }
    if (!k.stored()) {
      changes.add(new Change.PutResource(KeyRecord.RESOURCE_KEY, k.resource()));
    }
    SaveResult result = inner.save(new SaveRequest(req.expected(), sealed, changes, req.audit(), req.writeId()));
    if (result instanceof SaveResult.Saved) {
      Keys now = keys;
      if (now == k || now == null || now.resource().equals(k.resource())) {
        keys = k.storedNow();
      }
      for (String key : touched) {
        Object v = entry(snap, key);
        if (v != null && !k.sealer().settled(v, key.startsWith("h:") ? Sealer.hostPath(key.substring(2)) : Sealer.resourcePath(key.substring(2)))) {
          dirty.add(key);
        } else {
          dirty.remove(key);
        }
      }
      return result;
    }
    return conflictOpened(result);
  }

  /**
   * Writes a new version that differs from the current one only in its key record, as {@code
   * change} makes it from the current record (or a new one) and its unwrapped data keys; retries
   * on a conflict, since each conflict is another writer's progress. Where no state is stored yet,
   * the new version is the first of a new, empty state.
   *
   * @return the new version's serial
   */
  long changeRecord(RecordChange change, AuditEntry audit) {
    while (true) {
      StoredState stored = inner.load().orElseGet(SealingBackend::fresh);
      Snapshot s = stored.snapshot();
      String lineage = s.metadata().lineage();
      ResourceState r = s.resources().get(KeyRecord.RESOURCE_KEY);
      KeyRecord record;
      Map<String, byte[]> dataKeys;
      if (r == null) {
        Map.Entry<KeyRecord, byte[]> made = KeyRecord.create(lineage, sources);
        record = made.getKey();
        dataKeys = Map.of(record.current, made.getValue());
      } else {
        record = KeyRecord.parse(r, inner.location());
        dataKeys = envelope.cached(lineage, record);
        if (dataKeys == null) {
          dataKeys = record.unwrap(lineage, sources, inner.location());
        }
      }
      Map.Entry<KeyRecord, Map<String, byte[]>> next = change.apply(lineage, record, dataKeys);
      java.time.Instant now = java.time.Instant.now();
      ResourceState resource = next.getKey().toResource(r == null ? now : r.createdAt()).withTimestamps(r == null ? now : r.createdAt(), now);
      Snapshot version = Snapshot.of(s.metadata().withSerial(s.metadata().serial() + 1, now), s.hosts(),
          PersistentMap.copyOf(s.resources()).plus(KeyRecord.RESOURCE_KEY, resource));
      SaveResult result = inner.save(new SaveRequest(stored.token(), version,
          List.of(new Change.PutResource(KeyRecord.RESOURCE_KEY, resource)), audit));
      if (result instanceof SaveResult.Saved) {
        envelope.remember(lineage, next.getValue());
        keys = new Keys(lineage, resource, new Sealer(lineage, next.getKey().current, next.getValue(), inner.location()), true);
        if (inner instanceof StoredFormBackend b) {
          b.settle();
        }
        return version.metadata().serial();
      }
    }
  }

  /** An empty state, as a handle starts one where nothing is stored. */
  private static StoredState fresh() {
    java.time.Instant now = java.time.Instant.now();
    return new StoredState(Snapshot.empty(new io.infrastate.model.Metadata(io.infrastate.model.Metadata.FORMAT_VERSION, 0,
        java.util.UUID.randomUUID().toString(), now, now)), io.infrastate.spi.VersionToken.absent());
  }

  /** How a lifecycle operation makes the next key record from the current one. */
  interface RecordChange {
    /** The next record and all its data keys, unwrapped, from the current ones. */
    Map.Entry<KeyRecord, Map<String, byte[]>> apply(String lineage, KeyRecord current, Map<String, byte[]> dataKeys);
  }

  private synchronized Keys create(String lineage) {
    Keys k = keys;
    if (k != null && k.lineage().equals(lineage)) {
      return k;
    }
    Map.Entry<KeyRecord, byte[]> made = KeyRecord.create(lineage, sources);
    KeyRecord record = made.getKey();
    ResourceState resource = record.toResource(java.time.Instant.now());
    k = new Keys(lineage, resource,
        new Sealer(lineage, record.current, Map.of(record.current, made.getValue()), inner.location()), false);
    keys = k;
    return k;
  }

  private SaveResult conflictOpened(SaveResult result) {
    if (result instanceof SaveResult.Conflict c && c.current().isPresent()) {
      return new SaveResult.Conflict(Optional.of(opened(c.current().get(), true)));
    }
    return result;
  }

  /**
   * {@code snap} with the secrets of the touched entries (or of all, for a whole replacement) sealed
   * and the key record in place. Without {@code all}, the cost is that of the touched entries: the
   * maps and the type index are updated entry by entry, sharing the rest with {@code snap}.
   */
  private static Snapshot seal(Snapshot snap, Set<String> touched, boolean all, Keys k) {
    Sealer sealer = k.sealer();
    if (all) {
      PersistentMap<HostState> hosts = snap.hostMap();
      PersistentMap<ResourceState> resources = snap.resourceMap();
      for (HostState h : snap.hosts().values()) {
        hosts = hosts.plus(h.name(), sealer.seal(h));
      }
      for (Map.Entry<String, ResourceState> e : snap.resources().entrySet()) {
        resources = resources.plus(e.getKey(), sealer.seal(e.getKey(), e.getValue()));
      }
      return Snapshot.of(snap.metadata(), hosts, resources.plus(KeyRecord.RESOURCE_KEY, k.resource()));
    }
    PersistentMap<HostState> hosts = snap.hostMap();
    PersistentMap<ResourceState> resources = snap.resourceMap();
    PersistentMap<PersistentMap<ResourceState>> byType = snap.typeIndex();
    for (String key : touched) {
      String name = key.substring(2);
      if (key.startsWith("h:")) {
        HostState h = snap.hosts().get(name);
        HostState sealed = h == null ? null : sealer.seal(h);
        if (sealed != h) {
          hosts = hosts.plus(name, sealed);
        }
      } else {
        ResourceState r = snap.resources().get(name);
        ResourceState sealed = r == null || name.equals(KeyRecord.RESOURCE_KEY) ? r : sealer.seal(name, r);
        if (sealed != r) {
          resources = resources.plus(name, sealed);
          byType = withResource(byType, name, sealed);
        }
      }
    }
    if (resources.get(KeyRecord.RESOURCE_KEY) != k.resource()) {
      ResourceState before = resources.get(KeyRecord.RESOURCE_KEY);
      if (before != null && !before.type().equals(k.resource().type())) {
        return Snapshot.of(snap.metadata(), hosts, resources.plus(KeyRecord.RESOURCE_KEY, k.resource()));
      }
      resources = resources.plus(KeyRecord.RESOURCE_KEY, k.resource());
      byType = withResource(byType, KeyRecord.RESOURCE_KEY, k.resource());
    }
    return snap.derive(snap.metadata(), hosts, resources, byType);
  }

  /** The type index with one resource put in place of the one of the same type and key. */
  private static PersistentMap<PersistentMap<ResourceState>> withResource(
      PersistentMap<PersistentMap<ResourceState>> byType, String key, ResourceState r) {
    PersistentMap<ResourceState> ofType = byType.get(r.type());
    return byType.plus(r.type(), (ofType == null ? PersistentMap.<ResourceState>empty() : ofType).plus(key, r));
  }

  /** The type index without one resource, and without its type once no resource has it. */
  private static PersistentMap<PersistentMap<ResourceState>> withoutResource(
      PersistentMap<PersistentMap<ResourceState>> byType, String key, ResourceState r) {
    PersistentMap<ResourceState> ofType = byType.get(r.type());
    if (ofType == null) {
      return byType;
    }
    PersistentMap<ResourceState> rest = ofType.minus(key);
    return rest.isEmpty() ? byType.minus(r.type()) : byType.plus(r.type(), rest);
  }

  private static boolean holdsSecret(Snapshot snap, Set<String> touched, boolean all) {
    if (all) {
      for (HostState h : snap.hosts().values()) {
        if (Sealer.holdsSecret(h.vars())) {
          return true;
        }
      }
      for (ResourceState r : snap.resources().values()) {
        if (Sealer.holdsSecret(r.data())) {
          return true;
        }
      }
      return false;
    }
    for (String key : touched) {
      Object v = entry(snap, key);
      if (v != null && Sealer.holdsSecret(v)) {
        return true;
      }
    }
    return false;
  }

  /** The vars or data of an entry by its tracking key, or null. */
  private static Object entry(Snapshot snap, String key) {
    String name = key.substring(2);
    if (key.startsWith("h:")) {
      HostState h = snap.hosts().get(name);
      return h == null ? null : h.vars();
    }
    ResourceState r = snap.resources().get(name);
    return r == null ? null : r.data();
  }

  private static String hostKey(String name) {
    return "h:" + name;
  }

  private static String resourceKey(String key) {
    return "r:" + key;
  }
}
