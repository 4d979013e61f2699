package io.infrastate.examples.cli;

import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.model.MissingKeyException;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.spi.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code infrastate state encrypt | decrypt | rekey | rotate-data-key}: whole-state encryption and
 * its keys ({@link StateEncryption}). Each needs the state's key ({@value Root#PASSPHRASE_ENV},
 * {@code --key-file} or {@code --key-command}) and writes one new version; earlier versions keep
 * the form they were written in, and each verb says so.
 *
 * <p>Each verb object is not thread-safe; picocli makes one per command line.
 */
final class EncryptionCommand {
  /** The environment variable holding the new passphrase of {@code state rekey}. */
  static final String NEW_PASSPHRASE_ENV = "INFRASTATE_NEW_PASSPHRASE";

  private EncryptionCommand() {}

  /** A verb on the state's keyed backend. */
  abstract static class Keyed extends Verb {
    Keyed(Root root) {
      super(root);
    }

    @Override
    public final Integer call() {
      Keyring keys = root.keyring().orElseThrow(() -> new MissingKeyException("'state " + spec.name() + "' needs the"
          + " state's key: set " + Root.PASSPHRASE_ENV + ", or give --key-file PATH or --key-command CMD. Nothing was"
          + " written.", ""));
      try (Root.Selected selected = root.select(); Backend backend = keys.protect(selected.store().backend())) {
        long serial = run(backend);
        if (json()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("operation", spec.name());
          m.put("serial", serial);
          m.put("encrypted", StateEncryption.isEncrypted(backend));
          out().println(Output.json(m));
        } else {
          out().println(message(serial));
        }
      }
      return InfrastateCli.OK;
    }

    abstract long run(Backend backend);

    abstract String message(long serial);
  }

  @Command(name = "encrypt", description = {
    "Store the state encrypted from now on (AES-256-GCM under the state's data key, wrapped by the keys given).",
    "Writes one new version. Earlier versions keep their plain form: the backup, history versions, Git commits"
        + " and S3 log records written before are not rewritten.",
  })
  static final class Encrypt extends Keyed {
    @Option(names = "--rewrite-history", description = "Also re-store the file backend's own earlier versions (backup,"
        + " history, audit entries, journal records) encrypted, each file replaced atomically. Git and S3 refuse:"
        + " their history is immutable.")
    boolean rewriteHistory;

    Encrypt(Root root) {
      super(root);
    }

    @Override
    long run(Backend backend) {
      return StateEncryption.encrypt(backend, rewriteHistory ? StateEncryption.History.REWRITE : StateEncryption.History.KEEP);
    }

    @Override
    String message(long serial) {
      if (rewriteHistory) {
        return "encrypted: version " + serial + " and every later one are stored encrypted, and so are the earlier"
            + " versions this backend keeps (backup, history, journal records).";
      }
      return "encrypted: version " + serial + " and every later one are stored encrypted. Earlier versions keep their"
          + " plain form (backup, history, Git commits, S3 log records written before); drop or rewrite that history"
          + " if it holds secrets (--rewrite-history, for the file backend).";
    }
  }

  @Command(name = "decrypt", description = {
    "Store the state in clear from now on (secret values stay sealed). Writes one new version;"
        + " earlier versions stay encrypted.",
  })
  static final class Decrypt extends Keyed {
    @Option(names = "--rewrite-history", description = "Also re-store the file backend's own earlier versions (backup,"
        + " history, audit entries, journal records) in clear, each file replaced atomically. Git and S3 refuse:"
        + " their history is immutable.")
    boolean rewriteHistory;

    Decrypt(Root root) {
      super(root);
    }

    @Override
    long run(Backend backend) {
      return StateEncryption.decrypt(backend, rewriteHistory ? StateEncryption.History.REWRITE : StateEncryption.History.KEEP);
    }

    @Override
    String message(long serial) {
      if (rewriteHistory) {
        return "decrypted: version " + serial + " and every later one are stored in clear, and so are the earlier"
            + " versions this backend keeps (backup, history, journal records).";
      }
      return "decrypted: version " + serial + " and every later one are stored in clear. Earlier versions stay"
          + " encrypted and need the key to read (--rewrite-history stores them in clear, for the file backend).";
    }
  }

  @Command(name = "rekey", description = {
    "Re-wrap the state's data keys under new keys: the new passphrase from $" + NEW_PASSPHRASE_ENV
        + ", --new-key-file or --new-key-command (any one opens the state afterwards).",
    "No version is re-encrypted or rewritten: every version stays readable with the new keys, and the old ones"
        + " no longer open the state.",
  })
  static final class Rekey extends Keyed {
    @Option(names = "--new-key-file", paramLabel = "PATH", description = "A key file that will open the state.")
    Path newKeyFile;

    @Option(names = "--new-key-command", paramLabel = "CMD", description = "A program that prints a key that will"
        + " open the state.")
    String newKeyCommand;

    Rekey(Root root) {
      super(root);
    }

    @Override
    long run(Backend backend) {
      List<KeySource> next = new ArrayList<>();
      String pass = root.env(NEW_PASSPHRASE_ENV);
      if (pass != null && !pass.isEmpty()) {
        next.add(KeySource.passphrase(pass.toCharArray()));
      }
      if (newKeyFile != null) {
        next.add(KeySource.keyFile(newKeyFile));
      }
      if (newKeyCommand != null && !newKeyCommand.isBlank()) {
        next.add(KeySource.command(List.of(newKeyCommand.strip().split("\\s+"))));
      }
      if (next.isEmpty()) {
        throw CliException.usage("'state rekey' needs the new key: set " + NEW_PASSPHRASE_ENV + ", or give --new-key-file"
            + " PATH or --new-key-command CMD. Nothing was written.");
      }
      return StateEncryption.rekey(backend, Keyring.of(next));
    }

    @Override
    String message(long serial) {
      return "rekeyed: version " + serial + " holds the data keys wrapped under the new keys only; every earlier"
          + " version opens with them, unchanged. The old keys no longer open the state.";
    }
  }

  @Command(name = "rotate-data-key", description = {
    "Use a fresh data key for every later write (after a suspected leak of the old one). Earlier versions keep"
        + " the data key they were written with and stay readable.",
  })
  static final class RotateDataKey extends Keyed {
    RotateDataKey(Root root) {
      super(root);
    }

    @Override
    long run(Backend backend) {
      return StateEncryption.rotateDataKey(backend);
    }

    @Override
    String message(long serial) {
      return "rotated: version " + serial + " and every later one are sealed under a fresh data key. Earlier versions"
          + " keep theirs; rekey too if a key-encryption key leaked.";
    }
  }
}
