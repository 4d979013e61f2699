package io.infrastate.file;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.PersistentMap;
import io.infrastate.spi.Change;
import java.util.List;
import java.util.TreeMap;

/** Applies journal records to a snapshot: how journal mode turns a base and its records into a version. */
final class Replay {
  private Replay() {}

  /** Applies records to a snapshot; the last record's metadata becomes the snapshot's. */
  static Snapshot apply(Snapshot base, List<JournalCodec.Entry> entries) {
    if (entries.isEmpty()) {
      return base;
    }
    if (base.hosts() instanceof PersistentMap<HostState> ph && base.resources() instanceof PersistentMap<ResourceState> pr) {
      return applyPersistent(base, ph, pr, entries);
    }
    TreeMap<String, HostState> hosts = null;
    TreeMap<String, ResourceState> resources = null;
    for (JournalCodec.Entry e : entries) {
      for (Change c : e.changes()) {
        if (c instanceof Change.PutHost p) {
          hosts = hosts != null ? hosts : new TreeMap<>(base.hosts());
          hosts.put(p.host().name(), p.host());
        } else if (c instanceof Change.RemoveHost r) {
          hosts = hosts != null ? hosts : new TreeMap<>(base.hosts());
          hosts.remove(r.name());
        } else if (c instanceof Change.PutResource p) {
          resources = resources != null ? resources : new TreeMap<>(base.resources());
          resources.put(p.key(), p.resource());
        } else if (c instanceof Change.RemoveResource r) {
          resources = resources != null ? resources : new TreeMap<>(base.resources());
          resources.remove(r.key());
        } else if (c instanceof Change.ReplaceAll r) {
          hosts = new TreeMap<>(r.content().hosts());
          resources = new TreeMap<>(r.content().resources());
        }
      }
    }
    Metadata m = entries.get(entries.size() - 1).metadata();
    if (hosts == null && resources == null) {
      return base.withMetadata(m);
    }
    return Snapshot.of(m, hosts != null ? hosts : base.hosts(), resources != null ? resources : base.resources());
  }

  /**
   * Applies records on the snapshot's persistent maps: O(changes × log N) plus what {@link
   * Snapshot#of} costs, instead of copying N entries.
   */
  private static Snapshot applyPersistent(Snapshot base, PersistentMap<HostState> hosts, PersistentMap<ResourceState> resources,
      List<JournalCodec.Entry> entries) {
    boolean resourcesChanged = false;
    for (JournalCodec.Entry e : entries) {
      for (Change c : e.changes()) {
        if (c instanceof Change.PutHost p) {
          hosts = hosts.plus(p.host().name(), p.host());
        } else if (c instanceof Change.RemoveHost r) {
          hosts = hosts.minus(r.name());
        } else if (c instanceof Change.PutResource p) {
          resources = resources.plus(p.key(), p.resource());
          resourcesChanged = true;
        } else if (c instanceof Change.RemoveResource r) {
          resources = resources.minus(r.key());
          resourcesChanged = true;
        } else if (c instanceof Change.ReplaceAll r) {
          hosts = PersistentMap.copyOf(r.content().hosts());
          resources = PersistentMap.copyOf(r.content().resources());
          resourcesChanged = true;
        }
      }
    }
    Metadata m = entries.get(entries.size() - 1).metadata();
    if (hosts == base.hosts() && !resourcesChanged) {
      return base.withMetadata(m);
    }
    return Snapshot.of(m, hosts, resources);
  }
}
