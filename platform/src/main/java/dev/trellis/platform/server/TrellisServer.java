package dev.trellis.platform.server;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.AccessInterceptor;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.AuthInterceptor;
import dev.trellis.platform.client.ServiceChannels;
import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.context.CallRecordWriter;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardReachabilityListener;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.logging.AccessLogInterceptor;
import dev.trellis.platform.ratelimit.PeerRateLimitInterceptor;
import dev.trellis.platform.ratelimit.PrincipalRateLimitInterceptor;
import dev.trellis.platform.ratelimit.RateLimitConfig;
import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server every Trellis service runs: Netty with keepalive and a message size limit, handlers on virtual
 * threads ({@link HandlerThreadHop}: one hop per call, after the steps that never block), server reflection (v1
 * and v1alpha, so every grpcurl works), grpc.health.v1, and the interceptor chain, outermost first: tracing, request id, access log, calls in flight, per-address rate limit, the hop to a virtual
 * thread, auth, per-principal rate limit, access (who may call the method, as its .proto declares), errors. The order is fixed here, in
 * {@link Builder#chain}, for every server alike (services, tests, benchmarks): nothing checks it at run time because
 * nothing can change it.
 *
 * <p>Every method a server serves declares who may call it, in its .proto ({@code (trellis.access.v1.access)});
 * {@link Builder#build()} refuses a service with a method that does not, naming it ({@link AccessInterceptor}).
 *
 * <p>The server owns the call records ({@link CallRecordWriter}): it opens one per call and hands the auth step the
 * only way to set a call's principal; everything else reads them through {@code CallContext}.
 *
 * <p>Shutdown is graceful ({@link #stopGracefully()}, run on SIGTERM by {@link ServiceMain}): health turns
 * NOT_SERVING at once (health watch streams hear it and then end with UNAVAILABLE, so they do not hold shutdown),
 * shutdown listeners ({@link #onShutdown}) tell long-lived streams to finish, new calls are
 * refused, calls in flight get the grace period to end, and the ones still open then end with UNAVAILABLE
 * "server is shutting down" rather than a connection reset.
 *
 * <p>Health: the whole server ({@code ""}) and each service are SERVING from start to shutdown, whatever the shards
 * say, because a replica cannot mend a shard and an orchestrator that pulled every replica when one shard died would
 * turn a partial outage into a total one. Each shard of a database given to {@link Builder#reportShards} has a
 * health entry of its own, {@link #shardHealthName} ({@code shards/user/shard-1}), SERVING while its checks reach
 * it and NOT_SERVING while they do not: for dashboards, alerts and operators, not for readiness. A shard that joins
 * the shard set gets its entry; one that is drained loses it (a check of it answers NOT_FOUND).
 *
 * <p>It is an {@link io.grpc.Server}, so anything that manages grpc servers (cleanup rules, test suites) manages it.
 */
public final class TrellisServer extends Server {
  /** The status of calls still open when the grace period ends. */
  public static final String SHUTTING_DOWN = "server is shutting down";

  private static final Logger log = LoggerFactory.getLogger(TrellisServer.class);
  /** The one writer of call records, shared by every server of the process. */
  private static final CallRecordWriter RECORDS = CallRecordWriter.claim();
  /** After ending the last calls, how long their trailers get to leave before the connections are cut. */
  private static final Duration DRAIN_WAIT = Duration.ofSeconds(2);

  private final Server server;
  private final HealthStatusManager health;
  private final InFlightCalls inFlight;
  private final Duration grace;
  private final List<String> serviceNames;
  private final List<Runnable> shutdownListeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean shutdownBegun = new AtomicBoolean();

  private TrellisServer(Server server, HealthStatusManager health, InFlightCalls inFlight, Duration grace,
      List<String> serviceNames) {
    this.server = server;
    this.health = health;
    this.inFlight = inFlight;
    this.grace = grace;
    this.serviceNames = serviceNames;
  }

  public static Builder builder(ServerConfig config) {
    return new Builder(config);
  }

  /** The health service name of one shard: {@code shards/<kind>/<shard>}, as {@code shards/user/shard-1}. */
  public static String shardHealthName(String kind, String shard) {
    return "shards/" + requireNonNull(kind, "kind") + "/" + requireNonNull(shard, "shard");
  }

  /** Starts listening; health turns SERVING for the whole server and each service. */
  @Override
  public TrellisServer start() throws IOException {
    server.start();
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    serviceNames.forEach(name -> health.setStatus(name, ServingStatus.SERVING));
    return this;
  }

  /**
   * Runs {@code listener} as soon as shutdown begins, before the grace period: a service with long-lived streams
   * ends them here, so that they finish cleanly instead of being cut at the end of the grace period.
   */
  public void onShutdown(Runnable listener) {
    shutdownListeners.add(requireNonNull(listener, "listener"));
  }

  /**
   * Shuts down gracefully and returns when the server has stopped: health NOT_SERVING, shutdown listeners, no new
   * calls, up to the grace period for the calls in flight, then UNAVAILABLE for the calls still open.
   */
  public void stopGracefully() {
    shutdown();
    try {
      if (server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
      int ended = inFlight.closeAll(Status.UNAVAILABLE.withDescription(SHUTTING_DOWN));
      log.warn("grace period of {} over: ended {} open call(s) with UNAVAILABLE", grace, ended);
      server.awaitTermination(DRAIN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      server.shutdownNow();
    }
  }

  /** Begins shutdown without waiting: health NOT_SERVING, listeners run, new calls refused. */
  @Override
  public TrellisServer shutdown() {
    beginShutdown();
    server.shutdown();
    endHealthWatches(); // again: a watch that came in while the listeners ran
    return this;
  }

  /** Stops at once: open calls are cancelled (a reset). Prefer {@link #stopGracefully()}. */
  @Override
  public TrellisServer shutdownNow() {
    beginShutdown();
    server.shutdownNow();
    return this;
  }

  private void beginShutdown() {
    if (!shutdownBegun.compareAndSet(false, true)) {
      return;
    }
    health.enterTerminalState(); // NOT_SERVING everywhere, for good; watchers are told before this returns
    endHealthWatches();
    inFlight.announceShutdown(); // long streams (FlowControlledSender, SubscriptionSender) end with UNAVAILABLE
    for (Runnable listener : shutdownListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        log.error("shutdown listener failed", e);
      }
    }
  }

  /**
   * A health watcher has heard NOT_SERVING by now; its stream would otherwise hold shutdown for the whole grace
   * period. Ending it tells the watcher (a load balancer) to look elsewhere, as the status already said.
   */
  private void endHealthWatches() {
    inFlight.closeAll(Status.UNAVAILABLE.withDescription(SHUTTING_DOWN), TrellisServer::isHealthWatch);
  }

  private static boolean isHealthWatch(MethodDescriptor<?, ?> method) {
    return method.getFullMethodName().equals(HealthGrpc.getWatchMethod().getFullMethodName());
  }

  @Override
  public boolean isShutdown() {
    return server.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return server.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return server.awaitTermination(timeout, unit);
  }

  @Override
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public int getPort() {
    return server.getPort();
  }

  @Override
  public List<? extends SocketAddress> getListenSockets() {
    return server.getListenSockets();
  }

  /** The full names of the services it was built with, without health and reflection. */
  public List<String> serviceNames() {
    return serviceNames;
  }

  @Override
  public List<ServerServiceDefinition> getServices() {
    return server.getServices();
  }

  @Override
  public List<ServerServiceDefinition> getImmutableServices() {
    return server.getImmutableServices();
  }

  @Override
  public List<ServerServiceDefinition> getMutableServices() {
    return server.getMutableServices();
  }

  /**
   * Runs a callback of an in-process call where it arrives, the client's thread, but outside the client's context:
   * there the client's span is current, the server's span would take it in, and OpenTelemetry would then suppress
   * every span the handler starts (a client span inside a client span). On Netty the transport's threads carry no
   * context.
   */
  private static void outsideCallersContext(Runnable callback) {
    try (Scope ignored = io.opentelemetry.context.Context.root().makeCurrent()) {
      callback.run();
    }
  }

  /** Assembles a {@link TrellisServer}. Auth configuration is required; everything else has defaults. */
  public static final class Builder {
    private final ServerConfig config;
    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private final List<ServerServiceDefinition> undeclaredServices = new ArrayList<>();
    private final List<Consumer<ServerBuilder<?>>> customizers = new ArrayList<>();
    private Telemetry telemetry = Telemetry.off();
    private AuthConfig auth;
    private RateLimitConfig rateLimits = RateLimitConfig.defaults();
    private Clock clock = Clock.systemUTC();
    private String inProcessName;
    private final List<ShardedDatabase> reportedShards = new ArrayList<>();

    private Builder(ServerConfig config) {
      this.config = requireNonNull(config, "config");
    }

    /** Adds a service whose every method declares who may call it, in its .proto; {@link #build()} checks. */
    public Builder addService(BindableService service) {
      return addService(requireNonNull(service, "service").bindService());
    }

    /** Adds a service whose every method declares who may call it, in its .proto; {@link #build()} checks. */
    public Builder addService(ServerServiceDefinition service) {
      services.add(requireNonNull(service, "service"));
      return this;
    }

    /**
     * Adds a service whose contract is not Trellis's and cannot declare access (grpc-testing's services, which
     * tests and benchmarks serve): any caller with a verified identity may call each of its methods. A Trellis
     * contract (package {@code trellis.}), or one that declares access, is refused by {@link #build()}.
     */
    public Builder addUndeclaredService(BindableService service) {
      return addUndeclaredService(requireNonNull(service, "service").bindService());
    }

    /** {@link #addUndeclaredService(BindableService)} for a service definition. */
    public Builder addUndeclaredService(ServerServiceDefinition service) {
      undeclaredServices.add(requireNonNull(service, "service"));
      return this;
    }

    public Builder telemetry(Telemetry telemetry) {
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    public Builder auth(AuthConfig auth) {
      this.auth = requireNonNull(auth, "auth");
      return this;
    }

    public Builder rateLimits(RateLimitConfig rateLimits) {
      this.rateLimits = requireNonNull(rateLimits, "rateLimits");
      return this;
    }

    /** The clock of token expiry and rate-limit refill; tests move a fake one instead of waiting. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Serves on the in-process transport under {@code name} instead of a port: for tests, and for several
     * services sharing one JVM. Keepalive does not apply there.
     */
    public Builder inProcess(String name) {
      this.inProcessName = requireNonNull(name, "name");
      return this;
    }

    /**
     * Reports each shard of {@code db} in health ({@link #shardHealthName}); the overall status does not depend on
     * them (see the class comment).
     */
    public Builder reportShards(ShardedDatabase db) {
      reportedShards.add(requireNonNull(db, "db"));
      return this;
    }

    /** Adjusts the underlying grpc builder for what this one does not cover (stream tracers in tests). */
    public Builder configure(Consumer<ServerBuilder<?>> customizer) {
      customizers.add(requireNonNull(customizer, "customizer"));
      return this;
    }

    /**
     * @throws IllegalStateException without auth configuration, and when a method of a service added with
     *     {@link #addService} does not declare who may call it (the message names each such method)
     */
    @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl and grpc_cli speak only that
    public TrellisServer build() {
      if (auth == null) {
        throw new IllegalStateException("auth configuration is required: call auth(AuthConfig)");
      }
      // Decided once, here: who may call each method. A service with an undeclared method stops the build.
      AccessInterceptor access = AccessInterceptor.forServices(services, undeclaredServices,
          CallContext::currentPrincipal);
      List<ServerServiceDefinition> all = new ArrayList<>(services);
      all.addAll(undeclaredServices);
      ServerBuilder<?> builder = inProcessName != null ? InProcessServerBuilder.forName(inProcessName) : netty();
      // The chain's outer steps run on the transport's thread; HandlerThreadHop moves the rest of each call to
      // virtual threads, where handlers may block on JDBC without a pool to size.
      if (inProcessName != null) {
        builder.executor(TrellisServer::outsideCallersContext);
      } else {
        builder.directExecutor();
      }
      builder.maxInboundMessageSize(config.maxInboundMessageBytes());
      HealthStatusManager health = new HealthStatusManager();
      health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
      for (ShardedDatabase db : reportedShards) {
        db.onReachability(new ShardReachabilityListener() {
          @Override
          public void changed(Shard shard, boolean reachable) {
            health.setStatus(shardHealthName(db.kind(), shard.name()),
                reachable ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
          }

          @Override
          public void left(Shard shard) {
            health.clearStatus(shardHealthName(db.kind(), shard.name())); // drained: NOT_FOUND, not a stale state
          }
        });
      }
      // Every method parses its requests inside the chain, so a malformed one is INVALID_ARGUMENT (RequestParsing).
      List<ServerServiceDefinition> served = new ArrayList<>(List.of(health.getHealthService().bindService(),
          ProtoReflectionServiceV1.newInstance().bindService(), ProtoReflectionService.newInstance().bindService()));
      served.addAll(all);
      served.forEach(service -> builder.addService(RequestParsing.wrap(service)));
      // Opens each call's record (request id; trace ids and the principal later) in the call's Context, before any
      // interceptor.
      builder.addStreamTracerFactory(RECORDS.opener());
      InFlightCalls inFlight = new InFlightCalls(RECORDS::control);
      // grpc runs the interceptor added last first: add them innermost first.
      List<ServerInterceptor> chain = chain(inFlight, access, oneRequestMethods(served));
      for (int i = chain.size() - 1; i >= 0; i--) {
        builder.intercept(chain.get(i));
      }
      customizers.forEach(customizer -> customizer.accept(builder));
      List<String> names = all.stream().map(s -> s.getServiceDescriptor().getName()).toList();
      return new TrellisServer(builder.build(), health, inFlight, config.shutdownGrace(), names);
    }

    /** The interceptors, outermost first. */
    private List<ServerInterceptor> chain(InFlightCalls inFlight, AccessInterceptor access,
        Set<String> oneRequestMethods) {
      List<ServerInterceptor> chain = new ArrayList<>();
      telemetry.serverInterceptor().ifPresent(chain::add);
      chain.add(RECORDS.requestIds());
      chain.add(new AccessLogInterceptor());
      chain.add(inFlight);
      chain.add(new PeerRateLimitInterceptor(rateLimits, clock));
      // Nothing above blocks; auth may (it fetches signing keys it has not seen), and handlers do. Threads named,
      // because logs show the name, and logback looks up an unnamed thread's id through reflection on every line.
      chain.add(new HandlerThreadHop(
          Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rpc-", 0).factory()), oneRequestMethods));
      chain.add(new AuthInterceptor(auth, clock, RECORDS::authenticated));
      chain.add(new PrincipalRateLimitInterceptor(rateLimits, clock));
      // After the limit, so refused calls spend the caller's budget too; before the handler and its error step.
      chain.add(access);
      chain.add(new ErrorInterceptor());
      return chain;
    }

    /** The methods whose client sends one request, as declared (RequestParsing tells the transport otherwise). */
    private static Set<String> oneRequestMethods(List<ServerServiceDefinition> services) {
      return services.stream().flatMap(service -> service.getMethods().stream())
          .map(ServerMethodDefinition::getMethodDescriptor)
          .filter(method -> method.getType().clientSendsOneMessage())
          .map(MethodDescriptor::getFullMethodName)
          .collect(Collectors.toUnmodifiableSet());
    }

    private ServerBuilder<?> netty() {
      return NettyServerBuilder.forPort(config.port())
          .keepAliveTime(ServerConfig.KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
          .keepAliveTimeout(ServerConfig.KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          // The platform's own clients ping this often (ServiceChannels); faster is abuse.
          .permitKeepAliveTime(ServiceChannels.KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
          .permitKeepAliveWithoutCalls(true);
    }
  }
}
