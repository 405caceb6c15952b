package dev.trellis.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.edgetest.v1.Book;
import dev.trellis.edgetest.v1.CountReply;
import dev.trellis.edgetest.v1.CountRequest;
import dev.trellis.edgetest.v1.FailRequest;
import dev.trellis.edgetest.v1.GetBookRequest;
import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * gRPC-Web on the edge's port, byte for byte as the protocol has it (the npm client test in tests/node drives it
 * with a real gRPC-Web library): length-prefixed messages, the status as a last frame flagged 0x80, binary and
 * base64 text forms, unary and server streaming.
 */
class GrpcWebIT {
  @RegisterExtension static final LibraryEdge LIBRARY = new LibraryEdge(Map.of());

  record Frames(List<byte[]> messages, String trailers) {}

  static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
  }

  static Frames parse(byte[] body) {
    List<byte[]> messages = new ArrayList<>();
    String trailers = null;
    ByteBuffer buffer = ByteBuffer.wrap(body);
    while (buffer.remaining() > 0) {
      byte flag = buffer.get();
      byte[] data = new byte[buffer.getInt()];
      buffer.get(data);
      if ((flag & 0x80) != 0) {
        trailers = new String(data, StandardCharsets.UTF_8);
      } else {
        messages.add(data);
      }
    }
    return new Frames(messages, trailers);
  }

  private Response call(String method, byte[] body, String contentType) throws Exception {
    return LIBRARY.edge.http1.newCall(LIBRARY.edge.request("/trellis.edgetest.v1.LibraryService/" + method, "x-grpc-web", "1")
        .post(RequestBody.create(body, MediaType.get(contentType))).build()).execute();
  }

  @Test
  void unaryBinary() throws Exception {
    byte[] request = frame(GetBookRequest.newBuilder().setName("shelves/1/books/2").build().toByteArray());
    try (Response r = call("GetBook", request, "application/grpc-web+proto")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("content-type")).isEqualTo("application/grpc-web+proto");
      Frames frames = parse(r.body().bytes());
      assertThat(Book.parseFrom(frames.messages().get(0)).getTitle()).isEqualTo("Title of shelves/1/books/2");
      assertThat(frames.trailers()).contains("grpc-status:0\r\n").contains("x-test-trailer:from-trailers\r\n");
    }
  }

  @Test
  void unaryText() throws Exception {
    byte[] request = Base64.getEncoder().encode(frame(GetBookRequest.newBuilder().setName("n").build().toByteArray()));
    try (Response r = call("GetBook", request, "application/grpc-web-text")) {
      assertThat(r.header("content-type")).isEqualTo("application/grpc-web-text+proto");
      ByteArrayOutputStream decoded = new ByteArrayOutputStream();
      for (String piece : r.body().string().split("(?<==)(?=[^=])")) {
        decoded.writeBytes(Base64.getDecoder().decode(piece));
      }
      Frames frames = parse(decoded.toByteArray());
      assertThat(Book.parseFrom(frames.messages().get(0)).getName()).isEqualTo("n");
      assertThat(frames.trailers()).contains("grpc-status:0");
    }
  }

  @Test
  void serverStreamIsOneFramePerMessage() throws Exception {
    byte[] request = frame(CountRequest.newBuilder().setLimit(3).build().toByteArray());
    try (Response r = call("Count", request, "application/grpc-web+proto")) {
      Frames frames = parse(r.body().bytes());
      assertThat(frames.messages()).hasSize(3);
      assertThat(CountReply.parseFrom(frames.messages().get(2)).getN()).isEqualTo(3);
      assertThat(frames.trailers()).contains("grpc-status:0");
    }
  }

  @Test
  void anErrorIsTheStatusFrameWithDetails() throws Exception {
    byte[] request = frame(FailRequest.newBuilder().setCode(5).setMessage("no such book").build().toByteArray());
    try (Response r = call("Fail", request, "application/grpc-web+proto")) {
      assertThat(r.code()).isEqualTo(200);
      Frames frames = parse(r.body().bytes());
      assertThat(frames.messages()).isEmpty();
      assertThat(frames.trailers()).contains("grpc-status:5\r\n").contains("grpc-message:no%20such%20book\r\n")
          .contains("grpc-status-details-bin:");
    }
  }

  @Test
  void anUnknownMethodIsUnimplemented() throws Exception {
    try (Response r = call("Nope", frame(new byte[0]), "application/grpc-web+proto")) {
      assertThat(parse(r.body().bytes()).trailers()).contains("grpc-status:12");
    }
  }

  @Test
  void aClientStreamPassesHalfDuplex() throws Exception {
    byte[] request = frame(CountReply.newBuilder().setN(1).build().toByteArray());
    try (Response r = call("Collect", request, "application/grpc-web+proto")) {
      assertThat(parse(r.body().bytes()).trailers()).contains("grpc-status:0");
    }
  }

  /** Metadata the edge cannot pass on is the caller's mistake: INVALID_ARGUMENT naming the header, not a reset. */
  @ParameterizedTest
  @CsvSource({"x-trace-bin, not*base64", "x-bad!name, value"})
  void aHeaderThatIsNotValidMetadataIsInvalidArgument(String name, String value) throws Exception {
    byte[] request = frame(GetBookRequest.newBuilder().setName("n").build().toByteArray());
    try (Response r = LIBRARY.edge.http1.newCall(LIBRARY.edge.request("/trellis.edgetest.v1.LibraryService/GetBook",
        "x-grpc-web", "1", name, value).post(RequestBody.create(request,
            MediaType.get("application/grpc-web+proto"))).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      Frames frames = parse(r.body().bytes());
      assertThat(frames.messages()).isEmpty();
      assertThat(frames.trailers()).contains("grpc-status:3\r\n");
      assertThat(URLDecoder.decode(frames.trailers(), StandardCharsets.UTF_8)).contains("header " + name);
    }
  }
}
