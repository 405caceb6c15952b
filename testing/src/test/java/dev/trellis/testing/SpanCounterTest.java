package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The counting receiver's reading of a request's wire form agrees with the message it encodes. */
class SpanCounterTest {
  @Test
  void countsTheSpansOfEveryScopeOfEveryResourceAndNothingElse() throws IOException {
    ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(resource("user-service", 0, 2))
        .addResourceSpans(resource("order-service", 5))
        .addResourceSpans(ResourceSpans.getDefaultInstance())
        .build();

    assertThat(SpanCounter.count(request.toByteArray())).isEqualTo(7);
  }

  @Test
  void anEmptyRequestHasNoSpans() throws IOException {
    assertThat(SpanCounter.count(new byte[0])).isZero();
  }

  @Test
  void aRequestCutShortIsRefused() {
    byte[] whole = ExportTraceServiceRequest.newBuilder().addResourceSpans(resource("user-service", 3)).build()
        .toByteArray();

    assertThatThrownBy(() -> SpanCounter.count(Arrays.copyOf(whole, whole.length - 5)))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  /** A resource with attributes and a schema, and one scope per entry of {@code spansPerScope}. */
  private static ResourceSpans resource(String service, int... spansPerScope) {
    ResourceSpans.Builder resource = ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
            .setValue(AnyValue.newBuilder().setStringValue(service))))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.37.0");
    for (int spans : spansPerScope) {
      ScopeSpans.Builder scope = ScopeSpans.newBuilder()
          .setScope(InstrumentationScope.newBuilder().setName("io.opentelemetry.grpc-1.6").setVersion("2"))
          .setSchemaUrl("https://opentelemetry.io/schemas/1.37.0");
      for (int i = 0; i < spans; i++) {
        // Spans carry fields 1 and 2 of their own (trace and span id): the count must not descend into them.
        scope.addSpans(Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[16]))
            .setSpanId(ByteString.copyFrom(new byte[8])).setName("rpc " + i)
            .addEvents(Span.Event.newBuilder().setName("message"))
            .addLinks(Span.Link.newBuilder().setSpanId(ByteString.copyFrom(new byte[8]))));
      }
      resource.addScopeSpans(scope);
    }
    return resource.build();
  }
}
