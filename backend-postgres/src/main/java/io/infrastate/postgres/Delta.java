package io.infrastate.postgres;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one version's row holds: for a delta, a state.json document with the version's metadata
 * and the final value of every host and resource it put, plus the keys it removed; for a full
 * version, the whole state.json (stored as its checkpoint). Computed before any database work, so
 * that an encoding failure stores nothing.
 *
 * @param full whether the version is stored whole
 * @param document the state.json document (UTF-8): the delta's entries, or the whole state
 * @param removedHosts host names removed (delta only)
 * @param removedResources resource keys removed (delta only)
 */
record Delta(boolean full, byte[] document, String[] removedHosts, String[] removedResources) {

  /** Encodes a save: whole for the first version, a replacement or a new lineage; else the change. */
  static Delta of(SaveRequest req) {
    Snapshot next = req.snapshot();
    boolean full = !req.expected().exists()
        || !req.expected().lineage().equals(next.metadata().lineage());
    for (Change c : req.changes()) {
      full |= c instanceof Change.ReplaceAll;
    }
    if (full) {
      return new Delta(true, text(next), new String[0], new String[0]);
    }
    Set<String> putHosts = new LinkedHashSet<>();
    Set<String> removedHosts = new LinkedHashSet<>();
    Set<String> putResources = new LinkedHashSet<>();
    Set<String> removedResources = new LinkedHashSet<>();
    for (Change c : req.changes()) {
      if (c instanceof Change.PutHost p) {
        putHosts.add(p.host().name());
        removedHosts.remove(p.host().name());
      } else if (c instanceof Change.RemoveHost r) {
        putHosts.remove(r.name());
        removedHosts.add(r.name());
      } else if (c instanceof Change.PutResource p) {
        putResources.add(p.key());
        removedResources.remove(p.key());
      } else if (c instanceof Change.RemoveResource r) {
        putResources.remove(r.key());
        removedResources.add(r.key());
      }
    }
    TreeMap<String, HostState> hosts = new TreeMap<>();
    for (String h : putHosts) {
      HostState v = next.hosts().get(h);
      if (v == null) {
        removedHosts.add(h);
      } else {
        hosts.put(h, v);
      }
    }
    TreeMap<String, ResourceState> resources = new TreeMap<>();
    for (String r : putResources) {
      ResourceState v = next.resources().get(r);
      if (v == null) {
        removedResources.add(r);
      } else {
        resources.put(r, v);
      }
    }
    return new Delta(false, text(Snapshot.of(next.metadata(), hosts, resources)),
        removedHosts.toArray(new String[0]), removedResources.toArray(new String[0]));
  }

  /**
   * Applies a delta to a base version.
   *
   * @param base the version before
   * @param payload the delta's document, decoded
   * @param removedHosts the host names it removed
   * @param removedResources the resource keys it removed
   * @return the version after
   */
  static Snapshot apply(Snapshot base, Snapshot payload, List<String> removedHosts, List<String> removedResources) {
    TreeMap<String, HostState> hosts = new TreeMap<>(base.hosts());
    TreeMap<String, ResourceState> resources = new TreeMap<>(base.resources());
    removedHosts.forEach(hosts::remove);
    removedResources.forEach(resources::remove);
    hosts.putAll(payload.hosts());
    resources.putAll(payload.resources());
    return Snapshot.of(payload.metadata(), hosts, resources);
  }

  /** Applies several decoded deltas in order. */
  static Snapshot applyAll(Snapshot base, List<Decoded> deltas) {
    if (deltas.isEmpty()) {
      return base;
    }
    if (deltas.size() == 1) {
      Decoded d = deltas.get(0);
      return apply(base, d.payload(), d.removedHosts(), d.removedResources());
    }
    TreeMap<String, HostState> hosts = new TreeMap<>(base.hosts());
    TreeMap<String, ResourceState> resources = new TreeMap<>(base.resources());
    Snapshot last = base;
    for (Decoded d : deltas) {
      d.removedHosts().forEach(hosts::remove);
      d.removedResources().forEach(resources::remove);
      hosts.putAll(d.payload().hosts());
      resources.putAll(d.payload().resources());
      last = d.payload();
    }
    return Snapshot.of(last.metadata(), hosts, resources);
  }

  /** A delta row as read back. */
  record Decoded(long serial, String lineage, Snapshot payload, List<String> removedHosts, List<String> removedResources) {}

  static List<String> list(Object sqlArray) {
    List<String> out = new ArrayList<>();
    if (sqlArray instanceof Object[] a) {
      for (Object o : a) {
        out.add((String) o);
      }
    }
    return out;
  }

  static byte[] text(Snapshot s) {
    return StateCodec.encode(s);
  }
}
