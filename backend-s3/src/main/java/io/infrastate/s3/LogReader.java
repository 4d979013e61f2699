package io.infrastate.s3;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a backend reads: the latest version (a cold load, or a refresh of one LIST from a known
 * version), an earlier version, and the history. Loads queue the repairs of derived objects they
 * find owed ({@link DerivedObjects#afterLoad}).
 *
 * <p>Thread-safe.
 */
final class LogReader {
  /*
   * Design notes.
   *
   * LOADING. A cold load lists the checkpoints and the log after the newest one, and rebuilds the
   * last listed serial (LogReplay). It never depends on the derived objects being current: it uses
   * the newest checkpoint that exists and replays a longer tail. A refresh from a version this
   * process holds is one LIST starting at the known record; when the known record is no longer
   * listed (pruned, deleted, replaced), a full load decides. A listed object that vanished before it
   * was read was pruned meanwhile: the load starts again (LOAD_ATTEMPTS times).
   *
   * THE FIRST COMMIT'S BASE. A state with no log yet may exist only as a state.json at the user's
   * key (uploaded by hand or written by Go-FTL2): it is imported as the base, with its own serial
   * (0 for Go files), and identified by its ETag (S3Token.imported).
   */
  private static final Logger LOG = LoggerFactory.getLogger(LogReader.class);

  private static final int LOAD_ATTEMPTS = 4;

  private final LogLayout layout;
  private final S3Store store;
  private final StoredForms forms;
  private final CheckpointTally tally;
  private final LogReplay replay;
  private final DerivedObjects derived;
  private final Function<VersionToken, Optional<StoredState>> decideFromScratch;
  private final Cache<VersionKey, Snapshot> versions = Caffeine.newBuilder().maximumSize(8).build();

  /**
   * @param decideFromScratch {@code loadIfChanged} by a full load, for when a refresh cannot tell
   */
  LogReader(LogLayout layout, StoredForms forms, CheckpointTally tally, LogReplay replay, DerivedObjects derived,
      Function<VersionToken, Optional<StoredState>> decideFromScratch) {
    this.layout = layout;
    this.store = layout.store();
    this.forms = forms;
    this.tally = tally;
    this.replay = replay;
    this.derived = derived;
    this.decideFromScratch = decideFromScratch;
  }

  /** A version this process holds (wrote or loaded recently), or null. */
  Snapshot held(VersionKey v) {
    return versions.getIfPresent(v);
  }

  /** Keeps a version this process wrote or loaded, and returns it with its token. */
  StoredState remember(Snapshot s) {
    versions.put(VersionKey.of(s), s);
    return new StoredState(s, new S3Token(s.metadata().serial(), s.metadata().lineage(), false, ""));
  }

  /** The latest version; see {@link S3Backend#loadIfChanged}. */
  Optional<StoredState> loadIfChanged(VersionToken known) {
    if (known instanceof S3Token t && t.imported()) {
      // A file without log: the same serial and lineage may hold other content (edited by hand).
      Optional<StoredState> latest = load();
      if (latest.isPresent() && latest.get().token() instanceof S3Token now && now.imported()
          && now.copyEtag().equals(t.copyEtag())) {
        return Optional.empty();
      }
      return latest.isPresent() ? latest : decideFromScratch.apply(known);
    }
    if (!(known instanceof S3Token t) || t.serial() < 1) {
      return decideFromScratch.apply(known);
    }
    return changedSince(t);
  }

  /**
   * What was committed after a known log version: one LIST that starts at the known record. When
   * the known record is no longer listed (pruned, deleted, replaced), a full load decides.
   */
  Optional<StoredState> changedSince(S3Token known) {
    List<LogLayout.Numbered> listed = layout.numbered(layout.logPrefix(), layout.logKey(known.serial() - 1), Integer.MAX_VALUE);
    List<Long> after = listed.stream().map(LogLayout.Numbered::serial).toList();
    if (after.isEmpty() || after.get(0) != known.serial()) {
      // The known record is gone (log pruned past it, deleted, or replaced): decide from scratch.
      return decideFromScratch.apply(known);
    }
    if (after.size() == 1) {
      return Optional.empty();
    }
    Snapshot base = held(new VersionKey(known.lineage(), known.serial()));
    if (base == null) {
      return decideFromScratch.apply(known);
    }
    try {
      List<LogReplay.Entry> tail = new ArrayList<>();
      for (int i = 1; i < after.size(); i++) {
        tail.add(new LogReplay.Entry(after.get(i), replay.record(after.get(i))));
      }
      replay.checkContiguous(known.serial(), after);
      Snapshot latest = replay.replay(base, tail);
      derived.afterRefresh(latest, listed.subList(1, listed.size()));
      return Optional.of(remember(latest));
    } catch (LogReplay.Vanished v) {
      return decideFromScratch.apply(known);
    }
  }

  /** The latest version, by a full load. */
  Optional<StoredState> load() {
    for (int attempt = 1; ; attempt++) {
      try {
        return loadOnce();
      } catch (LogReplay.Vanished v) {
        if (attempt >= LOAD_ATTEMPTS) {
          throw new BackendException(
              "The log of " + layout.location() + " changed under each of " + attempt + " loads (object "
                  + v.getMessage() + " vanished after it was listed); another process is pruning it."
                  + " Retry later.", null, true);
        }
        LOG.debug("Object {} vanished while loading {}; loading again", v.getMessage(), layout.location());
      }
    }
  }

  private Optional<StoredState> loadOnce() {
    List<Long> cps = new ArrayList<>(layout.checkpoints());
    List<LogReplay.DamagedCheckpoint> damaged = new ArrayList<>();
    while (true) {
      Long cp = cps.isEmpty() ? null : cps.get(cps.size() - 1);
      try {
        Optional<StoredState> loaded = loadFrom(cp, damaged);
        if (loaded.isEmpty() && !damaged.isEmpty()) {
          throw damaged.get(0); // checkpoints without a log: nothing to rebuild them from
        }
        return loaded;
      } catch (LogReplay.DamagedCheckpoint d) {
        if (cp == null || d.serial != cp) {
          throw d;
        }
        LOG.warn("Checkpoint {} of {} is damaged and is not used ({}); rebuilding its version from the log",
            cp, layout.location(), d.getMessage());
        damaged.add(d);
        cps.remove(cps.size() - 1);
      } catch (CorruptStateException e) {
        if (damaged.isEmpty()) {
          throw e;
        }
        // the log cannot rebuild what the damaged checkpoint held (pruned, or damaged too): report both
        LogReplay.DamagedCheckpoint d = damaged.get(0);
        throw new CorruptStateException(d.location(), null, d.getMessage() + " The log cannot rebuild its version"
            + " either: " + e.getMessage(), e);
      }
    }
  }

  /**
   * Loads from the checkpoint {@code cp} (null: from the log alone) and the log after it.
   *
   * @param damaged newer checkpoints found damaged, replaced in the background once the log rebuilt
   *     their versions
   */
  private Optional<StoredState> loadFrom(Long cp, List<LogReplay.DamagedCheckpoint> damaged) {
    // from the checkpoint's own record on: a checkpoint is trusted only for a serial the log holds
    List<LogLayout.Numbered> listed =
        layout.numbered(layout.logPrefix(), cp == null ? null : layout.logKey(cp - 1), Integer.MAX_VALUE);
    if (cp != null) {
      if (listed.isEmpty() || listed.get(0).serial() != cp) {
        if (!layout.serials(layout.checkpointPrefix(), layout.checkpointKey(cp), 1).isEmpty()) {
          throw new LogReplay.Vanished(layout.checkpointKey(cp)); // a newer checkpoint appeared: pruning in progress
        }
        if (listed.isEmpty()) {
          throw new LogReplay.DamagedCheckpoint(cp, null, new CorruptStateException(
              store.uri(layout.checkpointKey(cp)), null, "Checkpoint " + store.uri(layout.checkpointKey(cp))
                  + " is newer than the log of " + layout.location() + ", which does not hold serial " + cp
                  + ". It was not modified; restore the log from a backup or bucket versioning.", null));
        }
        throw layout.corrupt(layout.logKey(cp), "the log is missing serials " + cp + " to "
            + (listed.get(0).serial() - 1) + " of checkpoint " + cp);
      }
      listed = listed.subList(1, listed.size());
    }
    List<Long> tail = listed.stream().map(LogLayout.Numbered::serial).toList();
    if (cp == null && tail.isEmpty()) {
      return damaged.isEmpty() ? importCopy() : Optional.empty();
    }
    long firstSerial = cp != null ? cp : tail.get(0) - 1;
    replay.checkContiguous(firstSerial, LogReplay.prepend(firstSerial, tail));
    LogReplay.Reconstruction r = replay.reconstruct(cp, tail, layout.location());
    // repairs off the caller's path: a checkpoint a dead writer owed, a readable copy behind
    derived.afterLoad(r.snapshot(), listed);
    for (LogReplay.DamagedCheckpoint d : damaged) {
      if (d.etag == null) {
        continue; // newer than the log: there is no version to rebuild it from
      }
      List<Long> upTo = tail.stream().filter(s -> s <= d.serial).toList();
      derived.replaceCheckpoint(d.serial, d.etag,
          () -> replay.reconstruct(cp, upTo, layout.location() + "@" + d.serial).snapshot());
    }
    LOG.debug("Loaded {} at serial {} ({} records replayed)", layout.location(), r.snapshot().metadata().serial(),
        r.replayed());
    return Optional.of(remember(r.snapshot()));
  }

  private Optional<StoredState> importCopy() {
    Optional<S3Store.Blob> copy = store.get(layout.key());
    if (copy.isEmpty()) {
      return Optional.empty();
    }
    S3Store.Blob b = copy.get();
    if (b.metadata().containsKey(S3Backend.COPY_SERIAL)) {
      LOG.warn("{} is a copy written by infrastate (serial {}), but its log under {} is empty: importing"
          + " the copy as the base of a new log", layout.location(), b.metadata().get(S3Backend.COPY_SERIAL),
          layout.logPrefix());
    }
    Snapshot s = forms.readCopy(b.content(), layout.location(),
        "the log under " + store.uri(layout.dir()) + " is empty, so this file is the only copy");
    tally.stateBytes(b.content().length);
    return Optional.of(new StoredState(s, new S3Token(s.metadata().serial(), s.metadata().lineage(), true, b.etag())));
  }

  /** Whether the log record of a serial names this write id; see {@link S3Backend#committedBy}. */
  boolean committedBy(long serial, String writeId) {
    if (serial < 1) {
      return false;
    }
    try {
      return writeId.equals(replay.record(serial).commit());
    } catch (LogReplay.Vanished v) {
      return false;
    }
  }

  /** The log, newest first; see {@link S3Backend#history}. */
  List<VersionInfo> history(int limit) {
    List<Long> all = layout.serials(layout.logPrefix(), null, Integer.MAX_VALUE);
    List<VersionInfo> out = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
      long s = all.get(i);
      LogRecord r;
      try {
        r = replay.record(s);
      } catch (LogReplay.Vanished v) {
        break; // pruned while listing: older entries are gone too
      }
      out.add(new VersionInfo(s, r.time(), r.operator(), r.operation(), r.reason(), r.locks()));
    }
    return out;
  }

  /** An earlier version; see {@link S3Backend#at}. */
  Optional<StoredState> at(long serial) {
    if (serial < 0) {
      return Optional.empty();
    }
    for (Map.Entry<VersionKey, Snapshot> e : versions.asMap().entrySet()) {
      if (e.getKey().serial() == serial) {
        Snapshot s = e.getValue();
        return Optional.of(new StoredState(s, new S3Token(serial, s.metadata().lineage(), false, "")));
      }
    }
    try {
      long newest = layout.newestCheckpointAtOrBefore(serial);
      Long cp = newest < 0 ? null : newest;
      List<Long> tail = new ArrayList<>();
      if (cp == null || cp < serial) {
        long need = serial - (cp == null ? 0 : cp);
        for (long s : layout.serials(layout.logPrefix(), cp == null ? null : layout.logKey(cp),
            (int) Math.min(Integer.MAX_VALUE, need))) {
          if (s <= serial) {
            tail.add(s);
          }
        }
        if (tail.isEmpty() || tail.get(tail.size() - 1) != serial) {
          return Optional.empty();
        }
        long before = cp != null ? cp : tail.get(0) - 1;
        replay.checkContiguous(before, LogReplay.prepend(before, tail));
        if (cp == null && !replay.hasFullRecord(tail)) {
          return Optional.empty(); // the log before it was pruned and no checkpoint is left for it
        }
      }
      Snapshot s = replay.reconstruct(cp, tail, layout.location() + "@" + serial).snapshot();
      return Optional.of(new StoredState(s, new S3Token(serial, s.metadata().lineage(), false, "")));
    } catch (LogReplay.Vanished v) {
      return Optional.empty();
    }
  }
}
