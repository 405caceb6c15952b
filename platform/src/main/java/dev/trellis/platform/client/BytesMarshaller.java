package dev.trellis.platform.client;

import io.grpc.MethodDescriptor.Marshaller;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Messages as the bytes they travel as, neither parsed nor built: for callers that only forward them (the edge's
 * gRPC-Web), send prepared ones (the bench) or send what no stub would (the test kit's RawCall).
 */
public final class BytesMarshaller implements Marshaller<byte[]> {
  public static final BytesMarshaller INSTANCE = new BytesMarshaller();

  private BytesMarshaller() {}

  @Override
  public InputStream stream(byte[] value) {
    return new ByteArrayInputStream(value);
  }

  /** Reads the message to its end. */
  @Override
  public byte[] parse(InputStream stream) {
    try {
      return stream.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
