package dev.trellis.platform.client;

import java.util.Iterator;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Calls to another service wrapped in Failsafe policies, outermost first: retry (UNAVAILABLE only, with backoff and
 * jitter), circuit breaker, bulkhead, timeout. Failsafe's own refusals come back as gRPC statuses with messages fit
 * for a client: an open breaker is UNAVAILABLE, a full bulkhead RESOURCE_EXHAUSTED, a timeout DEADLINE_EXCEEDED.
 * A call that its own caller ended (cancelled, or the caller's deadline passed) is neither retried nor counted by
 * the breaker: it says nothing about the dependency.
 *
 * <pre>{@code
 * ResilientCalls users = runtime.resilientCalls("user-service");
 * User user = users.unary(() -> userStub.getUser(request));
 * }</pre>
 *
 * <p>Make the calls from the thread serving a request (a blocking stub on the handler's virtual thread): the call
 * then inherits the request's deadline and cancellation through the gRPC Context.
 */
public interface ResilientCalls {
  /** A builder starting from the defaults of {@link ClientConfig}. */
  static ResilientCallsBuilder builder(String dependency) {
    return new ResilientCallsBuilder(dependency);
  }

  /** Runs a unary call (a blocking stub call) under the policies. */
  <T> T unary(Supplier<T> call);

  /**
   * Runs a server-streaming call (a blocking stub's iterator), handing each response to {@code onResponse}. It is
   * retried only while no response has arrived: after that, a retry would deliver responses twice. No per-attempt
   * timeout applies (streams may be long); set a deadline on the stub instead.
   */
  <T> void serverStream(Supplier<Iterator<T>> call, Consumer<? super T> onResponse);
}
