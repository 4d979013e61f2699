package io.infrastate.file;

import io.infrastate.model.BackendException;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Journal mode's history: the audit of every record in the live journal and in the journals of
 * earlier bases kept in {@code <name>.history/}, and any version among them rebuilt from its base
 * and records.
 *
 * <p>Reads only, under no lock but a shared one where it may be taken: a compaction links a base
 * and its journal into the history before it replaces them, so a version is always in one of them.
 */
final class JournalHistory {
  private final JournalStore store;
  private final JournalReader reader;
  private final StateParts parts;

  JournalHistory(JournalStore store, JournalReader reader) {
    this.store = store;
    this.reader = reader;
    this.parts = store.parts;
  }

  /**
   * The versions kept: those in the journal and in the journals of earlier bases, newest first.
   * At least the last {@code historyRetention} versions are kept (more, until the
   * journal holding them is pruned).
   */
  List<VersionInfo> history(int limit) {
    try {
      TreeMap<Long, VersionInfo> all = new TreeMap<>(Comparator.reverseOrder());
      List<Path> journals = new ArrayList<>();
      StateParts.checkSidecarDirectory(parts.historyDir);
      if (Files.isDirectory(parts.historyDir, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(parts.historyDir, "*.journal")) {
          for (Path p : stream) {
            if (!p.getFileName().toString().startsWith("stale-")) {
              journals.add(p);
            }
          }
        }
      }
      journals.add(parts.journal);
      for (Path p : journals) {
        byte[] bytes;
        try {
          bytes = StateFiles.read(p, parts.maxSize);
        } catch (NoSuchFileException e) {
          continue;
        }
        for (JournalCodec.Entry e : JournalCodec.scan(bytes, 0, true, parts.form).entries) {
          Metadata m = e.metadata();
          all.put(m.serial(), new VersionInfo(m.serial(), m.updatedAt(), e.audit().operator(), e.audit().operation(), e.audit().reason(), e.audit().locks()));
        }
      }
      List<VersionInfo> out = new ArrayList<>();
      for (VersionInfo v : all.values()) {
        if (out.size() >= limit) {
          break;
        }
        out.add(v);
      }
      return out;
    } catch (IOException e) {
      throw store.io("read the history of", e);
    }
  }

  Optional<StoredState> at(long serial) {
    Optional<StoredState> latest = store.load();
    if (latest.isEmpty() || serial > latest.get().snapshot().metadata().serial() || serial < 0) {
      return Optional.empty();
    }
    if (serial == latest.get().snapshot().metadata().serial()) {
      return latest;
    }
    Known k = store.known();
    // state.json edited from outside holds none of the earlier versions: only the history does
    boolean edited = k != null && k.external != null && k.state == latest.get();
    try {
      StateParts.checkSidecarDirectory(parts.historyDir);
      Known current = null;
      try (Sidecar.Held held = edited ? null : store.sidecar.lockShared()) {
        for (int attempt = 0; !edited && current == null && attempt < Store.MAX_LOAD_ATTEMPTS; attempt++) {
          FileStamp s1 = FileStamp.of(parts.file);
          if (s1 == null) {
            return Optional.empty();
          }
          current = reader.readFull(s1, FileStamp.of(parts.journal), held != null, serial, null);
        }
      }
      if (current == null && !edited) {
        throw new BackendException("State " + parts.file + " changed every time version " + serial + " was read; retry.", null, true);
      }
      if (current != null && current.state != null && current.serial() == serial) {
        return Optional.of(plain(current.state.snapshot()));
      }
      List<Long> bases = HistoryFiles.serials(parts.historyDir, ".json");
      bases.sort(Comparator.reverseOrder());
      for (long b : bases) {
        if (b > serial) {
          continue;
        }
        Path baseFile = HistoryFiles.file(parts.historyDir, b, ".json");
        Snapshot s;
        try {
          s = parts.decode(baseFile, () -> "");
        } catch (NoSuchFileException e) {
          continue;
        }
        List<JournalCodec.Entry> live = new ArrayList<>();
        try {
          byte[] j = StateFiles.read(HistoryFiles.file(parts.historyDir, b, ".journal"), parts.maxSize);
          for (JournalCodec.Entry e : JournalCodec.scan(j, 0, false, parts.form).entries) {
            if (e.serial() > s.metadata().serial() && e.serial() <= serial) {
              live.add(e);
            }
          }
        } catch (NoSuchFileException e) {
          // a base without its journal: only the base itself
        }
        Snapshot result = Replay.apply(s, live);
        if (result.metadata().serial() == serial) {
          return Optional.of(plain(result));
        }
        return Optional.empty();
      }
      return Optional.empty();
    } catch (IOException e) {
      throw store.io("read the history of", e);
    }
  }

  private static StoredState plain(Snapshot s) {
    return new StoredState(s, VersionToken.of(s.metadata().serial(), s.metadata().lineage()));
  }
}
