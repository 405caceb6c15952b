package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One call, to read the grpc-status an engine does not: h2load counts HTTP 200, and a gRPC error also travels in an
 * HTTP 200 response (in its trailers), so the bench sends the same request before and after such a load and reports
 * what came back.
 */
public final class GrpcProbe {
  private GrpcProbe() {}

  /**
   * What a probe call ended with.
   *
   * @param status the gRPC status code name
   * @param description the status message, empty when none
   * @param responses response messages received
   */
  public record Outcome(String status, String description, long responses) {
    public boolean ok() {
      return status.equals(Status.Code.OK.name());
    }

    @Override
    public String toString() {
      return status + (description.isEmpty() ? "" : " (" + description + ")") + ", " + responses + " response"
          + (responses == 1 ? "" : "s");
    }
  }

  /** Sends {@code request} once as {@code call}'s method to {@code host:port}, waiting at most 30 s. */
  public static Outcome call(String host, int port, GrpcCall call, byte[] request, Optional<String> token) {
    requireNonNull(call, "call");
    requireNonNull(request, "request");
    ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
    try {
      CompletableFuture<Outcome> done = new CompletableFuture<>();
      ClientCall<byte[], byte[]> clientCall = channel.newCall(call.method(),
          CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS).withWaitForReady());
      Metadata headers = new Metadata();
      token.ifPresent(t -> headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + t));
      clientCall.start(new ClientCall.Listener<>() {
        private long responses;

        @Override
        public void onMessage(byte[] message) {
          responses++;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          done.complete(new Outcome(status.getCode().name(), String.valueOf(
              status.getDescription() == null ? "" : status.getDescription()), responses));
        }
      }, headers);
      clientCall.request(Integer.MAX_VALUE);
      clientCall.sendMessage(request);
      clientCall.halfClose();
      return done.get(35, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return new Outcome("NO_ANSWER", String.valueOf(e.getMessage()), 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome("INTERRUPTED", "", 0);
    } finally {
      channel.shutdownNow();
    }
  }
}
