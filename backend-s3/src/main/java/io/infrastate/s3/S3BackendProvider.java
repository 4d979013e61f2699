package io.infrastate.s3;

import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendProvider;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.UriParameters;
import io.infrastate.spi.StateHome;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Opens {@code s3://} URIs, so that {@code State.open("s3://bucket/envs/prod/state.json")} works.
 * Registered for {@link java.util.ServiceLoader} discovery.
 *
 * <h2>URI grammar</h2>
 *
 * <pre>
 * s3://BUCKET/KEY[?PARAM=VALUE(&amp;PARAM=VALUE)*]
 *
 *   region=eu-west-1                  region (default: the SDK's region chain)
 *   endpoint=http://127.0.0.1:9000    S3-compatible server (MinIO, Ceph, R2, S3Proxy)
 *   pathStyle=true|false              path-style URLs (default false)
 *   profile=NAME                      credentials from this profile (default: the SDK's chain)
 *   sse=AES256|aws:kms                server-side encryption for every object written
 *   kmsKeyId=ID                       KMS key for sse=aws:kms (default: the bucket's AWS-managed key)
 *   checkpointBytes=65536             log (bytes, 4 KiB per record) that makes a checkpoint due,
 *                                     or a quarter of the state if that is more
 *   checkpointInterval=N              at most N versions between checkpoints (default: no limit)
 *   readableCopyMaxBytes=262144       rewrite the readable copy on every write up to this size
 *   retainCheckpoints=0               prune history, keeping this many checkpoints (0: keep all)
 *   external=record|refuse            an object another tool wrote to KEY: recorded (default) or refused
 * </pre>
 *
 * Values are percent-decoded. Example: {@code
 * s3://infra/envs/prod/state.json?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true}.
 * Credentials are never accepted in the URI (user info is refused): they come from the AWS SDK's
 * default chain or the named profile. An unknown parameter is refused, naming it.
 *
 * <p>Instances are stateless and thread-safe.
 */
public final class S3BackendProvider implements BackendProvider {
  private static final Set<String> PARAMS = Set.of(
      "region", "endpoint", "pathstyle", "profile", "sse", "kmskeyid", "checkpointinterval", "checkpointbytes",
      "readablecopymaxbytes", "retaincheckpoints", "external");

  /** Creates the provider (for {@link java.util.ServiceLoader}). */
  public S3BackendProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("s3");
  }

  @Override
  public Backend open(URI uri) {
    return parse(uri).build();
  }

  /**
   * Reads an {@code s3://} URI into a builder, without contacting anything.
   *
   * @param uri the URI
   * @return a configured builder
   * @throws UnknownBackendException if the URI is malformed, names no bucket or key, carries
   *     credentials or has an unknown or invalid parameter
   */
  public static S3Backend.Builder parse(URI uri) {
    return parse(uri, null);
  }

  /**
   * The home of an S3 state: workspace NAME of {@code s3://BUCKET/KEY} is the key {@code
   * KEY.d/NAME/BASENAME} (for {@code envs/prod/state.json}: {@code
   * envs/prod/state.json.d/staging/state.json}), with its log, checkpoints and locks under that
   * key's own {@code .infrastate/} prefix as for any state. One S3 client, built from the URI's
   * parameters, serves the home and every workspace's backend and lock provider.
   *
   * @param uri the state URI
   * @return the home; closing it closes its client
   * @throws UnknownBackendException if the URI is malformed or has a bad parameter
   */
  @Override
  public StateHome home(URI uri) {
    parse(uri);
    return new S3Home(uri);
  }

  /**
   * Reads a URI into a builder; with a client, the builder uses it and the URI's client parameters
   * (region, endpoint, pathStyle, profile) are only checked.
   */
  static S3Backend.Builder parse(URI uri, S3Client client) {
    String shown = BackendRegistry.redact(uri);
    if (!"s3".equalsIgnoreCase(uri.getScheme())) {
      throw new UnknownBackendException("Not an s3:// URI: " + shown);
    }
    if (uri.getRawUserInfo() != null) {
      throw new UnknownBackendException("State URI " + shown + " carries user info; credentials are never read"
          + " from URIs. Remove it and use the AWS SDK default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
          + " a profile, or a role), or profile=NAME.");
    }
    String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    if (bucket == null || bucket.isEmpty()) {
      throw new UnknownBackendException("State URI " + shown + " names no bucket; use s3://BUCKET/KEY");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String key = path.startsWith("/") ? path.substring(1) : path;
    if (key.isEmpty() || key.endsWith("/")) {
      throw new UnknownBackendException("State URI " + shown + " names no object key; use s3://BUCKET/KEY such as"
          + " s3://" + bucket + "/state.json");
    }
    S3Backend.Builder b = S3Backend.builder().bucket(bucket).key(key);
    Map<String, String> params = query(uri.getRawQuery(), shown);
    String sse = null;
    String kms = null;
    for (Map.Entry<String, String> e : params.entrySet()) {
      String name = e.getKey();
      String value = e.getValue();
      try {
        switch (name.toLowerCase(Locale.ROOT)) {
          case "region" -> {
            if (client == null) {
              b.region(value);
            }
          }
          case "endpoint" -> {
            URI endpoint = URI.create(value);
            if (client == null) {
              b.endpoint(endpoint);
            }
          }
          case "pathstyle" -> {
            boolean pathStyle = bool(name, value);
            if (client == null) {
              b.pathStyle(pathStyle);
            }
          }
          case "profile" -> {
            if (client == null) {
              b.profile(value);
            }
          }
          case "sse" -> sse = value;
          case "kmskeyid" -> kms = value;
          case "checkpointinterval" -> b.checkpointInterval(Integer.parseInt(value));
          case "checkpointbytes" -> b.checkpointBytes(Long.parseLong(value));
          case "readablecopymaxbytes" -> b.readableCopyMaxBytes(Long.parseLong(value));
          case "retaincheckpoints" -> b.retainCheckpoints(Integer.parseInt(value));
          case "external" -> b.externalEdits(io.infrastate.model.ExternalEditPolicy.parse(value));
          default -> throw new UnknownBackendException("Unknown parameter '" + name + "' in " + shown
              + "; known: " + PARAMS);
        }
      } catch (IllegalArgumentException ex) {
        throw new UnknownBackendException("Invalid value for parameter '" + name + "' in " + shown + ": "
            + ex.getMessage());
      }
    }
    if (sse != null) {
      switch (sse) {
        case "AES256" -> {
          if (kms != null) {
            throw new UnknownBackendException("kmsKeyId needs sse=aws:kms, not sse=AES256, in " + shown);
          }
          b.sseS3();
        }
        case "aws:kms" -> b.sseKms(kms);
        default -> throw new UnknownBackendException("Unknown sse '" + sse + "' in " + shown + "; use AES256 or aws:kms");
      }
    } else if (kms != null) {
      b.sseKms(kms);
    }
    if (client != null) {
      b.client(client);
    }
    return b;
  }

  static boolean bool(String name, String value) {
    if ("true".equalsIgnoreCase(value)) {
      return true;
    }
    if ("false".equalsIgnoreCase(value)) {
      return false;
    }
    throw new IllegalArgumentException(name + " must be true or false, not '" + value + "'");
  }

  static Map<String, String> query(String raw, String shown) {
    Map<String, String> out = UriParameters.parse(raw, shown);
    for (String name : out.keySet()) {
      if (!PARAMS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new UnknownBackendException("Unknown parameter '" + name + "' in " + shown + "; known: " + PARAMS);
      }
    }
    return out;
  }

}
