package io.infrastate.examples;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.Validator;
import io.infrastate.model.VersionInfo;
import io.infrastate.file.FileBackend;
import io.infrastate.file.FileLockProvider;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockListener;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Seed 002, Togather's deployment state: the current and the previous deployment, a history with
 * retention, a 30-minute deployment lock with stale-lock takeover, the schema rules as validators,
 * and rollback.
 *
 * <p>The deployments are two resources, {@code deployment:current} and {@code
 * deployment:previous}; each deploy moves current to previous in one write. The history is the
 * file backend's (retention: the last {@value #RETENTION} versions), the lock a {@link
 * FileLockProvider} in {@code <dir>/locks}. Run it with {@code java -cp examples/target/infrastate.jar
 * io.infrastate.examples.TogatherDeployments}; it writes {@code ./togather/} (or the directory
 * given).
 */
public final class TogatherDeployments {
  private TogatherDeployments() {}

  /** How many versions the history keeps (Togather: "configurable retention"). */
  static final int RETENTION = 4;

  static final String CURRENT = "deployment:current";
  static final String PREVIOUS = "deployment:previous";
  static final String LOCK = "deploy-production";

  /** Togather's {@code deployment-state.schema.json} rules, enforced before every write. */
  public static final Validator SCHEMA = Validator.forResources("deployment", (key, r) -> {
    List<String> problems = new ArrayList<>();
    Object version = r.data().get("version");
    if (!(version instanceof String v) || !v.matches("[a-f0-9]{7}")) {
      problems.add("version must be a 7-character Git SHA ([a-f0-9]{7}), got " + version);
    }
    try {
      Instant.parse(String.valueOf(r.data().get("deployed_at")));
    } catch (DateTimeParseException e) {
      problems.add("deployed_at must be an ISO 8601 timestamp, got " + r.data().get("deployed_at"));
    }
    if (!Set.of("healthy", "degraded", "unhealthy", "unknown").contains(r.data().get("health_status"))) {
      problems.add("health_status must be healthy, degraded, unhealthy or unknown, got " + r.data().get("health_status"));
    }
    if (!Set.of("blue", "green").contains(r.data().get("active_slot"))) {
      problems.add("active_slot must be blue or green, got " + r.data().get("active_slot"));
    }
    return problems;
  });

  /**
   * One deployment under the deployment lock: the lock is held for the whole deploy (30-minute
   * lease, as Togather specifies) and released when it ends, even on failure; the state write moves
   * the current deployment to previous and records the new one, atomically.
   *
   * @param state the deployment state
   * @param locks the deployment lock provider
   * @param version the Git SHA (7 hex digits)
   * @param health the health check's verdict
   * @param during what runs while the lock is held (the deploy itself)
   * @return the new deployment's id
   */
  static String deploy(State state, LockProvider locks, String version, String health, Runnable during) {
    LockRequest request = LockRequest.builder().operation("deploy " + version).lease(LockRequest.DEFAULT_LEASE).build();
    try (Lock lock = locks.acquire(LOCK, request, Duration.ZERO)) {
      during.run();
      String id = "dep_" + UUID.randomUUID().toString().substring(0, 8);
      state.update(AuditEntry.of("deploy " + version), tx -> {
        Optional<ResourceState> current = tx.getResource(CURRENT);
        String slot = current.map(c -> "blue".equals(c.data().get("active_slot")) ? "green" : "blue").orElse("blue");
        current.ifPresent(c -> tx.addResource(PREVIOUS, ResourceState.builder("deployment", "previous")
            .name("production").data(c.data()).data("status", "superseded").build()));
        tx.addResource(CURRENT, ResourceState.builder("deployment", "current").name("production")
            .data("id", id).data("version", version).data("git_commit", version + "0".repeat(33))
            .data("deployed_at", Instant.now().toString()).data("deployed_by", "ci@togather")
            .data("active_slot", slot).data("health_status", health).data("status", "active")
            .data("migrations_run", 0).data("rollback_count", 0).build());
      });
      return id;
    }
  }

