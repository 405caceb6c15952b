package dev.trellis.testing;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.client.BytesMarshaller;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls a method with raw bytes as its request messages, over a real channel: for what no generated stub can send
 * (malformed protobuf, invalid UTF-8 in a string field, a bad item in the middle of a client stream).
 *
 * <pre>{@code
 * RawCall.Outcome outcome = RawCall.call(channel, UserServiceGrpc.getCreateUserMethod(), token,
 *     List.of(HexFormat.of().parseHex("0a01ff12016e")));
 * }</pre>
 */
public final class RawCall {

  private RawCall() {}

  /** How the call ended, and the response messages as bytes. */
  public record Outcome(Status status, Metadata trailers, List<byte[]> messages) {}

  /** {@code method} with bytes for messages both ways: same name and kind. */
  public static MethodDescriptor<byte[], byte[]> bytesOf(MethodDescriptor<?, ?> method) {
    return MethodDescriptor.<byte[], byte[]>newBuilder(BytesMarshaller.INSTANCE, BytesMarshaller.INSTANCE)
        .setFullMethodName(method.getFullMethodName())
        .setType(method.getType())
        .build();
  }

  /** Sends {@code messages} with a bearer {@code token} (or none), half-closes and waits up to 30 s for the end. */
  public static Outcome call(Channel channel, MethodDescriptor<?, ?> method, String token, List<byte[]> messages) {
    return call(channel, method, token, messages, java.time.Duration.ofSeconds(30));
  }

  /** The same with a deadline of {@code deadline} (a stream that never ends answers DEADLINE_EXCEEDED then). */
  public static Outcome call(Channel channel, MethodDescriptor<?, ?> method, String token, List<byte[]> messages,
      java.time.Duration deadline) {
    requireNonNull(channel, "channel");
    requireNonNull(messages, "messages");
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    if (token != null) {
      options = options.withCallCredentials(TestTokens.bearer(token));
    }
    ClientCall<byte[], byte[]> call = channel.newCall(bytesOf(method), options);
    List<byte[]> received = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Outcome> ended = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        received.add(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        ended.complete(new Outcome(status, trailers, List.copyOf(received)));
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    for (byte[] message : messages) {
      call.sendMessage(message);
    }
    call.halfClose();
    try {
      return ended.get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the call did not end", e);
    }
  }
}
