package io.infrastate.s3;

import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Injects a fault at an exact moment a real server cannot produce on demand: right after the
 * server answered a matching request (the request took effect), before the client sees the reply.
 * Armed once; thread-safe.
 */
final class FaultInterceptor implements ExecutionInterceptor {
  /** What to do after the matching request was answered. */
  @FunctionalInterface
  interface Fault {
    void run() throws Exception;
  }

  private final AtomicReference<String> method = new AtomicReference<>();
  private volatile String pathContains;
  private volatile Fault fault;
  private volatile boolean beforeSending;

  /** Arms the fault for the next request with this method whose path contains the text. */
  void arm(String httpMethod, String pathPart, Fault action) {
    this.pathContains = pathPart;
    this.fault = action;
    this.beforeSending = false;
    this.method.set(httpMethod);
  }

  /**
   * Arms the fault for the moment just before the next matching request is sent: the server never
   * sees that request (a reply lost with a request that did not arrive looks the same).
   */
  void armBeforeSending(String httpMethod, String pathPart, Fault action) {
    this.pathContains = pathPart;
    this.fault = action;
    this.beforeSending = true;
    this.method.set(httpMethod);
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    if (beforeSending) {
      fire(context.httpRequest());
    }
  }

  @Override
  public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
    if (!beforeSending) {
      fire(context.httpRequest());
    }
  }

  private void fire(software.amazon.awssdk.http.SdkHttpRequest request) {
    String m = method.get();
    if (m == null || !request.method().name().equals(m) || !request.encodedPath().contains(pathContains)) {
      return;
    }
    if (!method.compareAndSet(m, null)) {
      return;
    }
    try {
      fault.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
