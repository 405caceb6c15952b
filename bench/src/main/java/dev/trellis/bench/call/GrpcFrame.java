package dev.trellis.bench.call;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * gRPC's length-prefixed message on the wire (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): one compressed-flag
 * byte (0: not compressed), the message length as 4 bytes big-endian, the message. An HTTP/2 load generator that
 * knows nothing of gRPC (h2load) posts such a frame as the request body.
 */
public final class GrpcFrame {
  private static final int HEADER = 5;

  private GrpcFrame() {}

  /** The uncompressed frame of one serialized message. */
  public static byte[] of(byte[] message) {
    requireNonNull(message, "message");
    return ByteBuffer.allocate(HEADER + message.length).put((byte) 0).putInt(message.length).put(message).array();
  }

  /** The message of a frame that holds exactly one uncompressed message. */
  public static byte[] messageOf(byte[] frame) {
    requireNonNull(frame, "frame");
    if (frame.length < HEADER) {
      throw new IllegalArgumentException("a gRPC frame has at least 5 bytes, got " + frame.length);
    }
    if (frame[0] != 0) {
      throw new IllegalArgumentException("compressed frames are not supported (flag " + frame[0] + ")");
    }
    int length = ByteBuffer.wrap(frame, 1, 4).getInt();
    if (length != frame.length - HEADER) {
      throw new IllegalArgumentException("frame says " + length + " bytes, holds " + (frame.length - HEADER));
    }
    return Arrays.copyOfRange(frame, HEADER, frame.length);
  }
}
