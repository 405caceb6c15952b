package dev.trellis.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.ErrorInfo;
import dev.trellis.accesstest.v1.GuardedServiceGrpc;
import dev.trellis.accesstest.v1.GuardedServiceProto;
import dev.trellis.accesstest.v1.HalfDeclaredServiceGrpc;
import dev.trellis.accesstest.v1.Probe;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.proto.MethodAccessTable;
import dev.trellis.testing.ErrorDetails;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.RawCall;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The access step of the whole chain, over real stubs on the in-process transport: a test contract whose methods,
 * of every call kind, declare different callers (guarded_service.proto). Every method is called by every kind of
 * caller; the declared ones reach the handler, the others get PERMISSION_DENIED ACCESS_DENIED and the handler never
 * runs. A server with an undeclared method is refused when it is built.
 */
class AccessInterceptorTest {
  private static final String GUARDED = "trellis.accesstest.v1.GuardedService/";

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final Guarded guarded = new Guarded();
  private final PlatformFixture platform = PlatformFixture.start(grpc, server -> server.addService(guarded));

  /** Each kind of caller, by name, with its token. */
  private final Map<String, String> callers = new LinkedHashMap<>();

  {
    callers.put("user", platform.tokens.user(7));
    callers.put("admin", platform.tokens.admin(1));
    callers.put("order-service", platform.tokens.service("order-service"));
    callers.put("reporting", platform.tokens.service("reporting"));
    callers.put("stranger-service", platform.tokens.service("stranger-service"));
    // A service principal is judged as a service, whatever else it claims.
    callers.put("order-service claiming admin",
        platform.tokens.mint("order-service", Set.of(Principal.SERVICE, Principal.ADMIN), Duration.ofMinutes(5)));
  }

  @Test
  void everyCallerReachesExactlyTheMethodsDeclaredForItOfEveryCallKind() {
    // Written out here, so that the test reads the declarations as a reader of the .proto does.
    Map<String, Set<String>> admitted = Map.of(
        "ForUsers", Set.of("user", "admin"),
        "ForAdmins", Set.of("admin"),
        "ForOrderService", Set.of("order-service", "order-service claiming admin"),
        "Watch", Set.of("admin", "order-service", "order-service claiming admin"),
        "Upload", Set.of("user"),
        "Chat", Set.of("admin", "order-service", "reporting", "order-service claiming admin"));
    ServerServiceDefinition service = guarded.bindService();
    assertThat(service.getMethods()).extracting(m -> m.getMethodDescriptor().getBareMethodName())
        .containsExactlyInAnyOrderElementsOf(admitted.keySet());

    for (ServerMethodDefinition<?, ?> definition : service.getMethods()) {
      MethodDescriptor<?, ?> method = definition.getMethodDescriptor();
      for (Map.Entry<String, String> caller : callers.entrySet()) {
        String what = caller.getKey() + " calling " + method.getBareMethodName() + " (" + method.getType() + ")";
        int reachedBefore = guarded.reached.get();

        RawCall.Outcome outcome = RawCall.call(platform.channel, method, caller.getValue(),
            List.of(Probe.newBuilder().setText("hi").setUserId(7).build().toByteArray()));

        if (admitted.get(method.getBareMethodName()).contains(caller.getKey())) {
          assertThat(outcome.status().getCode()).as(what).isEqualTo(Status.Code.OK);
          assertThat(outcome.messages()).as(what).isNotEmpty();
          assertThat(guarded.reached.get()).as(what).isEqualTo(reachedBefore + 1);
        } else {
          assertThat(outcome.status().getCode()).as(what).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(outcome.messages()).as(what).isEmpty();
          assertThat(guarded.reached.get()).as(what + ": the handler ran").isEqualTo(reachedBefore);
          ErrorInfo info = ErrorDetails.detail(outcome.status(), outcome.trailers(), ErrorInfo.class);
          assertThat(info.getReason()).as(what).isEqualTo(AccessInterceptor.ACCESS_DENIED);
          assertThat(info.getMetadataMap()).as(what).containsEntry("method", method.getFullMethodName());
        }
      }
    }
  }

  @Test
  void whoIsAdmittedIsWhatTheDeclarationSays() {
    // The same, generically: for every method, the callers that passed are those its declaration names.
    MethodAccessTable table = MethodAccessTable.of(
        List.of(GuardedServiceProto.getDescriptor().findServiceByName("GuardedService")));
    for (AccessDeclaration declaration : table.all()) {
      MethodDescriptor<?, ?> method = guarded.bindService().getMethod(declaration.fullMethodName())
          .getMethodDescriptor();
      for (String role : List.of(Principal.USER, Principal.ADMIN)) {
        RawCall.Outcome outcome = RawCall.call(platform.channel, method, callers.get(role),
            List.of(Probe.getDefaultInstance().toByteArray()));
        assertThat(outcome.status().isOk()).as(role + " calling " + declaration.methodName())
            .isEqualTo(declaration.allowsRole(role));
      }
      for (String service : List.of("order-service", "reporting", "stranger-service")) {
        RawCall.Outcome outcome = RawCall.call(platform.channel, method, callers.get(service),
            List.of(Probe.getDefaultInstance().toByteArray()));
        assertThat(outcome.status().isOk()).as(service + " calling " + declaration.methodName())
            .isEqualTo(declaration.allowsService(service));
      }
    }
  }

