package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bare group-commit floor stores every writer's record once, with at most one sync per record,
 * whether its waiting writers park or yield.
 */
class GroupAppenderTest {
  @TempDir Path tmp;

  @Test
  void everyRecordOfEveryWriterIsWrittenOnceAndGroupsShareSyncs() throws Exception {
    for (boolean yielding : new boolean[] {false, true}) {
      Path file = tmp.resolve("group-" + yielding + ".log");
      int threads = 8;
      int each = 50;
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      long commits;
      try (Floors.GroupAppender group = new Floors.GroupAppender(file, yielding)) {
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          Thread th = new Thread(() -> {
            try {
              for (int i = 0; i < each; i++) {
                group.append();
              }
            } catch (Throwable e) {
              failures.add(e);
            }
          });
          ts.add(th);
          th.start();
        }
        for (Thread th : ts) {
          th.join();
        }
        commits = group.commits();
      }
      assertThat(failures).isEmpty();
      byte[] bytes = Files.readAllBytes(file);
      int records = threads * each;
      // 300-byte records of 'x' back to back, then the zeros that were there before
      for (int i = 0; i < records * 300; i++) {
        assertThat(bytes[i]).as("byte %d (yielding %s)", i, yielding).isEqualTo((byte) 'x');
      }
      assertThat(bytes[records * 300]).isZero();
      assertThat(commits).isBetween(1L, (long) records);
    }
  }
}
