package io.infrastate.git;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real smart-HTTP Git server for tests: the JDK's HTTP server in front of {@code git
 * http-backend} (the CGI program behind most self-hosted Git servers), serving the bare
 * repositories under a root directory, with HTTP Basic authentication. Listens on 127.0.0.1 only.
 *
 * <p>Thread-safe; close it to stop.
 */
final class GitHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(8);
  private final Path root;
  private final String user;
  private final String password;
  /** Requests answered 401 because the credentials were missing or wrong. */
  final AtomicInteger unauthorized = new AtomicInteger();

  private GitHttpServer(Path root, String user, String password) throws IOException {
    this.root = root;
    this.user = user;
    this.password = password;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  /** Serves the repositories under {@code root}; every request needs {@code user:password}. */
  static GitHttpServer start(Path root, String user, String password) throws IOException {
    return new GitHttpServer(root, user, password);
  }

  /** The base URL, such as {@code http://127.0.0.1:41234}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
        unauthorized.incrementAndGet();
        ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
        ex.sendResponseHeaders(401, -1);
        return;
      }
      ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
      Map<String, String> env = pb.environment();
      env.put("GIT_PROJECT_ROOT", root.toString());
      env.put("GIT_HTTP_EXPORT_ALL", "1");
      env.put("GIT_CONFIG_NOSYSTEM", "1");
      env.put("REMOTE_USER", user);
      env.put("REMOTE_ADDR", "127.0.0.1");
      env.put("REQUEST_METHOD", ex.getRequestMethod());
      env.put("PATH_INFO", ex.getRequestURI().getRawPath());
      env.put("QUERY_STRING", ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery());
      String type = ex.getRequestHeaders().getFirst("Content-Type");
      env.put("CONTENT_TYPE", type == null ? "" : type);
      String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
      if (protocol != null) {
        env.put("GIT_PROTOCOL", protocol);
      }
      byte[] body = readBody(ex);
      env.put("CONTENT_LENGTH", Integer.toString(body.length));
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      Process p = pb.start();
      Thread feeder = new Thread(() -> {
        try (OutputStream in = p.getOutputStream()) {
          in.write(body);
        } catch (IOException e) {
          // the backend may not read it all
        }
      });
      feeder.start();
      byte[] out = p.getInputStream().readAllBytes();
      feeder.join();
      p.waitFor();
      respond(ex, out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean authorized(String header) {
    if (header == null || !header.startsWith("Basic ")) {
      return false;
    }
    String decoded = new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
    return decoded.equals(user + ":" + password);
  }

  private static byte[] readBody(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] raw = in.readAllBytes();
      if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
        try (InputStream gz = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
          return gz.readAllBytes();
        }
      }
      return raw;
    }
  }

  /** Turns the CGI output (headers, blank line, body) into an HTTP response. */
  private static void respond(HttpExchange ex, byte[] cgi) throws IOException {
    int split = -1;
    int skip = 0;
    for (int i = 0; i + 1 < cgi.length; i++) {
      if (cgi[i] == '\n' && cgi[i + 1] == '\n') {
        split = i;
        skip = 2;
        break;
      }
      if (i + 3 < cgi.length && cgi[i] == '\r' && cgi[i + 1] == '\n' && cgi[i + 2] == '\r' && cgi[i + 3] == '\n') {
        split = i;
        skip = 4;
        break;
      }
    }
    if (split < 0) {
      ex.sendResponseHeaders(500, -1);
      return;
    }
    int status = 200;
    for (String line : new String(cgi, 0, split, StandardCharsets.ISO_8859_1).split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ")[0]);
      } else {
        ex.getResponseHeaders().add(name, value);
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(cgi, split + skip, cgi.length - split - skip);
    byte[] b = body.toByteArray();
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream os = ex.getResponseBody()) {
        os.write(b);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