  @Test
  void aRefusalSaysWhichMethodAndWhoMayCallIt() {
    RawCall.Outcome outcome = RawCall.call(platform.channel, GuardedServiceGrpc.getWatchMethod(),
        callers.get("user"), List.of(Probe.getDefaultInstance().toByteArray()));

    assertThat(outcome.status().getDescription())
        .isEqualTo(GUARDED + "Watch is for role admin and the services order-service");
    ErrorInfo info = ErrorDetails.detail(outcome.status(), outcome.trailers(), ErrorInfo.class);
    assertThat(info.getDomain()).isEqualTo("trellis.dev");
    assertThat(info.getMetadataMap()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "method", GUARDED + "Watch", "roles", "admin", "services", "order-service"));
    RawCall.Outcome forService = RawCall.call(platform.channel, GuardedServiceGrpc.getForAdminsMethod(),
        callers.get("order-service"), List.of(Probe.getDefaultInstance().toByteArray()));
    assertThat(forService.status().getDescription())
        .isEqualTo(GUARDED + "ForAdmins is for role admin; no service may call it");
  }

  @Test
  void aMethodWithoutADeclarationStopsTheBuildNamingIt() {
    TrellisServer.Builder halfDeclared =
        builder().addService(new HalfDeclaredServiceGrpc.HalfDeclaredServiceImplBase() {});
    assertThatThrownBy(halfDeclared::build).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trellis.accesstest.v1.HalfDeclaredService/Forgotten has no (trellis.access.v1.access)"
            + " option")
        .hasMessageNotContaining("HalfDeclaredService/Declared");

    TrellisServer.Builder foreign = builder().addService(new ScriptedService());
    assertThatThrownBy(foreign::build).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("grpc.testing.SimpleService/UnaryRpc has no (trellis.access.v1.access) option")
        .hasMessageContaining("grpc.testing.SimpleService/BidiStreamingRpc has no (trellis.access.v1.access) option");
  }

  @Test
  void aContractThatDeclaresAccessCannotBeServedAsUndeclared() {
    TrellisServer.Builder builder = builder().addUndeclaredService(new Guarded());

    assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trellis.accesstest.v1.GuardedService is a Trellis contract or declares access");
  }

  @Test
  void aServiceAddedBehindTheBuildersBackIsServedToNobody() {
    String name = grpc.uniqueName();
    grpc.register(startUnchecked(builder().inProcess(name)
        .configure(server -> server.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {}))));
    var channel = grpc.register(io.grpc.inprocess.InProcessChannelBuilder.forName(name).build());

    RawCall.Outcome outcome = RawCall.call(channel, SimpleServiceGrpc.getUnaryRpcMethod(), platform.tokens.admin(1),
        List.of(new byte[0]));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(outcome.status().getDescription())
        .isEqualTo("grpc.testing.SimpleService/UnaryRpc declares nobody who may call it");
  }

  @Test
  void healthAndReflectionStayPublic() {
    ServingStatus status = HealthGrpc.newBlockingStub(platform.channel)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();

    assertThat(status).isEqualTo(ServingStatus.SERVING);
    RawCall.Outcome reflection = RawCall.call(platform.channel,
        io.grpc.reflection.v1.ServerReflectionGrpc.getServerReflectionInfoMethod(), null,
        List.of(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build().toByteArray()));
    assertThat(reflection.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(reflection.messages()).hasSize(1);
  }

  private TrellisServer.Builder builder() {
    return TrellisServer.builder(ServerConfig.defaults().withPort(0)).auth(platform.tokens.authConfig())
        .clock(platform.clock);
  }

  private static TrellisServer startUnchecked(TrellisServer.Builder builder) {
    try {
      return builder.build().start();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Answers every call kind, and counts the calls that reached it. */
  private static final class Guarded extends GuardedServiceGrpc.GuardedServiceImplBase {
    final AtomicInteger reached = new AtomicInteger();

    @Override
    public void forUsers(Probe request, StreamObserver<Probe> response) {
      answer(request, response);
    }

    @Override
    public void forAdmins(Probe request, StreamObserver<Probe> response) {
      answer(request, response);
    }

    @Override
    public void forOrderService(Probe request, StreamObserver<Probe> response) {
      answer(request, response);
    }

    @Override
    public void watch(Probe request, StreamObserver<Probe> response) {
      reached.incrementAndGet();
      response.onNext(request);
      response.onNext(request);
      response.onCompleted();
    }

    @Override
    public StreamObserver<Probe> upload(StreamObserver<Probe> response) {
      reached.incrementAndGet();
      return echo(response, false);
    }

    @Override
    public StreamObserver<Probe> chat(StreamObserver<Probe> response) {
      reached.incrementAndGet();
      return echo(response, true);
    }

    private void answer(Probe request, StreamObserver<Probe> response) {
      reached.incrementAndGet();
      response.onNext(request);
      response.onCompleted();
    }

    /** Echoes each message (bidi), or only the last one once the client is done (client stream). */
    private static StreamObserver<Probe> echo(StreamObserver<Probe> response, boolean each) {
      return new StreamObserver<>() {
        private Probe last = Probe.getDefaultInstance();

        @Override
        public void onNext(Probe probe) {
          last = probe;
          if (each) {
            response.onNext(probe);
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          if (!each) {
            response.onNext(last);
          }
          response.onCompleted();
        }
      };
    }
  }
}
