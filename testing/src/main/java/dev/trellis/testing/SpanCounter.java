package dev.trellis.testing;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts the spans of an OTLP {@code ExportTraceServiceRequest} from its wire form, building no message: it walks
 * {@code resource_spans} (field 1), their {@code scope_spans} (field 2) and counts their {@code spans} (field 2),
 * skipping every other field, span bodies included. What a collector does with a span is not the bench's to
 * measure; what the exporter sends is, and the count checks that every span arrived.
 */
final class SpanCounter {
  /** The path from the request to a span: resource_spans, scope_spans, spans. */
  private static final int[] SPAN_PATH = {1, 2, 2};

  /** Reads a request as its span count; a request that is not well-formed protobuf is INVALID_ARGUMENT. */
  static final MethodDescriptor.Marshaller<Long> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(Long count) {
      throw new UnsupportedOperationException("the receiver only reads requests");
    }

    @Override
    public Long parse(InputStream stream) {
      try {
        return count(CodedInputStream.newInstance(stream));
      } catch (IOException e) {
        throw Status.INVALID_ARGUMENT.withDescription("not an ExportTraceServiceRequest").withCause(e)
            .asRuntimeException();
      }
    }
  };

  private SpanCounter() {}

  static long count(byte[] request) throws IOException {
    return count(CodedInputStream.newInstance(new ByteArrayInputStream(request)));
  }

  static long count(CodedInputStream in) throws IOException {
    return count(in, 0);
  }

  private static long count(CodedInputStream in, int level) throws IOException {
    long spans = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      boolean onPath = WireFormat.getTagFieldNumber(tag) == SPAN_PATH[level]
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
      if (onPath && level == SPAN_PATH.length - 1) {
        in.skipField(tag);
        spans++;
      } else if (onPath) {
        int limit = in.pushLimit(in.readRawVarint32());
        spans += count(in, level + 1);
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
    return spans;
  }
}
