package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.measure.Progress;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The bench's own gRPC load generator, for what h2load cannot do: varied requests, weighted mixes, server streams
 * (messages counted), client streams, open loops timed from the intended start. Kept cheap per call: Netty channels
 * with a direct executor (callbacks run on the event loop, no hand-off), prepared request bytes, responses never
 * parsed, one connection per channel.
 */
public final class JavaGrpcLoad implements Load {
  private final LoadInfo info;
  private final List<ManagedChannel> channels;
  private final WeightedPick<GrpcCall> calls;
  private final LoadModel model;
  private final Metadata headers;
  private final Optional<Duration> deadline;
  private final int clientMessages;

  private JavaGrpcLoad(LoadInfo info, List<ManagedChannel> channels, List<GrpcCall> calls, LoadModel model,
      Metadata headers, Optional<Duration> deadline, int clientMessages) {
    this.info = info;
    this.channels = channels;
    this.calls = WeightedPick.of(calls, GrpcCall::weight);
    this.model = model;
    this.headers = headers;
    this.deadline = deadline;
    this.clientMessages = clientMessages;
  }

  /**
   * A load of {@code calls} on {@code model.connections()} plaintext channels to {@code host:port}.
   *
   * @param token sent as {@code authorization: Bearer <token>} on every call, when present
   * @param deadline a deadline per call, when present
   * @param clientMessages requests sent per call of a client- or bidi-streaming method
   */
  public static JavaGrpcLoad connect(String name, String host, int port, List<GrpcCall> calls, LoadModel model,
      Optional<String> token, Optional<Duration> deadline, int clientMessages) {
    requireNonNull(name, "name");
    requireNonNull(host, "host");
    requireNonNull(calls, "calls");
    requireNonNull(model, "model");
    if (calls.isEmpty()) {
      throw new IllegalArgumentException("a load needs at least one call");
    }
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < model.connections(); i++) {
      channels.add(NettyChannelBuilder.forAddress(host, port)
          .usePlaintext()
          .directExecutor()
          .maxInboundMessageSize(64 << 20)
          .build());
    }
    Metadata headers = new Metadata();
    token.ifPresent(t -> headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + t));
    String work = WeightedPick.describe(calls, GrpcCall::weight, GrpcCall::label);
    List<String> notes = new ArrayList<>();
    notes.add("gRPC-Java client in the bench's JVM: Netty, direct executor, request bytes prepared at start,"
        + " responses not parsed");
    if (calls.stream().anyMatch(c -> !c.unary())) {
      notes.add("streaming calls: latency is the whole stream, from start to the final status; messages/s counts"
          + " every response message");
    }
    LoadInfo info = new LoadInfo(name, "java", host + ":" + port, work, model.describe(), "", notes);
    return new JavaGrpcLoad(info, channels, List.copyOf(calls), model, headers, deadline,
        Math.max(1, clientMessages));
  }

  @Override
  public LoadInfo info() {
    return info;
  }

  @Override
  public Round run(Duration settle, Duration duration, long count, Consumer<Progress> progress)
      throws InterruptedException {
    return CallLoop.run(this::call, model, settle, duration, count, progress);
  }

  /** One call on the slot's channel, of the mix's method picked by weight. */
  private void call(int slot, CallLoop.Completion done) {
    GrpcCall call = calls.next();
    CallOptions options = deadline.map(d -> CallOptions.DEFAULT.withDeadlineAfter(d.toNanos(),
        TimeUnit.NANOSECONDS)).orElse(CallOptions.DEFAULT);
    // Started from the root Context: a call started in the previous call's callback would hang its Context below
    // that one, and with OpenTelemetry's gRPC bridge on the classpath the chain would grow with every call.
    Context.ROOT.run(() -> {
      ClientCall<byte[], byte[]> clientCall = channels.get(slot % channels.size()).newCall(call.method(), options);
      Metadata perCall = new Metadata();
      perCall.merge(headers);
      clientCall.start(new ClientCall.Listener<>() {
        private long messages;

        @Override
        public void onMessage(byte[] message) {
          messages++;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          done.complete(status.getCode().name(), status.isOk(), messages);
        }
      }, perCall);
      clientCall.request(Integer.MAX_VALUE);
      int sends = call.method().getType().clientSendsOneMessage() ? 1 : clientMessages;
      for (int i = 0; i < sends; i++) {
        clientCall.sendMessage(call.requests().next());
      }
      clientCall.halfClose();
    });
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
