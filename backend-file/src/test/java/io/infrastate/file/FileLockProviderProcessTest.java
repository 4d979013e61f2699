package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockListener;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import io.infrastate.testkit.JvmProcess;
import io.infrastate.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File locks between real, separate JVM processes. */
class FileLockProviderProcessTest {
  @TempDir Path tmp;

  @Test
  void holderKilledWithSigkillLeavesALockTakeableExactlyAfterItsLease() throws Exception {
    Path dir = tmp.resolve("locks");
    Path ready = tmp.resolve("ready");
    LockInfo dead;
    try (JvmProcess holder = JvmProcess.start(FileLockHolderMain.class, tmp.resolve("holder.log"),
        dir.toString(), "deploy", "3000", ready.toString())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(ready)) {
        assertThat(holder.process().isAlive()).as("holder died: %s", holder.output()).isTrue();
        assertThat(System.nanoTime()).as("holder did not report within 60 s: %s", holder.output()).isLessThan(deadline);
        Thread.sleep(10);
      }
      long pid = holder.process().pid();
      holder.kill(); // SIGKILL: no shutdown hook, no release
      assertThat(holder.process().isAlive()).isFalse();

      String id = Files.readString(ready, StandardCharsets.UTF_8);
      try (FileLockProvider observer = FileLockProvider.in(dir)) {
        dead = observer.inspect("deploy").orElseThrow();
      }
      assertThat(dead.id()).isEqualTo(id);
      assertThat(dead.pid()).isEqualTo(pid);
      assertThat(Duration.between(dead.createdAt(), dead.expiresAt())).isEqualTo(Duration.ofMillis(3000));
    }

    // The lease boundary, exactly: a nanosecond before expiry the dead holder's lock still counts.
    MutableClock clock = MutableClock.at(dead.expiresAt().minusNanos(1));
    try (FileLockProvider fake = FileLockProvider.in(dir, LockOptions.builder().clock(clock).build())) {
      assertThat(fake.tryAcquire("deploy", LockRequest.of("too early"))).isEmpty();
      assertThat(fake.inspect("deploy")).contains(dead);
    }

    // With the real clock: a waiting acquire takes it over, never before the lease ended.
    List<LockInfo[]> takeovers = new CopyOnWriteArrayList<>();
    LockOptions real = LockOptions.builder().listener(new LockListener() {
      @Override
      public void onTakeover(LockInfo previous, LockInfo next) {
        takeovers.add(new LockInfo[] {previous, next});
      }
    }).build();
    try (FileLockProvider live = FileLockProvider.in(dir, real);
        Lock lock = live.acquire("deploy", LockRequest.of("after the crash"), Duration.ofSeconds(60))) {
      assertThat(lock.info().createdAt()).isAfterOrEqualTo(dead.expiresAt());
      assertThat(live.inspect("deploy")).contains(lock.info());
      assertThat(takeovers).hasSize(1);
      assertThat(takeovers.get(0)[0]).isEqualTo(dead);
      assertThat(takeovers.get(0)[1]).isEqualTo(lock.info());
    }
  }

  @Test
  void eightThreadsInFourProcessesNeverOverlapInTheCriticalSection() throws Exception {
    Path dir = tmp.resolve("locks");
    Path log = tmp.resolve("critical.log");
    Path marker = tmp.resolve("inside.marker");
    int processes = 4;
    int threads = 8;
    int rounds = 10;
    List<JvmProcess> children = new ArrayList<>();
    try {
      for (int p = 0; p < processes; p++) {
        children.add(JvmProcess.start(FileLockContenderMain.class, tmp.resolve("contender-" + p + ".log"),
            dir.toString(), "critical", String.valueOf(threads), String.valueOf(rounds),
            log.toString(), marker.toString(), "p" + p));
      }
      for (JvmProcess c : children) {
        assertThat(c.await(5, TimeUnit.MINUTES)).as(c.output()).isZero();
      }
    } finally {
      children.forEach(JvmProcess::close);
    }

    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    assertThat(lines).noneMatch(l -> l.startsWith("OVERLAP"));
    assertThat(lines).hasSize(2 * processes * threads * rounds);
    Map<String, Integer> perWorker = new HashMap<>();
    for (int i = 0; i < lines.size(); i += 2) {
      String begin = lines.get(i);
      String end = lines.get(i + 1);
      assertThat(begin).as("line %d", i).startsWith("BEGIN ");
      assertThat(end).as("line %d follows %s", i + 1, begin).isEqualTo("END " + begin.substring("BEGIN ".length()));
      perWorker.merge(begin.split(" ")[1], 1, Integer::sum);
    }
    assertThat(perWorker).hasSize(processes * threads).allSatisfy((w, n) -> assertThat(n).isEqualTo(rounds));
    assertThat(Files.exists(marker)).isFalse();
    try (FileLockProvider observer = FileLockProvider.in(dir)) {
      assertThat(observer.inspect("critical")).isEmpty();
    }
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("critical.lock", ".critical.lock.guard");
    }
  }
}
