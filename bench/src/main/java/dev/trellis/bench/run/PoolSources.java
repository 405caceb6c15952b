package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.trellis.bench.call.GrpcMethods;
import dev.trellis.bench.call.GrpcRequests;
import dev.trellis.bench.call.RequestTemplate;
import dev.trellis.bench.call.ValuePools;
import dev.trellis.bench.engine.GrpcCall;
import dev.trellis.platform.config.ConfigException;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fills a {@code --pool NAME=SOURCE}:
 *
 * <ul>
 *   <li>{@code a,b,c}: those values
 *   <li>{@code @ids.txt}: one value per line of the file
 *   <li>{@code rpc:METHOD:JSON:FIELD}: the FIELD of every response of one call (a server stream such as
 *       {@code rpc:UserService/ListUsers:{"page_size":1000}:id}, or a unary response; a dotted FIELD walks into
 *       messages and repeated fields), at most {@value #MAX} values
 * </ul>
 */
final class PoolSources {
  static final int MAX = 65_536;

  private PoolSources() {}

  static List<String> fill(String name, String source, Optional<ManagedChannel> channel, GrpcMethods methods,
      Optional<String> token) {
    requireNonNull(source, "source");
    if (source.startsWith("@")) {
      try {
        List<String> lines = Files.readAllLines(Path.of(source.substring(1))).stream().map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (lines.isEmpty()) {
          throw new ConfigException("--pool " + name + ": " + source.substring(1) + " holds no values");
        }
        return lines;
      } catch (IOException e) {
        throw new ConfigException("--pool " + name + ": cannot read " + source.substring(1) + ": "
            + e.getMessage());
      }
    }
    if (source.startsWith("rpc:")) {
      String[] parts = source.substring(4).split(":", 2);
      int lastColon = parts.length < 2 ? -1 : parts[1].lastIndexOf(':');
      if (lastColon < 0) {
        throw new ConfigException("--pool " + name + "=rpc:METHOD:JSON:FIELD, got '" + source + "'");
      }
      return fromRpc(name, parts[0], parts[1].substring(0, lastColon), parts[1].substring(lastColon + 1),
          channel.orElseThrow(() -> new ConfigException("--pool " + name + "=rpc:... needs a gRPC target")),
          methods, token);
    }
    List<String> values = Arrays.stream(source.split(",")).map(String::strip).filter(v -> !v.isEmpty()).toList();
    if (values.isEmpty()) {
      throw new ConfigException("--pool " + name + " has no values");
    }
    return values;
  }

  private static List<String> fromRpc(String name, String methodName, String json, String field,
      ManagedChannel channel, GrpcMethods methods, Optional<String> token) {
    MethodDescriptor method = methods.resolve(methodName);
    GrpcCall call = GrpcCall.of(GrpcRequests.of(method, RequestTemplate.of(json), ValuePools.empty()), 1,
        methodName);
    List<String> values = new ArrayList<>();
    CompletableFuture<Status> done = new CompletableFuture<>();
    ClientCall<byte[], byte[]> clientCall = channel.newCall(call.method(),
        CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.MINUTES));
    Metadata headers = new Metadata();
    token.ifPresent(t -> headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + t));
    clientCall.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        try {
          synchronized (values) {
            if (values.size() < MAX) {
              collect(DynamicMessage.parseFrom(method.getOutputType(), message), field.split("\\."), 0, values);
            }
          }
        } catch (InvalidProtocolBufferException e) {
          done.completeExceptionally(e);
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        done.complete(status);
      }
    }, headers);
    clientCall.request(Integer.MAX_VALUE);
    clientCall.sendMessage(call.requests().next());
    clientCall.halfClose();
    Status status;
    try {
      status = done.get(3, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new ConfigException("--pool " + name + ": the call " + methodName + " failed: " + e.getMessage());
    }
    if (!status.isOk() && values.isEmpty()) {
      throw new ConfigException("--pool " + name + ": " + methodName + " ended with " + status.getCode()
          + (status.getDescription() == null ? "" : ": " + status.getDescription()));
    }
    if (values.isEmpty()) {
      throw new ConfigException("--pool " + name + ": " + methodName + " returned no '" + field + "' values");
    }
    return List.copyOf(values.subList(0, Math.min(values.size(), MAX)));
  }

  /** Walks {@code path} from {@code message}, adding every value found at its end. */
  private static void collect(Message message, String[] path, int at, List<String> values) {
    FieldDescriptor field = message.getDescriptorForType().findFieldByName(path[at]);
    if (field == null) {
      throw new ConfigException("no field '" + path[at] + "' in " + message.getDescriptorForType().getFullName());
    }
    List<Object> found = new ArrayList<>();
    if (field.isRepeated()) {
      for (int i = 0; i < message.getRepeatedFieldCount(field); i++) {
        found.add(message.getRepeatedField(field, i));
      }
    } else {
      found.add(message.getField(field));
    }
    for (Object value : found) {
      if (at == path.length - 1) {
        values.add(String.valueOf(value));
      } else if (value instanceof Message nested) {
        collect(nested, path, at + 1, values);
      } else {
        throw new ConfigException("'" + path[at] + "' is not a message; cannot look into it for '"
            + path[at + 1] + "'");
      }
    }
  }

  /** A plaintext channel for filling pools and probing. */
  static ManagedChannel channel(String host, int port) {
    return NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
  }
}
