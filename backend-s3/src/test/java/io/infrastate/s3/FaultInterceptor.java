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

  /** Arms the fault for the next request with this method whose path contains the text. */
  void arm(String httpMethod, String pathPart, Fault action) {
    this.pathContains = pathPart;
    this.fault = action;
    this.method.set(httpMethod);
  }

  @Override
  public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
    String m = method.get();
    if (m == null || !context.httpRequest().method().name().equals(m)
        || !context.httpRequest().encodedPath().contains(pathContains)) {
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
