package io.infrastate.s3;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/** Records every HTTP request the SDK sends: method, path, query and body length. Thread-safe. */
final class CountingInterceptor implements ExecutionInterceptor {
  /** One request as sent. */
  record Sent(String method, String path, String query, long bodyBytes, java.util.Map<String, String> headers) {
    @Override
    public String toString() {
      return method + " " + path + (query.isEmpty() ? "" : "?" + query) + " (" + bodyBytes + " B)";
    }
  }

  private final List<Sent> sent = new ArrayList<>();

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    SdkHttpRequest r = context.httpRequest();
    long bytes = context.requestBody().flatMap(b -> b.optionalContentLength()).orElse(0L);
    StringBuilder q = new StringBuilder();
    r.rawQueryParameters().forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k));
    synchronized (this) {
      java.util.Map<String, String> headers = new java.util.TreeMap<>();
      r.headers().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
      sent.add(new Sent(r.method().name(), r.encodedPath(), q.toString(), bytes, headers));
    }
  }

  private long received;

  @Override
  public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
    long n = context.httpResponse().firstMatchingHeader("Content-Length").map(Long::parseLong).orElse(0L);
    synchronized (this) {
      received += n;
    }
  }

  /** Response body bytes received since the last call. */
  synchronized long takeReceived() {
    long r = received;
    received = 0;
    return r;
  }

  synchronized List<Sent> take() {
    List<Sent> out = List.copyOf(sent);
    sent.clear();
    return out;
  }

  synchronized void clear() {
    sent.clear();
    received = 0;
  }
}
