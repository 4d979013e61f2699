package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import io.infrastate.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What is specific to lock files: layout, format, permissions, links, damage. */
class FileLockProviderTest {
  @TempDir Path root;
  Path dir;
  MutableClock clock;
  FileLockProvider locks;

  @BeforeEach
  void setUp() {
    dir = root.resolve("locks");
    clock = MutableClock.at(Instant.parse("2026-03-01T12:00:00Z"));
    locks = FileLockProvider.in(dir, LockOptions.builder().clock(clock).operator("alice@build-7").hostname("build-7").pid(4242).build());
  }

  private static List<String> tree(Path p) throws Exception {
    try (Stream<Path> s = Files.walk(p)) {
      return s.map(x -> p.relativize(x).toString()).sorted().toList();
    }
  }

  @Test
  void theLockIsOneFileOfSeedFieldsWithMode0600() throws Exception {
    LockRequest req = LockRequest.builder().operation("deploy").reason("ticket OPS-42").lease(Duration.ofMinutes(30)).build();
    try (Lock lock = locks.tryAcquire("my-app", req).orElseThrow()) {
      Path file = dir.resolve("my-app.lock");
      assertThat(locks.lockFile("my-app")).isEqualTo(file);
      assertThat(Files.isRegularFile(file)).isTrue();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
      String json = Files.readString(file, StandardCharsets.UTF_8);
      assertThat(json).isEqualTo("{\n"
          + "  \"id\": \"" + lock.id() + "\",\n"
          + "  \"name\": \"my-app\",\n"
          + "  \"operator\": \"alice@build-7\",\n"
          + "  \"timestamp\": \"2026-03-01T12:00:00Z\",\n"
          + "  \"operation\": \"deploy\",\n"
          + "  \"reason\": \"ticket OPS-42\",\n"
          + "  \"created_at\": \"2026-03-01T12:00:00Z\",\n"
          + "  \"expires_at\": \"2026-03-01T12:30:00Z\",\n"
          + "  \"pid\": 4242,\n"
          + "  \"hostname\": \"build-7\",\n"
          + "  \"token\": " + Instant.parse("2026-03-01T12:00:00Z").toEpochMilli() + ",\n"
          + "  \"released\": false\n"
          + "}\n");
      assertThat(LockInfoCodec.decode(json.getBytes(StandardCharsets.UTF_8), "x")).isEqualTo(lock.info());
      assertThat(tree(dir)).containsExactly("", ".my-app.lock.guard", "my-app.lock");
    }
    // the released record stays, carrying the token on to the next acquisition
    assertThat(tree(dir)).containsExactly("", ".my-app.lock.guard", "my-app.lock");
    assertThat(Files.readString(dir.resolve("my-app.lock"), StandardCharsets.UTF_8)).contains("\"released\": true");
    assertThat(locks.inspect("my-app")).isEmpty();
  }

