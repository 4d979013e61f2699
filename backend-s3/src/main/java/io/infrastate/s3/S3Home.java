package io.infrastate.s3;

import io.infrastate.StateStore;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StateHome;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/**
 * The workspaces of an S3 state, one key prefix each: workspace NAME of {@code s3://BUCKET/KEY} is
 * the state at {@code KEY.d/NAME/BASENAME}, so that everything of a workspace (its readable copy,
 * log, checkpoints and locks) is under {@code KEY.d/NAME/}. A workspace exists when its log holds a
 * record.
 *
 * <p>Removing deletes the objects under {@code KEY.d/NAME/}, the log records last: until the last
 * record is gone the workspace is still listed, so an interrupted removal is finished by deleting
 * it again (with force, since what is left may no longer load).
 *
 * <p>Instances are thread-safe. The home builds one S3 client, on first use, shared by every
 * backend and lock provider it opens; closing the home closes them and the client.
 */
final class S3Home implements StateHome {
  private final URI uri;
  private final String bucket;
  private final String key;
  private final String basename;
  private final List<S3Backend> opened = new ArrayList<>();
  private S3Client client;

  S3Home(URI uri) {
    this.uri = uri;
    this.bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    this.key = uri.getPath().substring(1);
    this.basename = key.substring(key.lastIndexOf('/') + 1);
  }

  private synchronized S3Client client() {
    if (client == null) {
      client = client(uri);
    }
    return client;
  }

  /**
   * An S3 client as {@link S3Backend.Builder#build()} makes one from the URI's region, endpoint,
   * path style and profile (or the SDK's default credentials chain). The caller closes it. Here, not
   * in the provider, so that resolving other schemes never loads the SDK's client classes.
   */
  private static S3Client client(URI uri) {
    Map<String, String> params = new java.util.HashMap<>();
    S3BackendProvider.query(uri.getRawQuery(), BackendRegistry.redact(uri)).forEach((k, v) -> params.put(k.toLowerCase(Locale.ROOT), v));
    S3ClientBuilder b = S3Client.builder();
    if (params.containsKey("region")) {
      b.region(Region.of(params.get("region")));
    }
    if (params.containsKey("endpoint")) {
      b.endpointOverride(URI.create(params.get("endpoint")));
      b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
      b.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    if (params.containsKey("pathstyle") && S3BackendProvider.bool("pathStyle", params.get("pathstyle"))) {
      b.forcePathStyle(true);
    }
    if (params.containsKey("profile")) {
      b.credentialsProvider(ProfileCredentialsProvider.create(params.get("profile")));
    } else {
      b.credentialsProvider(DefaultCredentialsProvider.builder().build());
    }
    try {
      return b.build();
    } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
      throw new io.infrastate.model.BackendException("Could not set up the S3 client for " + BackendRegistry.redact(uri)
          + ": " + e.getMessage() + " Set a region (the region parameter, AWS_REGION or a profile).", e, false);
    }
  }

  private String prefix(String workspace) {
    return key + ".d/" + workspace + "/";
  }

  @Override
  public URI uri(String workspace) {
    if (DEFAULT.equals(workspace)) {
      return uri;
    }
    String rawPath = uri.getRawPath();
    String rawBase = rawPath.substring(rawPath.lastIndexOf('/') + 1);
    return URI.create("s3://" + uri.getRawAuthority() + rawPath + ".d/" + workspace + "/" + rawBase
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
  }

  @Override
  public Backend open(String workspace) {
    return S3BackendProvider.parse(uri(workspace), client()).build();
  }

  @Override
  public LockProvider locks(String workspace, LockOptions options) {
    S3Backend backend = S3BackendProvider.parse(uri(workspace), client()).build();
    synchronized (this) {
      opened.add(backend);
    }
    return backend.lockProvider(options);
  }

  @Override
  public List<String> workspaces() {
    S3Store store = store();
    String root = key + ".d/";
    List<String> names = new ArrayList<>();
    String token = null;
    try {
      do {
        ListObjectsV2Request.Builder b = ListObjectsV2Request.builder().bucket(bucket).prefix(root).delimiter("/");
        if (token != null) {
          b.continuationToken(token);
        }
        ListObjectsV2Response r = client().listObjectsV2(b.build());
        for (CommonPrefix p : r.commonPrefixes()) {
          String name = p.prefix().substring(root.length(), p.prefix().length() - 1);
          if (StateStore.isValidName(name) && !name.equals(DEFAULT)
              && !store.list(prefix(name) + basename + ".infrastate/log/", null, 1).isEmpty()) {
            names.add(name);
          }
        }
        token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
      } while (token != null);
    } catch (SdkException e) {
      throw store.fail("LIST", root, e);
    }
    names.sort(null);
    return List.copyOf(names);
  }

  @Override
  public void remove(String workspace) {
    S3Store store = store();
    List<String> log = new ArrayList<>();
    String logPrefix = prefix(workspace) + basename + ".infrastate/log/";
    for (S3Store.Listed l : store.list(prefix(workspace), null, Integer.MAX_VALUE)) {
      if (l.key().startsWith(logPrefix)) {
        log.add(l.key());
      } else {
        store.delete(l.key());
      }
    }
    for (String k : log) {
      store.delete(k);
    }
  }

  private S3Store store() {
    return new S3Store(client(), bucket, S3Store.Sse.NONE, key + ".infrastate/");
  }

  @Override
  public synchronized void close() {
    try {
      for (S3Backend b : opened) {
        b.close();
      }
      opened.clear();
    } finally {
      if (client != null) {
        client.close();
        client = null;
      }
    }
  }
}
