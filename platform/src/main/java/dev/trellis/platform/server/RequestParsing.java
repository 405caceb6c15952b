package dev.trellis.platform.server;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Message;
import dev.trellis.platform.error.FieldViolation;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.platform.stream.MalformedItems;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses request messages inside the interceptor chain rather than where grpc-java does it, so that a request that
 * is not one (malformed protobuf, invalid UTF-8 in a string) is INVALID_ARGUMENT with a BadRequest naming the field,
 * logged by the access log under the request id like any answer, for every call kind.
 *
 * <p>grpc-java parses in ServerCallImpl with the method's marshaller; when that throws, ServerImpl closes the stream
 * with UNKNOWN "Application error processing RPC" and rethrows, so no interceptor sees the close (no access-log
 * line) and the executor logs a stack trace without a request id. Here every method is rebound, as
 * {@code ServerInterceptors.useMarshalledMessages} does, with a request marshaller that never throws: it parses with
 * the method's own marshaller and hands the chain either the message or the reason it is not one. The innermost
 * step, in front of the handler, unwraps it; a malformed message ends the call with INVALID_ARGUMENT, or, when a
 * client-streaming handler asked for it ({@link dev.trellis.platform.stream.ClientStreamItems}), goes to the handler
 * as a bad item and the stream goes on. The names and schema descriptors of the methods stay as they were, so
 * reflection, auth and tracing see the same service; the transport sees a method that takes one request as one that
 * takes a stream, so that a second request reaches the chain and ends the call with a status.
 */
final class RequestParsing {
  private RequestParsing() {}

