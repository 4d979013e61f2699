package io.infrastate.s3;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3-compatible server (S3Proxy, in-memory blob store) on 127.0.0.1, for tests. It can be
 * stopped and started again on the same port with the same content, to inject outages. The one
 * S3 server fixture of the project: other modules' tests use it through this module's test jar.
 *
 * <p>Not thread-safe for start/stop; the server itself serves concurrent requests.
 */
public final class S3TestServer implements AutoCloseable {
  /** The access key the server accepts. */
  public static final String ACCESS_KEY = "infrastate-test-access";
  /** The secret of {@link #ACCESS_KEY}. */
  public static final String SECRET_KEY = "infrastate-test-secret-0123456789";
  /** The region clients sign for. */
  public static final String REGION = "us-east-1";

  private final BlobStore store;
  private final AuthenticationType authentication;
  private S3Proxy proxy;
  private int port;

  private S3TestServer(BlobStore store, AuthenticationType authentication) {
    this.store = store;
    this.authentication = authentication;
  }

  /**
   * Starts a server with an empty in-memory store on a free port.
   *
   * @return the running server
   * @throws Exception if the server does not start
   */
  public static S3TestServer start() throws Exception {
    S3TestServer s = new S3TestServer(BlobStores.create("transient", new Properties()), AuthenticationType.AWS_V2_OR_V4);
    s.startOn(0);
    return s;
  }

  /**
   * Starts a server that checks no signatures, for tests that put a proxy in front of it which
   * changes signed headers (as a server that ignores them would).
   *
   * @return the running server
   * @throws Exception if the server does not start
   */
  public static S3TestServer startWithoutAuthentication() throws Exception {
    S3TestServer s = new S3TestServer(BlobStores.create("transient", new Properties()), AuthenticationType.NONE);
    s.startOn(0);
    return s;
  }

  private void startOn(int wantedPort) throws Exception {
    S3Proxy p = S3Proxy.builder()
        .blobStore(store)
        .endpoint(URI.create("http://127.0.0.1:" + wantedPort))
        .awsAuthentication(authentication, ACCESS_KEY, SECRET_KEY)
        .build();
    p.start();
    while (!"STARTED".equals(p.getState())) {
      Thread.sleep(1);
    }
    proxy = p;
    port = p.getPort();
  }

  /**
   * Stops serving (connections are refused) but keeps the content.
   *
   * @throws Exception if the server does not stop
   */
  public void stop() throws Exception {
    if (proxy != null) {
      proxy.stop();
      proxy = null;
    }
  }

  /**
   * Serves the same content again on the same port.
   *
   * @throws Exception if the server does not start
   */
  public void restart() throws Exception {
    if (proxy == null) {
      startOn(port);
    }
  }

  /**
   * The server's address.
   *
   * @return {@code http://127.0.0.1:PORT}
   */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /**
   * Creates a bucket with a fresh random name.
   *
   * @return its name
   */
  public String newBucket() {
    String name = "b-" + UUID.randomUUID().toString().substring(0, 13);
    try (S3Client c = client()) {
      c.createBucket(CreateBucketRequest.builder().bucket(name).build());
    }
    return name;
  }

  /**
   * The state URI of an object on this server, as a user would write it (path style, the test
   * region); the credentials come from the SDK's default chain (see {@link S3Credentials}).
   *
   * @param bucket the bucket
   * @param key the state object's key, such as {@code envs/prod/state.json}
   * @return {@code s3://BUCKET/KEY?endpoint=…&region=…&pathStyle=true}
   */
  public String stateUri(String bucket, String key) {
    return "s3://" + bucket + "/" + key + "?endpoint=" + endpoint() + "&region=" + REGION + "&pathStyle=true";
  }

  /**
   * Every object of a bucket with its bytes, by key: what a test searches for bytes that must
   * not be stored.
   *
   * @param bucket the bucket
   * @return the objects in key order
   */
  public Map<String, byte[]> objects(String bucket) {
    Map<String, byte[]> out = new TreeMap<>();
    try (S3Client c = client()) {
      for (S3Object o : c.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
        out.put(o.key(), c.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asByteArray());
      }
    }
    return out;
  }

  /**
   * A path-style client with the server's credentials.
   *
   * @param interceptors added to the client, to observe or alter its requests
   * @return a new client; the caller closes it
   */
  public S3Client client(ExecutionInterceptor... interceptors) {
    return client(SECRET_KEY, interceptors);
  }

  /**
   * A path-style client that signs with {@code secret} (a wrong one gets 403).
   *
   * @param secret the secret to sign with
   * @param interceptors added to the client
   * @return a new client; the caller closes it
   */
  public S3Client client(String secret, ExecutionInterceptor... interceptors) {
    return client(endpoint(), secret, interceptors);
  }

  /**
   * A path-style client for an endpoint (also used by child JVMs, which get the endpoint as text).
   *
   * @param endpoint the server's address
   * @param secret the secret to sign with
   * @param interceptors added to the client
   * @return a new client; the caller closes it
   */
  public static S3Client client(URI endpoint, String secret, ExecutionInterceptor... interceptors) {
    ClientOverrideConfiguration.Builder o = ClientOverrideConfiguration.builder();
    for (ExecutionInterceptor i : interceptors) {
      o.addExecutionInterceptor(i);
    }
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.of(REGION))
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secret)))
        .overrideConfiguration(o.build())
        .build();
  }

  /**
   * Serves until standard input closes, for a benchmark in another process: prints the state URI
   * prefix to use ({@link #stateUri} of {@code bench} in a new bucket); the client takes
   * the credentials {@link #ACCESS_KEY} and {@link #SECRET_KEY} from {@code AWS_ACCESS_KEY_ID} and
   * {@code AWS_SECRET_ACCESS_KEY}.
   *
   * @param args none
   * @throws Exception if the server does not start
   */
  public static void main(String[] args) throws Exception {
    try (S3TestServer server = start()) {
      System.out.println(server.stateUri(server.newBucket(), "bench"));
      System.out.flush();
      while (System.in.read() >= 0) {
        // serve until stdin closes
      }
    }
  }

  /**
   * Stops the server.
   *
   * @throws Exception if the server does not stop
   */
  @Override
  public void close() throws Exception {
    stop();
  }
}
