package io.infrastate.postgres;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Reads a state's versions and rebuilds them from the rows: the load statement (the newest
 * checkpoint at or below a serial and the versions after it, in one statement, hence one snapshot
 * of the database), the refresh statement (the head joined to the rows after a known version), the
 * tail after a version, and the history. Every rebuild checks that the serials are contiguous, the
 * lineage is one, and the result is what the head says; damage is a {@link CorruptStateException}
 * naming the row. Keeps the last few versions it rebuilt or was told of, so that a refresh or a
 * conflict replays only the new rows.
 *
 * <p>Instances are thread-safe; each call uses the connection it is given.
 */
final class VersionRows {
  /** Identifies a version across lineages. */
  private record VersionKey(String lineage, long serial) {}

  /**
   * The head row of a state.
   *
   * @param serial the latest serial
   * @param lineage the latest lineage
   */
  record Head(long serial, String lineage, boolean intact) {
    Head(long serial, String lineage) {
      this(serial, lineage, true);
    }
  }

  /** A versions row as read, not yet decoded; {@code hash}: 1 intact, 0 changed, -1 none. */
  private record Raw(long serial, String lineage, String kind, Object removedHosts, Object removedResources, byte[] payload,
      int hash) {
    boolean intact() {
      return hash == 1;
    }
  }

  private final String state;
  private final String location;
  private final int checkpointInterval;
  private final Consumer<Snapshot> longTail;
  private final Cache<VersionKey, Snapshot> versions = Caffeine.newBuilder().maximumSize(8).build();
  private final String sqlLoad;
  private final String sqlAt;
  private final String sqlChangedSince;
  private final String sqlTail;
  private final String sqlHistory;

  /**
   * Creates a reader.
   *
   * @param longTail called with a version rebuilt from a tail longer than twice its checkpoint
   *     interval (a checkpoint is missing: a writer died before writing it)
   */
  VersionRows(Schema schema, String state, String location, int checkpointInterval, Consumer<Snapshot> longTail) {
    this.state = state;
    this.location = location;
    this.checkpointInterval = checkpointInterval;
    this.longTail = longTail;
    String states = schema.table("states");
    String vers = schema.table("versions");
    String cps = schema.table("checkpoints");
    String rowHash = hashState("v.", RowHash.versions("v."));
    String rowCols = "v.serial, v.lineage, v.kind, v.removed_hosts, v.removed_resources, v.payload, " + rowHash;
    String body = " c AS (SELECT max(k.serial) AS serial FROM " + cps + " k, h WHERE k.state = ? AND k.serial <= h.serial)"
        + " SELECT 0 AS part, h.serial, h.lineage, NULL::text AS kind, NULL::text[] AS removed_hosts,"
        + " NULL::text[] AS removed_resources, NULL::bytea AS payload, h.hash FROM h"
        + " UNION ALL SELECT 1, k.serial, k.lineage, 'checkpoint', NULL, NULL, k.content, "
        + hashState("k.", RowHash.checkpoints("k.")) + " FROM " + cps + " k, c WHERE k.state = ? AND k.serial = c.serial"
        + " UNION ALL SELECT 2, " + rowCols + " FROM " + vers + " v, c, h WHERE v.state = ? AND v.serial > c.serial";
    // a load reads the rows beyond the head too: infrastate never leaves one, so any is an external edit
    this.sqlLoad = "WITH h AS (SELECT serial, lineage, " + hashState("", RowHash.states("")) + " AS hash FROM " + states
        + " WHERE state = ?)," + body + " ORDER BY 1, 2";
    this.sqlAt = "WITH h AS (SELECT ?::bigint AS serial, ''::text AS lineage, 1 AS hash WHERE EXISTS (SELECT 1 FROM " + vers
        + " WHERE state = ? AND serial = ?) OR EXISTS (SELECT 1 FROM " + cps + " WHERE state = ? AND serial = ?)),"
        + body + " AND v.serial <= h.serial ORDER BY 1, 2";
    this.sqlChangedSince = "SELECT h.serial, h.lineage, " + rowCols + ", " + RowHash.intact("h.", RowHash.states("h."))
        + " AND NOT EXISTS (SELECT 1 FROM " + vers + " x WHERE x.state = h.state AND x.serial > h.serial) FROM " + states
        + " h LEFT JOIN " + vers + " v ON v.state = h.state AND ? AND v.serial > ? AND v.serial <= h.serial AND v.serial <= ?"
        + " WHERE h.state = ? ORDER BY v.serial";
    this.sqlTail = "SELECT " + rowCols + " FROM " + vers + " v WHERE v.state = ? AND v.serial > ? AND v.serial <= ?"
        + " ORDER BY v.serial";
    this.sqlHistory = "SELECT serial, written_at, operator, operation, reason, lock_names, lock_tokens FROM " + vers
        + " WHERE state = ? ORDER BY serial DESC LIMIT ?";
  }