  static String describe(State state, String key) {
    return state.getResource(key)
        .map(r -> r.data().get("version") + " in " + r.data().get("active_slot") + " slot, " + r.data().get("health_status")
            + ", " + r.data().get("status"))
        .orElse("(none)");
  }

  /**
   * Runs the example.
   *
   * @param args an optional working directory
   */
  public static void main(String[] args) {
    Path dir = Path.of(args.length > 0 ? args[0] : "togather").toAbsolutePath();
    Path file = dir.resolve("deployment-state.json");
    // History with retention: the backend keeps the last RETENTION versions. The example makes its
    // own working directory on the first write (by default a missing directory is an error).
    try (FileBackend backend = FileBackend.builder(file).createDirectories(true).historyRetention(RETENTION).build();
        State state = State.load(backend, StateOptions.builder().operator("ci@togather").validator(SCHEMA).build())) {
      LockListener report = new LockListener() {
        @Override
        public void onTakeover(LockInfo previous, LockInfo next) {
          System.out.println("took over the stale lock of " + previous.operator() + " (lease ended "
              + previous.expiresAt() + ")");
        }
      };
      LockOptions lockOptions = LockOptions.builder().operator("ci@togather")
          .listener(report.andThen(LockListener.recordingTo(state::save))).build();
      Path lockDir = dir.resolve("locks");

      // A deploy that crashed 40 minutes ago left its 30-minute lock behind.
      Clock fortyMinutesAgo = Clock.fixed(Instant.now().minus(Duration.ofMinutes(40)), ZoneOffset.UTC);
      try (FileLockProvider crashed = FileLockProvider.in(lockDir,
          LockOptions.builder().clock(fortyMinutesAgo).operator("ci@old-runner").build())) {
        crashed.tryAcquire(LOCK, LockRequest.of("deploy 1111111"));
      }

      try (FileLockProvider locks = FileLockProvider.in(lockDir, lockOptions);
          FileLockProvider otherProcess = FileLockProvider.in(lockDir, LockOptions.builder().operator("alice@laptop").build())) {
        deploy(state, locks, "abc1234", "healthy", () -> { });
        System.out.println("deployed abc1234: current " + describe(state, CURRENT));
        deploy(state, locks, "def5678", "healthy", () -> {
          // A second deploy started meanwhile is refused while the lock is held.
          Optional<Lock> second = otherProcess.tryAcquire(LOCK, LockRequest.of("deploy 9999999"));
          System.out.println("concurrent deploy refused: " + second.isEmpty() + ", held by "
              + otherProcess.inspect(LOCK).map(LockInfo::operation).orElse("nobody"));
        });
        System.out.println("deployed def5678: current " + describe(state, CURRENT) + "; previous " + describe(state, PREVIOUS));

        try {
          deploy(state, locks, "main", "healthy", () -> { });
        } catch (InvalidStateException e) {
          System.out.println("refused by the schema: " + e.violations().get(0));
        }
        System.out.println("lock after the refused deploy: " + locks.inspect(LOCK).map(LockInfo::operation).orElse("free"));

        deploy(state, locks, "0a1b2c3", "unhealthy", () -> { });
        System.out.println("deployed 0a1b2c3: current " + describe(state, CURRENT));

        // Rollback: write the version where def5678 was current as a new version.
        long target = state.history().stream()
            .filter(v -> v.operation().equals("deploy def5678"))
            .mapToLong(VersionInfo::serial).max().orElseThrow();
        state.rollback(target, AuditEntry.of("rollback production to def5678").withReason("0a1b2c3 unhealthy"));
        System.out.println("rolled back to version " + target + ": current " + describe(state, CURRENT));
      }

      System.out.println("history (the last " + RETENTION + " versions are kept):");
      for (VersionInfo v : state.history()) {
        System.out.println("  v" + v.serial() + " " + v.operator() + ": " + v.message());
      }
    }
    System.out.println("state written to " + file);
  }
}
