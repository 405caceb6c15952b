package dev.trellis.platform.client;

import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.context.RequestIds;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * Sends the request id of the call being served ({@link CallContext#requestId()}) with every call made while
 * serving it, so one request can be followed through all the services it touches.
 */
final class RequestIdForwarding implements ClientInterceptor {
  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    String requestId = CallContext.requestId().orElse(null);
    ClientCall<ReqT, RespT> call = next.newCall(method, callOptions);
    if (requestId == null) {
      return call;
    }
    return new SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<RespT> responseListener, Metadata headers) {
        headers.discardAll(RequestIds.HEADER);
        headers.put(RequestIds.HEADER, requestId);
        super.start(responseListener, headers);
      }
    };
  }
}
