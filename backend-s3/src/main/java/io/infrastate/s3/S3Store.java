package io.infrastate.s3;

import io.infrastate.model.BackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * The few S3 requests the backend and the lock provider make, with their failures translated into
 * {@link BackendException}s that name the request and object but never a credential. Conditional
 * failures (412, and 409 "a conflicting conditional operation is in progress") are results, not
 * exceptions.
 *
 * <p>Instances are immutable and thread-safe (the {@link S3Client} is).
 */
final class S3Store {
  /*
   * Design notes.
   *
   * SERVERS THAT IGNORE THE CONDITION. Some S3-compatible servers accept If-None-Match and ignore
   * it, so every PUT "wins" and two writers could both commit serial N. Before its first
   * conditional write, each S3Store (one per backend; a lock provider from lockProvider() shares
   * it, one made by S3LockProvider.create has its own) creates a probe object under
   * KEY.infrastate/, creates it again with If-None-Match: *, and deletes it. A server that accepts
   * the second PUT is refused for every write and lock (ConditionalWritesUnsupportedException,
   * naming the endpoint) before anything of the state is written; loads do not probe and keep
   * working. The answer is cached for the store's life; a probe that fails with an I/O error is
   * not an answer and runs again next time. Cost: three requests, once per instance.
   */
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(S3Store.class);

  /** An object's content and what identifies that content. */
  record Blob(byte[] content, String etag, Map<String, String> metadata) {}

  /** An object's identity without its content. */
  record Head(String etag, long size, Map<String, String> metadata) {}

  /** A listed key and its size. */
  record Listed(String key, long size) {}

  private final S3Client client;
  private final String bucket;
  private final Sse sse;
  /** Where the conditional-write probe creates its short-lived objects (a unique name is appended). */
  private final String probePrefix;
  /** Whether the server refused a create-only PUT of an existing key; null until checked. */
  private volatile Boolean conditionalWrites;

  /** Server-side encryption for every object written. */
  record Sse(ServerSideEncryption algorithm, String kmsKeyId) {
    static final Sse NONE = new Sse(null, null);
  }

  /**
   * @param probePrefix the key prefix of the objects the conditional-write probe creates and
   *     deletes again, beside what this store is used for
   */
  S3Store(S3Client client, String bucket, Sse sse, String probePrefix) {
    this.client = client;
    this.bucket = bucket;
    this.sse = sse;
    this.probePrefix = probePrefix;
  }

  S3Client client() {
    return client;
  }

  String bucket() {
    return bucket;
  }

  String uri(String key) {
    return "s3://" + bucket + "/" + key;
  }

