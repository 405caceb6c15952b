package dev.trellis.order.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The metadata of idempotent calls (AIP-155): reads the {@code idempotency-key} request header (what REST callers
 * send as Idempotency-Key) into the Context, and answers {@code x-idempotent-replayed: true} when the handler says
 * the answer is a replay, in the response headers, or in the trailers of a trailers-only answer (a replayed error).
 * Installed on OrderService only.
 */
final class IdempotencyHeaders implements ServerInterceptor {
  static final Metadata.Key<String> IDEMPOTENCY_KEY =
      Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> REPLAYED =
      Metadata.Key.of("x-idempotent-replayed", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Call> CALL = Context.key("trellis-idempotent-call");

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (!call.getMethodDescriptor().getType().clientSendsOneMessage()
        || !call.getMethodDescriptor().getType().serverSendsOneMessage()) {
      return next.startCall(call, headers); // streams are never replayed
    }
    Call idempotent = new Call(Optional.ofNullable(headers.get(IDEMPOTENCY_KEY)));
    ServerCall<ReqT, RespT> marking = new SimpleForwardingServerCall<>(call) {
      private boolean headersSent;

      @Override
      public void sendHeaders(Metadata responseHeaders) {
        headersSent = true;
        idempotent.mark(responseHeaders);
        super.sendHeaders(responseHeaders);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (!headersSent) {
          idempotent.mark(trailers);
        }
        super.close(status, trailers);
      }
    };
    return Contexts.interceptCall(Context.current().withValue(CALL, idempotent), marking, headers, next);
  }

  /** The idempotency state of the unary call being served; read it on the handler's thread. */
  static Call current() {
    Call call = CALL.get();
    return call != null ? call : new Call(Optional.empty());
  }

  /** One call's key from metadata, and whether its answer is a replay. */
  static final class Call {
    private final Optional<String> metadataKey;
    private final AtomicBoolean replayed = new AtomicBoolean();

    Call(Optional<String> metadataKey) {
      this.metadataKey = metadataKey.filter(k -> !k.isEmpty());
    }

    /** The {@code idempotency-key} metadata, if the caller sent one. */
    Optional<String> metadataKey() {
      return metadataKey;
    }

    /** Says the answer is a replay; call it before answering. */
    void replayed() {
      replayed.set(true);
    }

    private void mark(Metadata metadata) {
      if (replayed.get()) {
        metadata.discardAll(REPLAYED);
        metadata.put(REPLAYED, "true");
      }
    }
  }
}
