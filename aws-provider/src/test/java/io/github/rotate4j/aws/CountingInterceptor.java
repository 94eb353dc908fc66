package io.github.rotate4j.aws;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts the API calls a client makes, by operation name and by operation and secret id: once per
 * call, not per HTTP attempt (an SDK retry of a dropped keep-alive connection is the same call).
 */
final class CountingInterceptor implements ExecutionInterceptor {

  private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    calls.computeIfAbsent(operation, k -> new AtomicLong()).incrementAndGet();
    context.request().getValueForField("SecretId", String.class).ifPresent(
        secretId -> calls.computeIfAbsent(operation + " " + secretId, k -> new AtomicLong()).incrementAndGet());
  }

  long count(String operation) {
    AtomicLong n = calls.get(operation);
    return n == null ? 0 : n.get();
  }

  /** Calls of {@code operation} for {@code secretId} (operations that take one secret id). */
  long count(String operation, String secretId) {
    return count(operation + " " + secretId);
  }

  void clear() {
    calls.clear();
  }
}