  /** 1 if a row's hash matches its content, 0 if it differs, -1 if it has none. */
  private static String hashState(String p, String hash) {
    return "CASE WHEN " + p + "content_hash IS NULL THEN -1 WHEN " + p + "content_hash = " + hash + " THEN 1 ELSE 0 END";
  }

  /**
   * The latest version, or empty if the state has no head row. Where rows were changed outside
   * infrastate, the edited content as the next version, with a {@link RowEdits.Pending} token.
   */
  Optional<StoredState> load(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sqlLoad)) {
      for (int i = 1; i <= 4; i++) {
        ps.setString(i, state);
      }
      return rebuild(ps, -1);
    }
  }

  /** One kept version, or empty. */
  Optional<StoredState> at(Connection c, long serial) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sqlAt)) {
      ps.setLong(1, serial);
      ps.setString(2, state);
      ps.setLong(3, serial);
      ps.setString(4, state);
      ps.setLong(5, serial);
      for (int i = 6; i <= 8; i++) {
        ps.setString(i, state);
      }
      return rebuild(ps, serial);
    }
  }

  /**
   * What changed after a known version, in one indexed statement: {@code Optional.of(empty)} if
   * nothing, {@code Optional.of(newer)} if the new rows replay onto the known version, or empty if
   * a full load must decide (the known version is not cached, the lineage changed, a full version
   * or too many rows came since, or the state has no head).
   */
  Optional<Optional<StoredState>> changedSince(Connection c, VersionToken known) throws SQLException {
    Snapshot base = cached(known);
    long limit = known.serial() + 2L * (base == null ? checkpointInterval : interval(base));
    try (PreparedStatement ps = c.prepareStatement(sqlChangedSince)) {
      ps.setBoolean(1, base != null);
      ps.setLong(2, known.serial());
      ps.setLong(3, limit);
      ps.setString(4, state);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        Head head = new Head(rs.getLong(1), rs.getString(2));
        if (!rs.getBoolean(10)) {
          return Optional.empty(); // the head was changed outside infrastate, or rows lie beyond it: a load decides
        }
        if (head.serial() == known.serial() && head.lineage().equals(known.lineage())) {
          return Optional.of(Optional.empty());
        }
        if (base == null || !head.lineage().equals(known.lineage()) || head.serial() < known.serial()
            || head.serial() > limit) {
          return Optional.empty();
        }
        List<Delta.Decoded> tail = new ArrayList<>();
        do {
          if (rs.getObject(3) == null) {
            return Optional.empty();
          }
          if (rs.getInt(9) != 1) {
            return Optional.empty(); // changed outside infrastate: a load describes it
          }
          Delta.Decoded d = decodeRow(rs, 2);
          if (d == null) {
            return Optional.empty(); // a full version: load from its checkpoint
          }
          tail.add(d);
        } while (rs.next());
        return Optional.of(Optional.of(replayOnto(base, tail, head)));
      }
    }
  }

  /** The version the head names: the cached expected version plus its tail when possible. */
  StoredState current(Connection c, Head head, VersionToken expected) throws SQLException {
    Snapshot base = expected.exists() ? cached(expected) : null;
    if (base != null && head.intact() && head.lineage().equals(expected.lineage()) && head.serial() > expected.serial()
        && head.serial() - expected.serial() <= 2L * interval(base)) {
      List<Delta.Decoded> tail = new ArrayList<>();
      boolean deltas = true;
      try (PreparedStatement ps = c.prepareStatement(sqlTail)) {
        ps.setString(1, state);
        ps.setLong(2, expected.serial());
        ps.setLong(3, head.serial());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Delta.Decoded d = rs.getInt(7) == 1 ? decodeRow(rs, 0) : null;
            if (d == null) {
              deltas = false;
              break;
            }
            tail.add(d);
          }
        }
      }
      if (deltas) {
        return replayOnto(base, tail, head);
      }
    }
    return load(c).orElseThrow(() -> corrupt(head.serial(), "$", "the head row exists but the state could not be loaded"));
  }

  /** The newest versions' audit entries, newest first. */
  List<VersionInfo> history(Connection c, int limit) throws SQLException {
    List<VersionInfo> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sqlHistory)) {
      ps.setString(1, state);
      ps.setInt(2, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String[] names = (String[]) rs.getArray(6).getArray();
          Long[] tokens = (Long[]) rs.getArray(7).getArray();
          Map<String, Long> locks = new TreeMap<>();
          for (int k = 0; k < names.length; k++) {
            locks.put(names[k], tokens[k]);
          }
          out.add(new VersionInfo(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3),
              rs.getString(4), rs.getString(5), locks));
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * Versions between checkpoints of a state this size: the configured interval, or for a large
   * state every (hosts + resources) / 128 versions rounded down to a power of two (so that every
   * writer and loader agrees on the serials due), which keeps the checkpoints' share of each write
   * near 64 KB however large the state grows.
   */
  long interval(Snapshot s) {
    long bySize = Long.highestOneBit(Math.max(1, (s.hosts().size() + (long) s.resources().size()) / 128));
    return Math.max(checkpointInterval, bySize);
  }

  /** Keeps a version (just written or rebuilt) for later replays; returns it with its token. */
  StoredState remember(Snapshot s) {
    versions.put(new VersionKey(s.metadata().lineage(), s.metadata().serial()), s);
    return new StoredState(s, VersionToken.of(s.metadata().serial(), s.metadata().lineage()));
  }

  private Snapshot cached(VersionToken token) {
    return versions.getIfPresent(new VersionKey(token.lineage(), token.serial()));
  }

  /** Runs a load or at statement and rebuilds the version it names ({@code wanted}, or -1: the head). */
  private Optional<StoredState> rebuild(PreparedStatement ps, long wanted) throws SQLException {
    Head head = null;
    Snapshot checkpoint = null;
    long checkpointSerial = -1;
    int checkpointHash = 1;
    List<Raw> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        int part = rs.getInt(1);
        if (part == 0) {
          head = new Head(rs.getLong(2), rs.getString(3), rs.getInt(8) == 1);
        } else if (part == 1) {
          checkpointSerial = rs.getLong(2);
          checkpointHash = rs.getInt(8);
          checkpoint = StateCodec.decode(rs.getBytes(7), location + " (checkpoint " + checkpointSerial + ")", "");
        } else {
          rows.add(new Raw(rs.getLong(2), rs.getString(3), rs.getString(4), rs.getArray(5).getArray(),
              rs.getArray(6).getArray(), rs.getBytes(7), rs.getInt(8)));
        }
      }
    }
    if (head == null) {
      return Optional.empty();
    }
    if (checkpoint == null) {
      throw corrupt(head.serial(), "$", "there is no checkpoint at or before serial " + head.serial()
          + " to apply the versions to (checkpoints were deleted)");
    }
    if (checkpoint.metadata().serial() != checkpointSerial) {
      throw new CorruptStateException(location, "$.metadata.serial", "Checkpoint " + checkpointSerial + " of " + location
          + " holds serial " + checkpoint.metadata().serial() + ". It was not modified; restore it from a backup.", null);
    }
    boolean foreign = false;
    if (wanted < 0) {
      long headSerial = head.serial();
      boolean edited = !head.intact() || checkpointHash != 1
          || rows.stream().anyMatch(r -> !r.intact() || r.serial() > headSerial);
      boolean known = head.intact() || checkpointHash == 1 || rows.stream().anyMatch(Raw::intact);
      if (edited && known) {
        return Optional.of(edited(head, checkpoint, checkpointHash, rows).stored());
      }
      foreign = edited; // rows no infrastate wrote (a state made by SQL): loaded as they are
    }
    List<Delta.Decoded> tail = new ArrayList<>();
    for (Raw r : rows) {
      Delta.Decoded d = decode(r);
      if (d == null) {
        throw corrupt(r.serial(), "$", "version " + r.serial() + " is a full version without its checkpoint row");
      }
      tail.add(d);
    }
    StoredState out = replayOnto(checkpoint, tail, wanted < 0 ? head : null);
    if (wanted >= 0 && out.snapshot().metadata().serial() != wanted) {
      return Optional.empty();
    }
    if (foreign) {
      Metadata m = out.snapshot().metadata();
      return Optional.of(new StoredState(out.snapshot(), new RowEdits.Foreign(m.serial(), m.lineage())));
    }
    if (wanted < 0 && tail.size() > 2L * interval(out.snapshot())) {
      longTail.accept(out.snapshot());
    }
    return Optional.of(out);
  }

  /** Describes rows changed outside infrastate: see {@link RowEdits}. */
  private RowEdits.Found edited(Head head, Snapshot checkpoint, int checkpointHash, List<Raw> rows) {
    long cp = checkpoint.metadata().serial();
    // the last version infrastate wrote
    long replaced;
    if (head.intact()) {
      replaced = head.serial();
    } else {
      replaced = checkpointHash == 1 ? cp : -1;
      for (Raw r : rows) {
        if (r.intact()) {
          replaced = Math.max(replaced, r.serial());
        }
      }
      if (replaced < 0) {
        replaced = cp;
      }
    }
    // the edited content: through the head if it was changed (it decides), else through every row
    List<Delta.Decoded> tail = new ArrayList<>();
    for (Raw r : rows) {
      if (!head.intact() && r.serial() > head.serial()) {
        break;
      }
      Delta.Decoded d = decode(r);
      if (d == null) {
        throw corrupt(r.serial(), "$", "version " + r.serial() + " is a full version without its checkpoint row");
      }
      tail.add(d);
    }
    checkContiguous(checkpoint, tail);
    Snapshot content = Delta.applyAll(checkpoint, tail);
    if (!head.intact() && content.metadata().serial() != head.serial()) {
      throw corrupt(head.serial(), "$", "the head of the state says serial " + head.serial() + " of lineage '"
          + head.lineage() + "' but its versions end at serial " + content.metadata().serial());
    }
    String lineage = content.metadata().lineage();
    // the replaced version as infrastate wrote it: from intact rows, else from memory
    Snapshot original = null;
    boolean inPlace = checkpointHash == 0;
    List<String> notes = new ArrayList<>();
    if (!head.intact()) {
      notes.add("the head row (table states) was changed: it names version " + head.serial());
    }
    if (checkpointHash != 1) {
      notes.add("checkpoint " + cp + " (table checkpoints) was " + (checkpointHash == 0 ? "changed" : "not written by infrastate"));
    }
    boolean intactToReplaced = checkpointHash == 1 && replaced >= cp;
    List<Delta.Decoded> upTo = new ArrayList<>();
    for (Raw r : rows) {
      if (!r.intact()) {
        inPlace |= r.serial() <= replaced && r.hash() == 0;
        notes.add("version row " + r.serial() + " (table versions) was " + (r.hash() == 0 ? "changed"
            : "not written by infrastate") + (r.serial() > head.serial() && head.intact() ? ", beyond the head" : ""));
      } else if (r.serial() > head.serial() && head.intact()) {
        notes.add("version row " + r.serial() + " (table versions) lies beyond the head");
      }
      if (r.serial() <= replaced) {
        Delta.Decoded d = r.intact() ? decodeQuietly(r) : null;
        if (d == null) {
          intactToReplaced = false;
        } else {
          upTo.add(d);
        }
      }
    }
    if (intactToReplaced) {
      try {
        checkContiguous(checkpoint, upTo);
        Snapshot s = Delta.applyAll(checkpoint, upTo);
        original = s.metadata().serial() == replaced ? s : null;
      } catch (CorruptStateException e) {
        original = null;
      }
    }
    if (original == null) {
      original = versions.getIfPresent(new VersionKey(lineage, replaced));
    }
    if (original == null) {
      notes.add("version " + replaced + " as infrastate wrote it is no longer known: its row was changed in place");
    }
    Map<String, Long> fences = new TreeMap<>(content.metadata().fences());
    if (original != null) {
      original.metadata().fences().forEach((lock, token) -> fences.merge(lock, token, Math::max));
    }
    Metadata m = content.metadata();
    Metadata meta = new Metadata(m.version(), replaced + 1, lineage, m.createdAt(), m.updatedAt(), fences);
    return new RowEdits.Found(content.withMetadata(meta), replaced, original, inPlace && original != null, List.copyOf(notes));
  }

  private Delta.Decoded decode(Raw r) {
    if ("full".equals(r.kind())) {
      return null;
    }
    if (r.payload() == null) {
      throw corrupt(r.serial(), "$", "the delta row has no payload");
    }
    Snapshot p = StateCodec.decode(r.payload(), rowName(r.serial()), "");
    if (p.metadata().serial() != r.serial() || !p.metadata().lineage().equals(r.lineage())) {
      throw corrupt(r.serial(), "$.metadata", "the payload holds serial " + p.metadata().serial() + " of lineage '"
          + p.metadata().lineage() + "', not serial " + r.serial() + " of lineage '" + r.lineage() + "'");
    }
    return new Delta.Decoded(r.serial(), r.lineage(), p, Delta.list(r.removedHosts()), Delta.list(r.removedResources()));
  }

  private Delta.Decoded decodeQuietly(Raw r) {
    try {
      return decode(r);
    } catch (io.infrastate.model.StateException e) {
      return null;
    }
  }

  /** Decodes a versions row starting after column {@code first}; null for a full version. */
  private Delta.Decoded decodeRow(ResultSet rs, int first) throws SQLException {
    return decode(new Raw(rs.getLong(first + 1), rs.getString(first + 2), rs.getString(first + 3),
        rs.getArray(first + 4).getArray(), rs.getArray(first + 5).getArray(), rs.getBytes(first + 6), 1));
  }

  /** Applies a contiguous tail of deltas to a base; checks serials, lineage and the head (if given). */
  private StoredState replayOnto(Snapshot base, List<Delta.Decoded> tail, Head head) {
    checkContiguous(base, tail);
    Snapshot latest = Delta.applyAll(base, tail);
    if (head != null && (latest.metadata().serial() != head.serial()
        || (!head.lineage().isEmpty() && !latest.metadata().lineage().equals(head.lineage())))) {
      throw corrupt(head.serial(), "$", "the head of the state says serial " + head.serial() + " of lineage '"
          + head.lineage() + "' but its versions end at serial " + latest.metadata().serial());
    }
    return remember(latest);
  }

  private void checkContiguous(Snapshot base, List<Delta.Decoded> tail) {
    long expect = base.metadata().serial() + 1;
    for (Delta.Decoded d : tail) {
      if (d.serial() != expect) {
        throw corrupt(expect, "$", "the versions are missing serial " + expect + " (the next row is " + d.serial() + ")");
      }
      if (!d.lineage().equals(base.metadata().lineage())) {
        throw corrupt(d.serial(), "$.metadata.lineage", "the row has lineage '" + d.lineage()
            + "' but the version before it has '" + base.metadata().lineage() + "'");
      }
      expect++;
    }
  }

  private String rowName(long serial) {
    return location + " (version " + serial + ")";
  }

  CorruptStateException corrupt(long serial, String path, String what) {
    return new CorruptStateException(rowName(serial), path, "State '" + state + "' at " + location + " is damaged at"
        + " version " + serial + ": " + what + ". Nothing was written; restore the schema's tables from a backup.", null);
  }
}
