package io.infrastate.git;

import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.Snapshot;
import io.infrastate.codec.StateCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Benchmark harness, run by hand (not a test): what storing the state.json blob of a large state
 * costs in a repository at JGit's default compression and at other levels (time to insert the
 * loose object, median of several, and its size on disk).
 *
 * <pre>
 * java -cp backend-git/target/test-classes:backend-git/target/classes:CLASSPATH \
 *     io.infrastate.git.GitCompressionCost HOSTS DIR [LEVEL,LEVEL...]
 * </pre>
 *
 * Levels default to {@code -1,1} ({@code -1}: JGit's default).
 */
public final class GitCompressionCost {
  private static final int ROUNDS = 7;

  private GitCompressionCost() {}

  /**
   * Runs the benchmark.
   *
   * @param args number of hosts, work directory, optionally the levels to compare
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int hosts = Integer.parseInt(args[0]);
    Path dir = Path.of(args[1]);
    TreeMap<String, HostState> all = new TreeMap<>();
    for (int i = 0; i < hosts; i++) {
      HostState h = HostState.builder(String.format("host%06d", i)).address("10.0." + (i / 250 % 250) + "." + (i % 250))
          .port(22).user("deploy").var("role", i % 2 == 0 ? "web" : "db").var("rack", "r" + (i % 16)).build();
      all.put(h.name(), h);
    }
    Snapshot s = Snapshot.of(new Metadata(Metadata.FORMAT_VERSION, 1, UUID.randomUUID().toString(), null, null), all,
        Map.of());
    byte[] base = StateCodec.encode(s);
    System.out.printf(Locale.ROOT, "state.json: %d hosts, %d bytes%n", hosts, base.length);
    int[] levels = args.length > 2 ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {-1, 1};
    for (int level : levels) {
      Path gitDir = Files.createTempDirectory(dir, "compression-" + level + "-");
      try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setBare().build()) {
        repo.create(true);
        repo.getConfig().setInt(ConfigConstants.CONFIG_CORE_SECTION, null, ConfigConstants.CONFIG_KEY_COMPRESSION, level);
        long[] nanos = new long[ROUNDS];
        long bytes = 0;
        for (int r = 0; r < ROUNDS; r++) {
          byte[] content = base.clone();
          content[content.length - 2] = (byte) ('0' + r); // a distinct blob each round
          long t0 = System.nanoTime();
          ObjectId id;
          try (ObjectInserter ins = repo.newObjectInserter()) {
            id = ins.insert(Constants.OBJ_BLOB, content);
            ins.flush();
          }
          nanos[r] = System.nanoTime() - t0;
          String hex = id.name();
          bytes = Files.size(gitDir.resolve("objects").resolve(hex.substring(0, 2)).resolve(hex.substring(2)));
        }
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, "level %-8s insert median %7.1f ms   object %,d bytes%n",
            level == -1 ? "default" : Integer.toString(level), nanos[ROUNDS / 2] / 1e6, bytes);
      }
    }
  }
}
