package dev.trellis.platform.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.RawCall;
import dev.trellis.testing.TestTokens;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Any client-streaming handler can read its stream item by item: a malformed message in the middle is handed to it
 * with its index and the stream goes on, behind the whole chain, over real stubs.
 */
class ClientStreamItemsTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final MutableClock clock = MutableClock.startingNow();
  private final TestTokens tokens = TestTokens.create(clock);

  /** Answers what it saw: "0:a 1:bad(requestMessage) 2:c". */
  private static final class Tally extends SimpleServiceGrpc.SimpleServiceImplBase {
    @Override
    public StreamObserver<SimpleRequest> clientStreamingRpc(StreamObserver<SimpleResponse> response) {
      List<String> seen = new ArrayList<>();
      return ClientStreamItems.receive(response, new ItemHandler<SimpleRequest>() {
        @Override
        public void item(int index, SimpleRequest item) {
          seen.add(index + ":" + item.getRequestMessage());
        }

        @Override
        public void malformed(int index, InvalidArgumentException problem) {
          seen.add(index + ":bad(" + problem.violations().getFirst().field() + ")");
        }

        @Override
        public void end() {
          response.onNext(SimpleResponse.newBuilder().setResponseMessage(String.join(" ", seen)).build());
          response.onCompleted();
        }
      });
    }
  }

  @Test
  void aMalformedItemIsHandedToTheHandlerWithItsIndexAndTheStreamGoesOn() throws Exception {
    String name = grpc.uniqueName();
    grpc.register(TrellisServer.builder(ServerConfig.defaults()).inProcess(name).auth(tokens.authConfig())
        .clock(clock).addUndeclaredService(new Tally()).build().start());
    var channel = grpc.register(InProcessChannelBuilder.forName(name).build());
    byte[] a = SimpleRequest.newBuilder().setRequestMessage("a").build().toByteArray();
    byte[] c = SimpleRequest.newBuilder().setRequestMessage("c").build().toByteArray();

    RawCall.Outcome outcome = RawCall.call(channel, SimpleServiceGrpc.getClientStreamingRpcMethod(), tokens.user(1),
        List.of(a, HexFormat.of().parseHex("0a01ff"), c));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(SimpleResponse.parseFrom(outcome.messages().getFirst()).getResponseMessage())
        .isEqualTo("0:a 1:bad(requestMessage) 2:c");
  }
}