  Optional<Blob> get(String key) {
    try {
      ResponseBytes<GetObjectResponse> r =
          client.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key).build());
      return Optional.of(new Blob(r.asByteArrayUnsafe(), r.response().eTag(), r.response().metadata()));
    } catch (S3Exception e) {
      if (e.statusCode() == 404 && !isNoSuchBucket(e)) {
        return Optional.empty();
      }
      throw fail("GET", key, e);
    } catch (SdkException e) {
      throw fail("GET", key, e);
    }
  }

  Optional<Head> head(String key) {
    try {
      HeadObjectResponse r = client.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build());
      return Optional.of(new Head(r.eTag(), r.contentLength() == null ? -1 : r.contentLength(), r.metadata()));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw fail("HEAD", key, e);
    } catch (SdkException e) {
      throw fail("HEAD", key, e);
    }
  }

  /**
   * Creates an object only if none exists under its key ({@code If-None-Match: *}).
   *
   * @return the new ETag, or empty if an object already exists
   */
  Optional<String> putIfAbsent(String key, byte[] content, Map<String, String> metadata) {
    return putIfAbsent(key, ObjectBody.of(content), metadata);
  }

  /**
   * Creates an object only if none exists under its key ({@code If-None-Match: *}), sending its
   * content from the chunks it is held in.
   *
   * @return the new ETag, or empty if an object already exists
   */
  Optional<String> putIfAbsent(String key, ObjectBody content, Map<String, String> metadata) {
    requireConditionalWrites();
    return putConditional(key, content, metadata, "*", null);
  }

  /**
   * Checks once per store that the server refuses a create-only PUT ({@code If-None-Match: *}) of
   * an object that already exists: a probe object is created, created again under that
   * condition, and deleted. The answer is kept (a failed request is not an answer: the next call
   * probes again).
   *
   * @throws ConditionalWritesUnsupportedException if the server accepted the second PUT
   * @throws BackendException if a probe request failed
   */
  void requireConditionalWrites() {
    Boolean known = conditionalWrites;
    if (known == null) {
      synchronized (this) {
        known = conditionalWrites;
        if (known == null) {
          known = probeConditionalWrites();
          conditionalWrites = known;
        }
      }
    }
    if (!known) {
      throw new ConditionalWritesUnsupportedException(server(), bucket);
    }
  }

  private boolean probeConditionalWrites() {
    String key = probePrefix + "conditional-write-probe-" + java.util.UUID.randomUUID();
    byte[] body = "{\"probe\": \"If-None-Match\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    put(key, body, Map.of()); // if this fails, nothing was created
    try {
      boolean accepted = putConditional(key, ObjectBody.of(body), Map.of(), "*", null).isPresent();
      if (accepted) {
        LOG.error("The S3 server {} accepted a create-only PUT of the existing object {}: it ignores"
            + " If-None-Match, so infrastate will not write to it", server(), uri(key));
      }
      return !accepted;
    } finally {
      try {
        delete(key);
      } catch (BackendException e) {
        LOG.warn("Could not delete the probe object {}: {}; delete it by hand", uri(key), e.getMessage());
      }
    }
  }

  /** The server this store talks to, for messages: the endpoint, or AWS S3 and its region. */
  String server() {
    var config = client.serviceClientConfiguration();
    return config.endpointOverride().map(java.net.URI::toString)
        .orElseGet(() -> "AWS S3" + (config.region() == null ? "" : " (" + config.region().id() + ")"));
  }

  /**
   * Replaces an object only if it still has the given ETag ({@code If-Match}).
   *
   * @return the new ETag, or empty if the object changed or vanished
   */
  Optional<String> putIfMatch(String key, byte[] content, Map<String, String> metadata, String etag) {
    return putIfMatch(key, ObjectBody.of(content), metadata, etag);
  }

  /**
   * Replaces an object only if it still has the given ETag ({@code If-Match}), sending its content
   * from the chunks it is held in.
   *
   * @return the new ETag, or empty if the object changed or vanished
   */
  Optional<String> putIfMatch(String key, ObjectBody content, Map<String, String> metadata, String etag) {
    return putConditional(key, content, metadata, null, etag);
  }

  private Optional<String> putConditional(
      String key, ObjectBody content, Map<String, String> metadata, String ifNoneMatch, String ifMatch) {
    PutObjectRequest.Builder b = putRequest(key, metadata);
    if (ifNoneMatch != null) {
      b.ifNoneMatch(ifNoneMatch);
    }
    if (ifMatch != null) {
      b.ifMatch(ifMatch);
    }
    try {
      return Optional.of(client.putObject(b.build(), content.requestBody()).eTag());
    } catch (S3Exception e) {
      if (isConditionFailure(e) || (ifMatch != null && e.statusCode() == 404)) {
        return Optional.empty();
      }
      throw fail("PUT", key, e);
    } catch (SdkException e) {
      throw fail("PUT", key, e);
    }
  }

  /** Writes an object unconditionally; returns its ETag. */
  String put(String key, byte[] content, Map<String, String> metadata) {
    return put(key, ObjectBody.of(content), metadata);
  }

  /** Writes an object unconditionally, sending its content from the chunks it is held in; returns its ETag. */
  String put(String key, ObjectBody content, Map<String, String> metadata) {
    try {
      return client.putObject(putRequest(key, metadata).build(), content.requestBody()).eTag();
    } catch (SdkException e) {
      throw fail("PUT", key, e);
    }
  }

  private PutObjectRequest.Builder putRequest(String key, Map<String, String> metadata) {
    PutObjectRequest.Builder b = PutObjectRequest.builder()
        .bucket(bucket)
        .key(key)
        .contentType("application/json")
        .metadata(metadata);
    if (sse.algorithm() != null) {
      b.serverSideEncryption(sse.algorithm());
      if (sse.kmsKeyId() != null) {
        b.ssekmsKeyId(sse.kmsKeyId());
      }
    }
    return b;
  }

  /**
   * Deletes an object only if it still has the given ETag.
   *
   * @return {@code true} if deleted, {@code false} if it changed or vanished
   */
  boolean deleteIfMatch(String key, String etag) {
    try {
      client.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).ifMatch(etag).build());
      return true;
    } catch (S3Exception e) {
      if (isConditionFailure(e) || e.statusCode() == 404) {
        return false;
      }
      throw fail("DELETE", key, e);
    } catch (SdkException e) {
      throw fail("DELETE", key, e);
    }
  }

  void delete(String key) {
    try {
      client.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build());
    } catch (SdkException e) {
      throw fail("DELETE", key, e);
    }
  }

  /**
   * Lists keys under a prefix in key order, after {@code startAfter} (exclusive; null for all).
   *
   * @param limit the most keys to return; {@link Integer#MAX_VALUE} for all (paging through)
   */
  List<Listed> list(String prefix, String startAfter, int limit) {
    List<Listed> out = new ArrayList<>();
    String token = null;
    try {
      do {
        ListObjectsV2Request.Builder b = ListObjectsV2Request.builder()
            .bucket(bucket)
            .prefix(prefix)
            .maxKeys(Math.min(1000, limit - out.size()));
        if (token != null) {
          b.continuationToken(token);
        } else if (startAfter != null) {
          b.startAfter(startAfter);
        }
        ListObjectsV2Response r = client.listObjectsV2(b.build());
        for (S3Object o : r.contents()) {
          out.add(new Listed(o.key(), o.size() == null ? -1 : o.size()));
        }
        token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
      } while (token != null && out.size() < limit);
    } catch (SdkException e) {
      throw fail("LIST", prefix, e);
    }
    return out;
  }

  static boolean isConditionFailure(S3Exception e) {
    // 412 Precondition Failed; 409 ConditionalRequestConflict ("a conflicting conditional
    // operation is currently in progress against this resource"), which AWS returns to the loser
    // of a concurrent create-only race.
    return e.statusCode() == 412 || e.statusCode() == 409;
  }

  private static boolean isNoSuchBucket(S3Exception e) {
    return e.awsErrorDetails() != null && "NoSuchBucket".equals(e.awsErrorDetails().errorCode());
  }

  /**
   * Translates an SDK failure; the message names the request and object, what the server said,
   * and what to do, never a credential.
   */
  BackendException fail(String request, String key, SdkException e) {
    String what = request + " " + uri(key);
    if (e instanceof S3Exception s3) {
      int status = s3.statusCode();
      String code = s3.awsErrorDetails() != null && s3.awsErrorDetails().errorCode() != null
          ? s3.awsErrorDetails().errorCode() : "HTTP " + status;
      if (status == 403 || status == 401) {
        return new BackendException(
            "S3 refused " + what + ": " + code + " (HTTP " + status + "). Check the credentials (the AWS"
                + " SDK default chain: environment, system properties, profile, container or instance"
                + " role), the clock, and the bucket policy; nothing was written by this request.",
            e, false);
      }
      if (isNoSuchBucket(s3)) {
        return new BackendException(
            "S3 bucket '" + bucket + "' does not exist (" + what + "); create it or fix the bucket name.", e, false);
      }
      boolean retryable = status >= 500 || status == 429 || e.retryable();
      return new BackendException(
          "S3 request " + what + " failed: " + code + " (HTTP " + status + ")"
              + (retryable ? "; the server may recover, retry later." : "."),
          e, retryable);
    }
    if (e instanceof SdkClientException) {
      return new BackendException(
          "Could not complete " + what + ": " + firstLine(e.getMessage()) + ". Check that the S3 endpoint is"
              + " reachable; retry later.",
          e, true);
    }
    return new BackendException("S3 request " + what + " failed: " + firstLine(e.getMessage()), e, e.retryable());
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no details";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
