package io.infrastate.examples.cli;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.lock.LockTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code infrastate lock …} and {@code infrastate force-unlock}: named locks with leases, held
 * across commands (a script acquires, works, releases by id), kept where the state's backend keeps
 * them: for a file state, files in {@code <state file>.locks/}. Each verb object is not thread-safe; picocli makes one per command
 * line.
 */
@Command(
    name = "lock",
    description = {
      "Named locks with a lease, for long operations such as a deploy (acquire, release, status).",
      "A lock outlives the command: acquire prints its id, release needs it. A lock whose lease ended is"
          + " stale and the next acquire takes it over (recorded in the state's history).",
    },
    subcommands = {LockCommand.Acquire.class, LockCommand.Release.class, LockCommand.Status.class,
        LockCommand.ListVerb.class})
final class LockCommand {
  private LockCommand() {}

  @Command(name = "acquire", description = {
      "Acquire a lock and print its id (exit 4 if somebody else holds it).",
      "Pass it to writing commands as --lock NAME=ID: each acquisition carries a fencing token larger than"
          + " every earlier one (--json shows it), and a write under a lock that was lost is refused."})
  static final class Acquire extends Verb {
    @Parameters(paramLabel = "NAME", description = "The lock name, such as deploy or resource-linode:42.")
    String name;

    @Option(names = "--lease", paramLabel = "DURATION", defaultValue = "30m",
        description = "How long the lock holds without renewal (default: ${DEFAULT-VALUE}).")
    String lease;

    @Option(names = "--operation", paramLabel = "TEXT", defaultValue = "", description = "What the holder will do.")
    String operation;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "0s",
        description = "How long to wait while somebody else holds it (default: ${DEFAULT-VALUE}).")
    String waitFor;

    Acquire(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      Duration leaseTime = Inputs.duration(lease, "--lease");
      Duration wait = Inputs.duration(waitFor, "--wait");
      LockRequest request = LockRequest.builder()
          .operation(operation).reason(root.reason()).lease(leaseTime).build();
      try (LockProvider locks = root.locks()) {
        Lock lock;
        try {
          lock = locks.acquire(name, request, wait);
        } catch (LockTimeoutException e) {
          throw new CliException(InfrastateCli.LOCK_HELD, e.holder()
              .map(h -> "Lock '" + name + "' is held by " + h.describe() + ". Wait for it (--wait 10m), or if its"
                  + " holder is gone: infrastate force-unlock " + name + " " + h.id())
              .orElse(InfrastateCli.oneLine(e.getMessage())));
        }
        // Not released: the lock stays until 'lock release' or the end of its lease.
        if (json()) {
          out().println(Output.json(Output.lock(lock.info())));
        } else {
          out().println(lock.id());
        }
      }
      return InfrastateCli.OK;
    }
  }

  @Command(name = "release", description = "Release a lock you hold, by its id.")
  static final class Release extends Verb {
    @Parameters(paramLabel = "NAME", description = "The lock name.")
    String name;

    @Option(names = "--id", paramLabel = "ID", required = true, description = "The id 'lock acquire' printed.")
    String id;

    Release(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      try (LockProvider locks = root.locks(false)) {
        Optional<LockInfo> held = locks.inspect(name);
        if (held.isEmpty()) {
          throw CliException.error("Lock '" + name + "' is not held at " + locks.location() + "; nothing to release");
        }
        if (!held.get().id().equals(id)) {
          throw new CliException(InfrastateCli.LOCK_HELD,
              "Lock '" + name + "' is held by " + held.get().describe() + ", not by lock id " + id
                  + "; nothing was released. If its holder is gone, use 'infrastate force-unlock " + name + " "
                  + held.get().id() + "'");
        }
        if (!locks.forceUnlock(name, id)) {
          throw CliException.error("Lock '" + name + "' changed while releasing it; see 'infrastate lock status " + name + "'");
        }
      }
      print("released lock " + name, "released", name, "id", id);
      return InfrastateCli.OK;
    }
  }

  @Command(name = "status", description = "Show who holds a lock, for what, since when and until when.")
  static final class Status extends Verb {
    @Parameters(paramLabel = "NAME", description = "The lock name.")
    String name;

    Status(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      Optional<LockInfo> held;
      try (LockProvider locks = root.locks(false)) {
        held = locks.inspect(name);
      }
      String status = held.isEmpty() ? "free" : held.get().isExpired(Instant.now()) ? "stale" : "held";
      print(held.isEmpty() ? name + ": free" : name + ": " + status + " by " + held.get().describe(),
          "name", name, "status", status, "lock", held.map(Output::lock).orElse(null));
      return InfrastateCli.OK;
    }
  }

  @Command(name = "list", description = {
    "List the locks stored beside the state, held or stale, in name order (released locks are not listed).",
  })
  static final class ListVerb extends Verb {
    ListVerb(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      Instant now = Instant.now();
      java.util.List<LockInfo> held;
      try (LockProvider locks = root.locks(false)) {
        held = locks.list();
      } catch (UnsupportedOperationException e) {
        throw CliException.error("The locks of " + root.stateUri() + " cannot be listed; ask for one lock with"
            + " 'infrastate lock status NAME'");
      }
      if (json()) {
        java.util.List<Object> list = new java.util.ArrayList<>();
        for (LockInfo l : held) {
          list.add(Output.object("name", l.name(), "status", l.isExpired(now) ? "stale" : "held", "lock", Output.lock(l)));
        }
        out().println(Output.json(list));
        return InfrastateCli.OK;
      }
      java.util.List<java.util.List<String>> rows = new java.util.ArrayList<>();
      for (LockInfo l : held) {
        rows.add(java.util.List.of(l.name(), l.isExpired(now) ? "stale" : "held", l.operator(), l.operation(),
            Output.time(l.expiresAt())));
      }
      Output.table(out(), java.util.List.of("NAME", "STATUS", "OPERATOR", "OPERATION", "EXPIRES"), rows);
      return InfrastateCli.OK;
    }
  }

  @Command(
      name = "force-unlock",
      description = {
        "Remove a lock whose holder is gone, as terraform force-unlock does. The id must match the stored"
            + " lock (see 'lock status'), so a lock acquired by somebody else meanwhile is never removed.",
        "Recorded in the state's history.",
      })
  static final class ForceUnlock extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The lock name.")
    String name;

    @Parameters(index = "1", paramLabel = "ID", description = "The id of the lock to remove.")
    String id;

    ForceUnlock(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      try (LockProvider locks = root.locks()) {
        if (!locks.forceUnlock(name, id)) {
          Optional<LockInfo> held = locks.inspect(name);
          throw CliException.error("No lock with id " + id + " is held under '" + name + "'"
              + held.map(h -> " (it is held by " + h.describe() + ")").orElse(" (it is free)")
              + "; nothing was removed");
        }
      }
      print("force-unlocked lock " + name + " (" + id + ")", "force_unlocked", name, "id", id);
      return InfrastateCli.OK;
    }
  }
}
