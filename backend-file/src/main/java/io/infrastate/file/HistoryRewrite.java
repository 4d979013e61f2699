package io.infrastate.file;

import io.infrastate.codec.StateCodec;
import io.infrastate.model.BackendException;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.StoredForm;
import io.infrastate.spi.StoredState;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Re-stores the file backend's own earlier versions in the stored form of its current version
 * (sealed if the current version is sealed, in clear if not): the backup, and in the history
 * directory every state file, audit record and journal. For {@code state encrypt
 * --rewrite-history} and {@code state decrypt --rewrite-history}, after the version that changed
 * the form (and, in journal mode, the compaction that rewrote state.json and the live journal).
 *
 * <h2>How it stays correct</h2>
 *
 * Everything runs under the state's write lock, so no writer, compaction or pruning moves the
 * files meanwhile (a file pruned before it is reached is skipped). Each file is read, changed in
 * memory (a state or audit record as a whole, a journal record by record with its frame's checksums
 * recomputed), written to a temporary file in the same directory with fsync, and renamed over the
 * original; the directories are synced at the end. A crash leaves every file whole, in its old form
 * or its new one, and both forms read: a rerun finishes the job. Files linked to each other (the
 * backup and its history copy) become separate files. Versions of another lineage (a state that
 * was replaced) are left as they are: they were sealed, if at all, under their own keys.
 */
final class HistoryRewrite {
  private static final JsonFactory JSON = new JsonFactory();

  private final StateParts parts;
  private final StoredForm form;
  private final Snapshot current;
  private final boolean seal;

  private HistoryRewrite(StateParts parts, Snapshot current) {
    this.parts = parts;
    this.form = parts.form;
    this.current = current;
    this.seal = form.seals(current);
  }

  /** Rewrites the earlier versions of {@code store}'s state; returns how many files changed. */
  static int run(Store store) {
    StateParts parts = store.parts;
    try (Sidecar.Held held = store.sidecar.lock()) {
      Optional<StoredState> latest = store.load();
      if (latest.isEmpty()) {
        return 0;
      }
      return new HistoryRewrite(parts, latest.get().snapshot()).rewriteAll();
    } catch (IOException e) {
      throw new BackendException("Could not rewrite the history of " + parts.file + ": " + e
          + ". Each file is whole, in its old form or its new one; run the command again.", e, true);
    }
  }

  private int rewriteAll() throws IOException {
    List<Path> states = new ArrayList<>();
    List<Path> audits = new ArrayList<>();
    List<Path> journals = new ArrayList<>();
    states.add(parts.backup);
    if (Files.isDirectory(parts.historyDir, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(parts.historyDir)) {
        for (Path p : dir) {
          String n = p.getFileName().toString();
          if (n.startsWith(".")) {
            continue; // a temporary file
          } else if (n.endsWith(".audit.json")) {
            audits.add(p);
          } else if (n.endsWith(".json")) {
            states.add(p);
          } else if (n.endsWith(".journal")) {
            journals.add(p);
          }
        }
      }
    }
    int changed = 0;
    for (Path p : states) {
      changed += replace(p, bytes -> restore(bytes, StoredForm.STATE, p, () -> StateCodec.decode(bytes, p.toString(), "").metadata()));
    }
    for (Path p : audits) {
      changed += replace(p, bytes -> restore(bytes, StoredForm.AUDIT, p, () -> auditMetadata(bytes, p)));
    }
    for (Path p : journals) {
      changed += replace(p, bytes -> JournalCodec.restore(bytes, form,
          (payload, m) -> restore(payload, StoredForm.RECORD, p, () -> m)));
    }
    if (changed > 0) {
      DurableFiles.fsyncDirectory(parts.dir);
      if (Files.isDirectory(parts.historyDir, LinkOption.NOFOLLOW_LINKS)) {
        DurableFiles.fsyncDirectory(parts.historyDir);
      }
    }
    return changed;
  }

  /** How a file's bytes change; the same array when they do not. */
  private interface Change {
    byte[] apply(byte[] bytes) throws IOException;
  }

  /** Replaces a file durably with its changed bytes; 1 if it changed, 0 if not (or it is gone). */
  private int replace(Path p, Change change) throws IOException {
    byte[] bytes;
    try {
      bytes = StateFiles.read(p, parts.maxSize);
    } catch (NoSuchFileException e) {
      return 0;
    }
    byte[] next = change.apply(bytes);
    if (next == bytes) {
      return 0;
    }
    DurableFiles.moveInto(DurableFiles.writeTemp(p.getParent(), "." + p.getFileName() + ".", next), p);
    return 1;
  }

  /** The metadata of a part as stored in clear, read only when it is to be sealed. */
  private interface MetadataOf {
    Metadata get();
  }

  /** One stored part in the current form: the same array if it is in that form already. */
  private byte[] restore(byte[] stored, String part, Path where, MetadataOf metadata) {
    boolean sealed = StoredForm.isSealed(stored);
    if (sealed == seal) {
      return stored;
    }
    if (sealed) {
      return form.open(stored, part, where.toString());
    }
    Metadata m = metadata.get();
    if (!m.lineage().equals(current.metadata().lineage())) {
      return stored;
    }
    return form.seal(current.withMetadata(m), part, stored);
  }

  /** The serial and lineage of an audit record in clear. */
  private static Metadata auditMetadata(byte[] bytes, Path where) {
    long serial = -1;
    String lineage = "";
    try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), bytes)) {
      if (p.nextToken() == JsonToken.START_OBJECT) {
        String name;
        while ((name = p.nextName()) != null) {
          JsonToken t = p.nextToken();
          if (name.equals("serial") && t == JsonToken.VALUE_NUMBER_INT) {
            serial = p.getLongValue();
          } else if (name.equals("lineage") && t == JsonToken.VALUE_STRING) {
            lineage = p.getString();
          } else {
            p.skipChildren();
          }
        }
      }
    } catch (JacksonException e) {
      serial = -1;
    }
    if (serial < 0) {
      throw new io.infrastate.model.CorruptStateException(where.toString(), null, "The audit record " + where
          + " does not parse; nothing was rewritten after it. Move it away and run the command again.", null);
    }
    return new Metadata(Metadata.FORMAT_VERSION, serial, lineage, null, null);
  }
}
