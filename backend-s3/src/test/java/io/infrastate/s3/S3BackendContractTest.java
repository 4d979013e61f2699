package io.infrastate.s3;

import io.infrastate.spi.Backend;
import io.infrastate.testkit.BackendContract;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The backend contract against a real S3-compatible server.
 *
 * <p>How "an outside tool replaces the stored content" maps to S3: while the state has no log, the
 * tool writes the object at the state's key (as {@code aws s3 cp} would), which the backend imports.
 * Once a log exists, the state is the log, and a tool changes it by committing the next record;
 * {@link #writeRaw} creates {@code log/<head+1>.json} with the raw bytes (a bare state.json is a
 * valid full record) and also writes them at the state's key, where {@link #readRaw} reads them.
 * Overwriting an existing, immutable record in place is outside the contract of this backend (a
 * process that already read it keeps its cached copy); {@link S3BackendFaultTest} covers damage
 * to existing records on load.
 */
class S3BackendContractTest extends BackendContract<S3BackendContractTest.Storage> {
  record Storage(String bucket, String key) {}

  @RegisterExtension static final S3Bucket s3 = new S3Bucket();
  final java.util.List<S3Backend> opened = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Override
  protected Storage newStorage() {
    return new Storage(s3.bucket(), "contract/" + UUID.randomUUID() + "/state.json");
  }

  @Override
  protected Backend openBackend(Storage storage) {
    S3Backend b = S3Backend.builder().client(s3.client()).bucket(storage.bucket()).key(storage.key()).build();
    opened.add(b);
    return b;
  }

  @Override
  protected void writeRaw(Storage storage, byte[] content) {
    flushDerived(); // what is written by hand comes after the derived objects of earlier writes
    String logPrefix = storage.key() + ".infrastate/log/";
    List<S3Object> log = s3.client().listObjectsV2(ListObjectsV2Request.builder().bucket(storage.bucket()).prefix(logPrefix).build()).contents();
    if (!log.isEmpty()) {
      String last = log.get(log.size() - 1).key();
      long head = Long.parseLong(last.substring(logPrefix.length(), logPrefix.length() + 20));
      String next = logPrefix + String.format("%020d", head + 1) + ".json";
      s3.client().putObject(PutObjectRequest.builder().bucket(storage.bucket()).key(next).ifNoneMatch("*").build(),
          RequestBody.fromBytes(content));
    }
    s3.client().putObject(PutObjectRequest.builder().bucket(storage.bucket()).key(storage.key()).build(), RequestBody.fromBytes(content));
  }

  /** Waits for the readable copies and checkpoints the opened backends write in the background. */
  private void flushDerived() {
    try {
      for (S3Backend b : opened) {
        b.flushDerived();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected Optional<byte[]> readRaw(Storage storage) {
    flushDerived();
    try {
      return Optional.of(s3.client().getObjectAsBytes(GetObjectRequest.builder().bucket(storage.bucket()).key(storage.key()).build()).asByteArray());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }
}
