package dev.trellis.bench.call;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.util.JsonFormat;
import dev.trellis.platform.config.ConfigException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The serialized requests of one gRPC call: the JSON template rendered with pool values, parsed against the
 * method's input type (proto3 JSON mapping, unknown fields refused) and serialized. Where the template draws only from
 * pools, the requests are made once at start (up to {@value #RING} of them) and reused, so the load generator spends
 * nothing on JSON while it measures; {@code ${seq}} and the like are rendered per call.
 */
public final class GrpcRequests {
  private static final int RING = 1 << 16;

  private final MethodDescriptor method;
  private final RequestTemplate template;
  private final ValuePools pools;
  private final byte[][] ring;

  private GrpcRequests(MethodDescriptor method, RequestTemplate template, ValuePools pools, byte[][] ring) {
    this.method = method;
    this.template = template;
    this.pools = pools;
    this.ring = ring;
  }

  /** Checks the template against the method (one rendering must parse) and prepares the requests. */
  public static GrpcRequests of(MethodDescriptor method, RequestTemplate template, ValuePools pools) {
    requireNonNull(method, "method");
    requireNonNull(template, "template");
    requireNonNull(pools, "pools");
    template.checkAgainst(pools);
    byte[] first = serialize(method, template, template.render(pools::first));
    if (!template.reusable()) {
      return new GrpcRequests(method, template, pools, null);
    }
    List<String> names = List.copyOf(template.placeholders());
    byte[][] ring;
    if (names.isEmpty()) {
      ring = new byte[][] {first};
    } else if (names.size() == 1 && pools.pool(names.get(0)).orElseThrow().size() <= RING) {
      // Every value once: the calls spread exactly evenly over the pool.
      List<String> values = pools.pool(names.get(0)).orElseThrow();
      ring = new byte[values.size()][];
      for (int i = 0; i < values.size(); i++) {
        String value = values.get(i);
        ring[i] = serialize(method, template, template.render(name -> value));
      }
    } else {
      ring = new byte[RING][];
      for (int i = 0; i < RING; i++) {
        ring[i] = serialize(method, template, template.render(pools));
      }
    }
    return new GrpcRequests(method, template, pools, ring);
  }

  public MethodDescriptor method() {
    return method;
  }

  /** The next request to send: a random one of the ring, or a fresh rendering. */
  public byte[] next() {
    if (ring != null) {
      return ring.length == 1 ? ring[0] : ring[ThreadLocalRandom.current().nextInt(ring.length)];
    }
    return serialize(method, template, template.render(pools));
  }

  /** One request with the first value of every pool: what an engine that repeats one body sends. */
  public byte[] representative() {
    return serialize(method, template, template.render(pools::first));
  }

  /** {@code bytes} as the proto3 JSON of the input type, for reports. */
  public String toJson(byte[] bytes) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace()
          .print(DynamicMessage.parseFrom(method.getInputType(), bytes));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a " + method.getInputType().getFullName(), e);
    }
  }

  private static byte[] serialize(MethodDescriptor method, RequestTemplate template, String json) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(method.getInputType());
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException("the request '" + template.text() + "' is not a valid "
          + method.getInputType().getFullName() + " in JSON (" + json + "): " + e.getMessage());
    }
    return builder.build().toByteArray();
  }
}
