package io.infrastate.s3;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP proxy on 127.0.0.1 that forwards every request to a server but drops one request header
 * on the way, as an S3-compatible server that ignores {@code If-None-Match} behaves (the server
 * behind it never sees the condition). The server must not check signatures, since the dropped
 * header was signed.
 */
final class HeaderStrippingProxy implements AutoCloseable {
  /** Headers the JDK's client sets itself and refuses to be given. */
  private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final URI target;
  private final String dropped;

  private HeaderStrippingProxy(URI target, String dropped) throws IOException {
    this.target = target;
    this.dropped = dropped.toLowerCase(Locale.ROOT);
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::forward);
    server.setExecutor(executor);
    server.start();
  }

  /**
   * Starts a proxy in front of {@code target} that drops {@code header} from every request.
   *
   * @return the running proxy
   */
  static HeaderStrippingProxy start(URI target, String header) throws IOException {
    return new HeaderStrippingProxy(target, header);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void forward(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(target.resolve(ex.getRequestURI().getRawPath()
              + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery())))
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
        String name = h.getKey().toLowerCase(Locale.ROOT);
        if (name.equals(dropped) || RESTRICTED.contains(name)) {
          continue;
        }
        for (String v : h.getValue()) {
          b.header(h.getKey(), v);
        }
      }
      HttpResponse<byte[]> r;
      try {
        r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      r.headers().map().forEach((name, values) -> {
        String n = name.toLowerCase(Locale.ROOT);
        boolean headLength = n.equals("content-length") && ex.getRequestMethod().equals("HEAD");
        if (headLength || (!RESTRICTED.contains(n) && !n.equals("transfer-encoding") && !n.equals(":status"))) {
          ex.getResponseHeaders().put(name, values);
        }
      });
      byte[] out = r.body();
      boolean noBody = ex.getRequestMethod().equals("HEAD") || out.length == 0;
      ex.sendResponseHeaders(r.statusCode(), noBody ? -1 : out.length);
      if (!noBody) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