  @Test
  void aLockFileWrittenByAnotherToolIsHonoured() throws Exception {
    Files.writeString(dir.resolve("deploy.lock"), "{\"id\":\"lock_by-hand\",\"name\":\"deploy\",\"operator\":\"claude\","
        + "\"timestamp\":\"2026-03-01T11:50:00Z\",\"operation\":\"deploy\",\"reason\":\"\",\"expires_at\":\"2026-03-01T12:20:00Z\"}");
    assertThat(locks.tryAcquire("deploy", LockRequest.of("deploy"))).isEmpty();
    LockInfo info = locks.inspect("deploy").orElseThrow();
    assertThat(info.operator()).isEqualTo("claude");
    assertThat(info.createdAt()).isEqualTo(Instant.parse("2026-03-01T11:50:00Z"));
    clock.set(Instant.parse("2026-03-01T12:20:00Z"));
    assertThat(locks.tryAcquire("deploy", LockRequest.of("deploy"))).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "../../etc/passwd", "a/b", "/tmp/x", "..", "a\\b", "x/../../y", "a\u0000b", "nl\nx", ""})
  void namesThatCouldEscapeAreRefusedAndNothingIsCreatedAnywhere(String name) throws Exception {
    List<String> before = tree(root);
    LockRequest req = LockRequest.of("escape");
    assertThatThrownBy(() -> locks.tryAcquire(name, req)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Invalid lock name");
    assertThatThrownBy(() -> locks.acquire(name, req, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> locks.inspect(name)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> locks.forceUnlock(name, "lock_x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> locks.lockFile(name)).isInstanceOf(IllegalArgumentException.class);
    assertThat(tree(root)).isEqualTo(before).containsExactly("", "locks");
  }

  @Test
  void aSymlinkPlantedAtTheLockPathIsNeverFollowed() throws Exception {
    Path target = root.resolve("precious.txt");
    Files.writeString(target, "keep me");
    Files.createSymbolicLink(dir.resolve("deploy.lock"), target);
    assertThatThrownBy(() -> locks.tryAcquire("deploy", LockRequest.of("deploy")))
        .isInstanceOf(BackendException.class).hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> locks.inspect("deploy")).isInstanceOf(BackendException.class).hasMessageContaining("symbolic link");
    assertThat(Files.readString(target)).isEqualTo("keep me");
  }

  @Test
  void aSymlinkPlantedAtTheGuardPathIsNeverFollowed() throws Exception {
    Path target = root.resolve("elsewhere.txt");
    Files.createSymbolicLink(dir.resolve(".deploy.lock.guard"), target);
    assertThatThrownBy(() -> locks.tryAcquire("deploy", LockRequest.of("deploy")))
        .isInstanceOf(BackendException.class).hasMessageContaining("symbolic link");
    assertThat(Files.exists(target)).isFalse();
    assertThat(Files.exists(dir.resolve("deploy.lock"))).isFalse();
  }

  @Test
  void aDamagedLockFileIsReportedAndNeverOverwritten() throws Exception {
    Path file = dir.resolve("deploy.lock");
    byte[] damaged = "{\"id\": \"lock_1\", \"name\": \"deploy\", \"expires_at\": 42}".getBytes(StandardCharsets.UTF_8);
    Files.write(file, damaged);
    clock.advance(Duration.ofDays(365));
    assertThatThrownBy(() -> locks.tryAcquire("deploy", LockRequest.of("deploy")))
        .isInstanceOfSatisfying(CorruptStateException.class, e -> {
          assertThat(e.location()).isEqualTo(file.toString());
          assertThat(e.jsonPath()).contains("$.expires_at");
          assertThat(e.getMessage()).contains("delete it by hand");
        });
    assertThatThrownBy(() -> locks.inspect("deploy")).isInstanceOf(CorruptStateException.class);
    assertThat(Files.readAllBytes(file)).isEqualTo(damaged);
  }

  @Test
  void tempFilesLeftByAKilledWriterAreRemovedByTheNextWriterOfThatName() throws Exception {
    Path leftover = dir.resolve(".deploy.lock.k3x9.new");
    Path otherName = dir.resolve(".deploy.lock.x.lock.k3x9.new"); // belongs to lock "deploy.lock.x"
    Files.writeString(leftover, "partial");
    Files.writeString(otherName, "partial");
    try (Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow()) {
      assertThat(lock.isHeld()).isTrue();
      assertThat(Files.exists(leftover)).isFalse();
      assertThat(Files.exists(otherName)).isTrue();
    }
  }

  @Test
  void twoProvidersInOneJvmShareGuardsEvenThroughADirectorySymlink() throws Exception {
    Path alias = root.resolve("alias");
    Files.createSymbolicLink(alias, dir);
    try (FileLockProvider other = FileLockProvider.in(alias, LockOptions.builder().clock(clock).build())) {
      assertThat(other.directory()).isEqualTo(locks.directory());
      Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
      assertThat(other.tryAcquire("deploy", LockRequest.of("deploy"))).isEmpty();
      assertThat(other.inspect("deploy")).contains(lock.info());
      lock.release();
      assertThat(other.tryAcquire("deploy", LockRequest.of("deploy"))).isPresent();
    }
  }

  @Test
  void theDirectoryIsCreatedOwnerOnly() throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
  }
}
