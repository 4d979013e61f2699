package io.infrastate.examples;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.git.GitBackend;
import io.infrastate.git.GitLockProvider;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockNames;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.revwalk.RevCommit;

/**
 * Seed 000, GARZA OS: Git as the database. Deployments and operations are resources of one state
 * file in a Git repository; every change is one descriptive commit by its operator; a deploy holds
 * a per-resource lock, so other resources can be operated on in parallel; and the audit trail is
 * {@code git log}.
 *
 * <p>Two automation systems cooperate through one bare repository, {@code infra.git}: the
 * orchestrator commits to it directly, the health checker works in a clone of it (pull before
 * push, as the seed's rules ask; a rejected push is retried on the new tip). Locks are refs under
 * {@code refs/infrastate/locks/}, created and deleted atomically, so they never add commits to the
 * state branch. Run it with {@code java -cp examples/target/infrastate.jar io.infrastate.examples.GarzaOs};
 * it writes {@code ./garza/} (or the directory given), then try {@code git --git-dir=garza/infra.git
 * log -- state/state.json}.
 */
public final class GarzaOs {
  private GarzaOs() {}

  static final String STATE_FILE = "state/state.json";
  static final String APP = "fly_app:garza-home-mcp";

  static ResourceState flyApp(String name, String status, String version, String region) {
    return ResourceState.builder("fly_app", name).name(name)
        .data("status", status).data("url", "https://" + name + ".fly.dev").data("region", region)
        .data("version", version).data("last_deploy", LocalDate.now(ZoneOffset.UTC).toString()).build();
  }

  static ResourceState operation(String id, String type, String target, String status) {
    return ResourceState.builder("operation", id).name(type + " " + target)
        .data("type", type).data("target", target).data("status", status).build();
  }

  /**
   * Runs the example.
   *
   * @param args an optional working directory
   * @throws IOException if the audit trail cannot be read
   * @throws GitAPIException if the audit trail cannot be read
   */
  public static void main(String[] args) throws IOException, GitAPIException {
    Path dir = Path.of(args.length > 0 ? args[0] : "garza").toAbsolutePath();
    Path repo = dir.resolve("infra.git");

    // The orchestrator: commits straight into the bare repository (created on first use).
    try (GitBackend orchestratorStore = GitBackend.builder().repository(repo).createRepository(true).path(STATE_FILE).build();
        State orchestrator = State.load(orchestratorStore, StateOptions.builder().operator("claude <claude@garza.os>").build());
        GitLockProvider orchestratorLocks = GitLockProvider.builder().repository(repo)
            .options(LockOptions.builder().operator("claude <claude@garza.os>").build()).build();
        // The health checker: another system, working in its own clone of the same repository.
        GitBackend checkerStore = GitBackend.builder().remote(repo.toString()).cloneDirectory(dir.resolve("checker-clone"))
            .path(STATE_FILE).build();
        State checker = State.load(checkerStore, StateOptions.builder().operator("health-checker <checker@garza.os>").build());
        GitLockProvider checkerLocks = GitLockProvider.builder().remote(repo.toString()).cloneDirectory(dir.resolve("checker-clone"))
            .options(LockOptions.builder().operator("health-checker <checker@garza.os>").build()).build()) {

      orchestrator.update(AuditEntry.of("Record deployments"), tx -> {
        tx.addResource(APP, flyApp("garza-home-mcp", "running", "v2.0.3", "iad"));
        tx.addResource("cloudflare_worker:garza-edge", ResourceState.builder("cloudflare_worker", "garza-edge")
            .name("garza-edge").data("status", "running").data("route", "edge.garza.os/*").build());
      });

      // Read before write: check the state, then lock only the resource being deployed.
      String appLock = LockNames.forResource(APP);
      System.out.println("before deploy: garza-home-mcp is " + orchestrator.getResource(APP).orElseThrow().data().get("version")
          + ", lock " + appLock + " is " + (orchestratorLocks.inspect(appLock).isPresent() ? "held" : "free"));
      String opId = UUID.randomUUID().toString();
      LockRequest deploy = LockRequest.builder().operation("deploy").reason("v2.1.0").lease(Duration.ofMinutes(30)).build();
      try (Lock lock = orchestratorLocks.acquire(appLock, deploy, Duration.ZERO)) {
        orchestrator.addResource("operation:" + opId, operation(opId, "deploy", "garza-home-mcp", "running"),
            AuditEntry.of("Start deploy garza-home-mcp v2.1.0"));

        // Meanwhile the health checker wants to restart the same app: refused while locked...
        Optional<Lock> restart = checkerLocks.tryAcquire(appLock, LockRequest.of("restart"));
        System.out.println("health checker: restart garza-home-mcp refused: " + restart.isEmpty() + " (locked by "
            + checkerLocks.inspect(appLock).map(LockInfo::operator).orElse("nobody") + " for "
            + checkerLocks.inspect(appLock).map(LockInfo::operation).orElse("") + ")");
        // ...but another resource is free: it records a health check from its clone, in parallel.
        // Read before write (pull), then one commit; if the orchestrator pushed in between, the
        // push is rejected and the change is re-applied on the new tip.
        checker.refresh();
        checker.update(AuditEntry.of("Health check garza-edge: healthy"), tx -> tx.getResource("cloudflare_worker:garza-edge")
            .ifPresent(edge -> tx.addResource("cloudflare_worker:garza-edge", edge.withData("last_health_check", "healthy"))));
        System.out.println("health checker: recorded garza-edge healthy (pushed from its clone)");

        // fly deploy ... (the deploy itself), then one commit for the result.
        orchestrator.update(AuditEntry.of("Deploy garza-home-mcp v2.1.0").withReason("operation " + opId.substring(0, 8)), tx -> {
          tx.addResource(APP, flyApp("garza-home-mcp", "running", "v2.1.0", "iad"));
          tx.addResource("operation:" + opId, operation(opId, "deploy", "garza-home-mcp", "complete").withData("result", "success"));
        });
        System.out.println("deployed garza-home-mcp v2.1.0 under lock " + lock.id().substring(0, 13) + "...");
      }
      System.out.println("after deploy: lock " + appLock + " is " + (orchestratorLocks.inspect(appLock).isPresent() ? "held" : "free")
          + "; the health checker sees " + checker.refresh().getResource(APP).orElseThrow().data().get("version"));
    }

    // The audit trail: git log of the state file.
    System.out.println("git log -- " + STATE_FILE + ":");
    try (Git git = Git.open(repo.toFile())) {
      for (RevCommit c : git.log().addPath(STATE_FILE).call()) {
        System.out.println("  " + c.abbreviate(7).name() + " " + c.getAuthorIdent().getName() + ": " + c.getShortMessage());
      }
    }
    System.out.println("repository: " + repo + " (try: git --git-dir=" + repo + " log -- " + STATE_FILE + ")");
  }
}
