package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.CorruptStateException;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import io.infrastate.testkit.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/** What the S3 lock provider adds to the contract: races for a stale lock, damaged lock objects. */
class S3LockProviderTest {
  @RegisterExtension static final S3Bucket s3 = new S3Bucket();

  @Test
  void contendersForAStaleLockNeverBothWin() throws Exception {
    MutableClock clock = MutableClock.create();
    String prefix = "race-" + UUID.randomUUID() + "/";
    int contenders = 8;
    List<S3LockProvider> providers = new ArrayList<>();
    for (int i = 0; i < contenders; i++) {
      providers.add(S3LockProvider.create(s3.client(), s3.bucket(), prefix,
          LockOptions.builder().clock(clock).operator("c" + i + "@test").build()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(contenders);
    try {
      S3LockProvider first = providers.get(0);
      first.tryAcquire("deploy", LockRequest.builder().lease(Duration.ofMinutes(1)).build()).orElseThrow();
      for (int round = 0; round < 10; round++) {
        clock.advance(Duration.ofMinutes(2)); // whoever holds it now is stale
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Optional<Lock>>> tries = new ArrayList<>();
        for (S3LockProvider p : providers) {
          tries.add(pool.submit(() -> {
            go.await();
            return p.tryAcquire("deploy", LockRequest.builder().lease(Duration.ofMinutes(1)).build());
          }));
        }
        go.countDown();
        List<Lock> winners = new ArrayList<>();
        for (Future<Optional<Lock>> f : tries) {
          f.get(60, TimeUnit.SECONDS).ifPresent(winners::add);
        }
        assertThat(winners).as("round " + round).hasSize(1);
        assertThat(first.inspect("deploy").orElseThrow().id()).isEqualTo(winners.get(0).id());
      }
    } finally {
      pool.shutdownNow();
      providers.forEach(S3LockProvider::close);
    }
  }

  @Test
  void aDamagedLockObjectIsReportedNotOverwritten() throws Exception {
    String prefix = "damaged-" + UUID.randomUUID() + "/";
    s3.client().putObject(PutObjectRequest.builder().bucket(s3.bucket()).key(prefix + "deploy.lock").build(),
        RequestBody.fromString("{\"id\": 42"));
    try (S3LockProvider p = S3LockProvider.create(s3.client(), s3.bucket(), prefix, LockOptions.defaults())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.tryAcquire("deploy", LockRequest.builder().build()))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("s3://" + s3.bucket() + "/" + prefix + "deploy.lock");
      assertThat(p.location()).isEqualTo("s3://" + s3.bucket() + "/" + prefix);
    }
  }
}
