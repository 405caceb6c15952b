package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A service started by name from a field: served over Netty, with tokens it accepts, and replicas beside it. */
class ServiceExtensionIT {
  @RegisterExtension
  static final ServiceExtension echo = ServiceExtension.of("echo-service");
  @RegisterExtension
  static final ServiceExtension echoReplica = ServiceExtension.replicaOf(echo);

  private static final SimpleRequest HELLO = SimpleRequest.newBuilder().setRequestMessage("hello").build();

  @Test
  void theServiceAnswersOverNettyWithTheTokensItIsGiven() {
    var stub = echo.stub(SimpleServiceGrpc::newBlockingStub, echo.tokens().user(42));

    assertThat(stub.unaryRpc(HELLO).getResponseMessage()).isEqualTo("hello from 42");
    assertThat(echo.service().name()).isEqualTo("echo-service");
  }

  @Test
  void callsWithoutATokenAreRefused() {
    assertThatThrownBy(() -> SimpleServiceGrpc.newBlockingStub(echo.channel()).unaryRpc(HELLO))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void replicasShareTheKeysAndStopWhenClosed() {
    String admin = echo.tokens().admin(1);
    assertThat(echoReplica.stub(SimpleServiceGrpc::newBlockingStub, admin).unaryRpc(HELLO).getResponseMessage())
        .isEqualTo("hello from 1");
    assertThat(echoReplica.port()).isNotEqualTo(echo.port());

    ServiceExtension.Replica extra = echo.startReplica(Map.of());
    assertThat(extra.stub(SimpleServiceGrpc::newBlockingStub, admin).unaryRpc(HELLO).getResponseMessage())
        .isEqualTo("hello from 1");
    extra.close();
    assertThat(extra.server().isTerminated()).isTrue();
  }

  @Test
  void anUnknownServiceNamesTheOnesThereAre() {
    ServiceExtension unknown = ServiceExtension.of("no-such-service");
    assertThatThrownBy(() -> unknown.beforeAll(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no service named 'no-such-service'")
        .hasMessageContaining("echo-service");
  }

  @Test
  void aServiceWithoutADatabaseHasNone() {
    assertThatThrownBy(echo::topology).isInstanceOf(NullPointerException.class)
        .hasMessage("echo-service keeps no database");
  }
}