  /** {@code service} with every method's request parsed this way. */
  static ServerServiceDefinition wrap(ServerServiceDefinition service) {
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> wrapped = wrap(method);
      methods.add(wrapped);
      descriptor.addMethod(wrapped.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(builder::addMethod);
    return builder.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<Inbound<ReqT>, RespT> wrap(
      ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
    boolean streamsIn = !method.getType().clientSendsOneMessage();
    // To the transport a method that takes one request takes a stream of them: for such a method grpc-java's
    // ServerCallImpl holds the first message back and, when a second one comes, resets the stream (RST_STREAM
    // CANCEL: the client sees CANCELLED, no status, and nothing reaches the chain). Here the second one ends the
    // call with a status instead (UnwrappingListener); the handler, and what wraps it, see the method's own type.
    MethodType transportType = streamsIn ? method.getType()
        : method.getType().serverSendsOneMessage() ? MethodType.CLIENT_STREAMING : MethodType.BIDI_STREAMING;
    MethodDescriptor<Inbound<ReqT>, RespT> tolerant = method.toBuilder(
        new TolerantMarshaller<>(method.getRequestMarshaller()), method.getResponseMarshaller())
        .setType(transportType).build();
    ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
    return ServerMethodDefinition.create(tolerant, (call, headers) -> {
      UnwrappedCall<ReqT, RespT> unwrapped = new UnwrappedCall<>(call, method);
      MalformedItems items = streamsIn ? new MalformedItems() : null;
      ServerCall.Listener<ReqT> listener;
      if (items == null) {
        listener = handler.startCall(unwrapped, headers);
      } else {
        Context previous = MalformedItems.in(Context.current(), items).attach();
        try {
          listener = handler.startCall(unwrapped, headers);
        } finally {
          Context.current().detach(previous);
        }
      }
      return new UnwrappingListener<>(listener, unwrapped, items, !streamsIn);
    });
  }

  /** A request as the transport hands it to the chain: parsed, or why it could not be. */
  sealed interface Inbound<T> {
    record Parsed<T>(T message) implements Inbound<T> {}

    record Malformed<T>(FieldViolation violation) implements Inbound<T> {}
  }

  /** Parses with the method's marshaller and never throws: a failure becomes {@link Inbound.Malformed}. */
  private static final class TolerantMarshaller<T> implements MethodDescriptor.Marshaller<Inbound<T>> {
    private final MethodDescriptor.Marshaller<T> original;
    private final Descriptor type;

    TolerantMarshaller(MethodDescriptor.Marshaller<T> original) {
      this.original = original;
      this.type = original instanceof MethodDescriptor.PrototypeMarshaller<T> prototype
          && prototype.getMessagePrototype() instanceof Message message ? message.getDescriptorForType() : null;
    }

    @Override
    public InputStream stream(Inbound<T> value) {
      if (value instanceof Inbound.Parsed<T> parsed) {
        return original.stream(parsed.message());
      }
      throw new IllegalArgumentException("a malformed request cannot be serialized");
    }

    @Override
    public Inbound<T> parse(InputStream stream) {
      // Netty's message streams can be reset, so the bytes are read once and only a failure reads them again.
      if (stream.markSupported()) {
        stream.mark(Integer.MAX_VALUE);
        try {
          return new Inbound.Parsed<>(original.parse(stream));
        } catch (RuntimeException e) {
          return malformed(reread(stream));
        }
      }
      byte[] bytes;
      try {
        bytes = stream.readAllBytes();
      } catch (IOException e) {
        return malformed(null);
      }
      try {
        return new Inbound.Parsed<>(original.parse(new KnownLengthStream(bytes)));
      } catch (RuntimeException e) {
        return malformed(bytes);
      }
    }

    private Inbound<T> malformed(byte[] bytes) {
      return new Inbound.Malformed<>(WireDiagnosis.explain(type, bytes));
    }

    private static byte[] reread(InputStream stream) {
      try {
        stream.reset();
        return stream.readAllBytes();
      } catch (IOException e) {
        return null;
      }
    }
  }

  private static final class KnownLengthStream extends ByteArrayInputStream implements KnownLength {
    KnownLengthStream(byte[] bytes) {
      super(bytes);
    }
  }

  /**
   * Hands the handler parsed messages. A malformed one goes to the handler's {@link MalformedItems} when it asked;
   * otherwise the call ends with INVALID_ARGUMENT and the handler hears onCancel, as if the client had gone. So does
   * a method that takes one request when the client half-closes without sending it (grpc-java would close it
   * INTERNAL "Half-closed without a request"; a gRPC-Web body without a frame does that through the edge), or
   * sends a second one (grpc-java resets the stream; its unary handler would close INTERNAL "Too many requests",
   * grpc-go answers INTERNAL, gRPC's status-code table says UNIMPLEMENTED for such a cardinality violation, which
   * grpc-java#11247 contests; here INVALID_ARGUMENT, as for the missing request).
   */
  private static final class UnwrappingListener<ReqT> extends ServerCall.Listener<Inbound<ReqT>> {
    private final ServerCall.Listener<ReqT> delegate;
    private final UnwrappedCall<ReqT, ?> call;
    private final MalformedItems items;
    private final boolean oneRequest;
    private boolean received;
    private boolean ended;

    UnwrappingListener(ServerCall.Listener<ReqT> delegate, UnwrappedCall<ReqT, ?> call, MalformedItems items,
        boolean oneRequest) {
      this.delegate = delegate;
      this.call = call;
      this.items = items;
      this.oneRequest = oneRequest;
    }

    @Override
    public void onMessage(Inbound<ReqT> message) {
      if (ended) {
        return;
      }
      if (oneRequest && received) {
        // The handler has not run yet (grpc-java's unary handler runs on the half-close) and never will.
        end(InvalidArgumentException.of("request", "has more than one message: this method takes one"));
        return;
      }
      received = true;
      switch (message) {
        case Inbound.Parsed<ReqT> parsed -> delegate.onMessage(parsed.message());
        case Inbound.Malformed<ReqT> malformed -> {
          if (items != null && items.deliver(malformed.violation())) {
            return;
          }
          end(new InvalidArgumentException(List.of(malformed.violation())));
        }
      }
    }

    @Override
    public void onHalfClose() {
      if (ended) {
        return;
      }
      if (oneRequest && !received) {
        end(InvalidArgumentException.of("request", "is missing: this method takes one message"));
        return;
      }
      delegate.onHalfClose();
    }

    private void end(InvalidArgumentException e) {
      ended = true;
      call.endMalformed(e);
      delegate.onCancel();
    }

    @Override
    public void onCancel() {
      if (!ended) {
        delegate.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!ended) {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!ended) {
        delegate.onReady();
      }
    }
  }

  /**
   * The call as the handler sees it: the original request type. Once a malformed message ended it, what the handler
   * still sends is dropped, as it would be on a call the client cancelled.
   */
  private static final class UnwrappedCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final ServerCall<Inbound<ReqT>, RespT> delegate;
    private final MethodDescriptor<ReqT, RespT> method;
    private boolean ended; // guarded by this

    UnwrappedCall(ServerCall<Inbound<ReqT>, RespT> delegate, MethodDescriptor<ReqT, RespT> method) {
      this.delegate = delegate;
      this.method = method;
    }

    synchronized void endMalformed(InvalidArgumentException e) {
      if (ended) {
        return;
      }
      ended = true;
      StatusRuntimeException status = StatusMapper.toStatusException(e);
      delegate.close(status.getStatus(), status.getTrailers());
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!ended) {
        ended = true;
        delegate.close(status, trailers);
      }
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!ended) {
        delegate.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(RespT message) {
      if (!ended) {
        delegate.sendMessage(message);
      }
    }

    @Override
    public void request(int numMessages) {
      delegate.request(numMessages);
    }

    @Override
    public boolean isReady() {
      return delegate.isReady();
    }

    @Override
    public boolean isCancelled() {
      return delegate.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      delegate.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      delegate.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      delegate.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return delegate.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return delegate.getAttributes();
    }

    @Override
    public String getAuthority() {
      return delegate.getAuthority();
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }
}
