package dev.trellis.testing;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.trellis.platform.auth.AccessInterceptor;
import dev.trellis.platform.auth.Principal;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.proto.MethodAccessTable;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Calls every Trellis RPC a running server serves as each of several callers and tells, per call, whether the
 * chain let it past the access step, next to what the RPC's {@code (trellis.access.v1.access)} declaration says
 * should happen. The methods come from the server itself and the expectations from the descriptors compiled into
 * its stubs, so an RPC added to a service is probed without a test changing.
 *
 * <p>The request cannot be parsed, and parsing happens after the access step, in front of the handler: a caller
 * that passes gets INVALID_ARGUMENT (or OK from a handler that skips bad items), one that does not gets
 * PERMISSION_DENIED with ErrorInfo {@value AccessInterceptor#ACCESS_DENIED}, and a caller without a token
 * UNAUTHENTICATED from the auth step before it. Either way nothing is read or written, so it runs against a real
 * service on real shards.
 *
 * <pre>{@code
 * List<AccessProbe.Attempt> attempts = AccessProbe.callEveryMethod(users.replica().server(), users.channel(),
 *     AccessProbe.callers(users.tokens()));
 * assertThat(AccessProbe.problems(attempts, MethodAccessTable.load().ofService("trellis.user.v1.UserService")))
 *     .isEmpty();
 * }</pre>
 */
public final class AccessProbe {
  /** A request no message type parses: a field tag whose varint never ends. */
  private static final byte[] UNPARSABLE = {(byte) 0xff};
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  /** The caller without a token. */
  public static final String ANONYMOUS = "anonymous";
  /** A service that no contract names. */
  public static final String UNDECLARED_SERVICE = "stranger-service";

  private AccessProbe() {}

  /** What the chain should do with a caller's call, by the method's declaration. */
  public enum Expected {
    /** The declaration names the caller's role or service: on to the request parsing before the handler. */
    PASSES_ACCESS_STEP,
    /** Verified, but neither its role nor its service is declared: PERMISSION_DENIED, ACCESS_DENIED. */
    ACCESS_DENIED,
    /** No token: the auth step refuses it before the access step. */
    UNAUTHENTICATED
  }

  /**
   * One caller of the probe: its name in reports, its token (none for an anonymous caller), and what kind of
   * principal the token makes it.
   */
  public record Caller(String name, Optional<String> token, Optional<String> role, Optional<String> service) {
    public Caller {
      requireNonNull(name, "name");
      requireNonNull(token, "token");
      requireNonNull(role, "role");
      requireNonNull(service, "service");
    }

    /** A caller that sends no token. */
    public static Caller anonymous() {
      return new Caller(ANONYMOUS, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** An end user (or admin) whose token holds {@code role}. */
    public static Caller withRole(String role, String token) {
      return new Caller(role, Optional.of(token), Optional.of(role), Optional.empty());
    }

    /** A service calling on its own behalf as {@code service}. */
    public static Caller service(String service, String token) {
      return new Caller(service, Optional.of(token), Optional.empty(), Optional.of(service));
    }

    /** What the chain should do with this caller's call of the method {@code declaration} is for. */
    public Expected expectedAt(AccessDeclaration declaration) {
      requireNonNull(declaration, "declaration");
      if (token.isEmpty()) {
        return Expected.UNAUTHENTICATED;
      }
      boolean declared = role.map(declaration::allowsRole).orElse(false)
          || service.map(declaration::allowsService).orElse(false);
      return declared ? Expected.PASSES_ACCESS_STEP : Expected.ACCESS_DENIED;
    }
  }

  /**
   * How one call ended.
   *
   * @param expected what the method's declaration says should happen to this caller
   * @param reason the ErrorInfo reason of a failure, empty for OK or a status without one
   * @param metadata the ErrorInfo metadata of a failure (the access step's names the method)
   */
  public record Attempt(String method, String caller, Expected expected, Status status, String reason,
      Map<String, String> metadata) {
    /** False when the auth or the access step refused the call. */
    public boolean passedAccessStep() {
      return status.getCode() != Status.Code.UNAUTHENTICATED
          && !(status.getCode() == Status.Code.PERMISSION_DENIED && reason.equals(AccessInterceptor.ACCESS_DENIED));
    }

    /**
     * Whether the call went as the declaration says: a declared caller on to the request parsing in front of the
     * handler (INVALID_ARGUMENT, or OK from a handler that skips bad items); an undeclared one refused by the access
     * step with the method named in the ErrorInfo; one without a token refused by the auth step.
     */
    public boolean asExpected() {
      return switch (expected) {
        case PASSES_ACCESS_STEP -> status.getCode() == Status.Code.INVALID_ARGUMENT || status.isOk();
        case ACCESS_DENIED -> status.getCode() == Status.Code.PERMISSION_DENIED
            && reason.equals(AccessInterceptor.ACCESS_DENIED) && method.equals(metadata.get("method"));
        case UNAUTHENTICATED -> status.getCode() == Status.Code.UNAUTHENTICATED;
      };
    }

    @Override
    public String toString() {
      return caller + " calling " + method + " (expected " + expected + "): " + status.getCode()
          + (reason.isEmpty() ? "" : " " + reason) + " " + status.getDescription();
    }
  }

  /**
   * The callers worth probing: one without a token, a user, an admin, every service that a declaration of the
   * packaged contracts names, and a service that none names.
   */
  public static List<Caller> callers(TestTokens tokens) {
    requireNonNull(tokens, "tokens");
    List<Caller> callers = new ArrayList<>();
    callers.add(Caller.anonymous());
    callers.add(Caller.withRole(Principal.USER, tokens.user(7)));
    callers.add(Caller.withRole(Principal.ADMIN, tokens.admin(1)));
    MethodAccessTable.load().all().stream().flatMap(d -> d.services().stream()).distinct()
        .forEach(service -> callers.add(Caller.service(service, tokens.service(service))));
    callers.add(Caller.service(UNDECLARED_SERVICE, tokens.service(UNDECLARED_SERVICE)));
    return callers;
  }

  /**
   * The Trellis contracts {@code server} serves (package {@code trellis.}), from the descriptors compiled into its
   * stubs; health and reflection are not among them.
   */
  public static List<ServiceDescriptor> servedContracts(Server server) {
    requireNonNull(server, "server");
    List<ServiceDescriptor> contracts = new ArrayList<>();
    for (ServerServiceDefinition service : server.getServices()) {
      if (service.getServiceDescriptor().getName().startsWith("trellis.")
          && service.getServiceDescriptor().getSchemaDescriptor() instanceof ProtoServiceDescriptorSupplier schema) {
        contracts.add(schema.getServiceDescriptor());
      }
    }
    return contracts;
  }

  /**
   * Every method of every Trellis contract {@code server} serves, called through {@code channel} by every caller:
   * methods in the order the server lists them, callers in the given order.
   */
  public static List<Attempt> callEveryMethod(Server server, Channel channel, List<Caller> callers) {
    requireNonNull(channel, "channel");
    requireNonNull(callers, "callers");
    MethodAccessTable table = MethodAccessTable.of(servedContracts(server));
    List<Attempt> attempts = new ArrayList<>();
    for (ServerServiceDefinition service : server.getServices()) {
      for (ServerMethodDefinition<?, ?> served : service.getMethods()) {
        MethodDescriptor<?, ?> method = served.getMethodDescriptor();
        Optional<AccessDeclaration> declaration = table.find(method.getFullMethodName());
        if (declaration.isEmpty()) {
          continue; // health and reflection: public, not a contract
        }
        for (Caller caller : callers) {
          attempts.add(call(channel, method, declaration.get(), caller));
        }
      }
    }
    return attempts;
  }

  /**
   * What went wrong in a probe of the RPCs {@code declared} (the contracts' declarations, as the descriptor set
   * has them), one line each; empty when nothing did: a call that did not go as its declaration says, a declared
   * RPC the server did not serve or nobody got to call, an RPC served that is not among {@code declared}.
   */
  public static List<String> problems(List<Attempt> attempts, Collection<AccessDeclaration> declared) {
    requireNonNull(attempts, "attempts");
    requireNonNull(declared, "declared");
    List<String> problems = new ArrayList<>();
    attempts.stream().filter(a -> !a.asExpected()).forEach(a -> problems.add(a.toString()));
    Set<String> names = declared.stream().map(AccessDeclaration::fullMethodName).collect(Collectors.toSet());
    attempts.stream().map(Attempt::method).distinct().filter(m -> !names.contains(m))
        .forEach(m -> problems.add(m + " is served but not declared in the contracts probed"));
    for (String method : names) {
      List<Attempt> calls = attempts.stream().filter(a -> a.method().equals(method)).toList();
      if (calls.isEmpty()) {
        problems.add(method + " was never called: the server does not serve it");
      } else if (calls.stream().noneMatch(Attempt::passedAccessStep)) {
        problems.add(method + ": no caller got past the access step");
      }
    }
    return problems;
  }

  private static Attempt call(Channel channel, MethodDescriptor<?, ?> method, AccessDeclaration declaration,
      Caller caller) {
    RawCall.Outcome outcome =
        RawCall.call(channel, method, caller.token().orElse(null), List.of(UNPARSABLE), DEADLINE);
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(outcome.status(), outcome.trailers());
    ErrorInfo info = details.getDetailsList().stream().filter(d -> d.is(ErrorInfo.class)).findFirst()
        .map(AccessProbe::errorInfo).orElse(ErrorInfo.getDefaultInstance());
    return new Attempt(method.getFullMethodName(), caller.name(), caller.expectedAt(declaration), outcome.status(),
        info.getReason(), info.getMetadataMap());
  }

  private static ErrorInfo errorInfo(Any any) {
    try {
      return any.unpack(ErrorInfo.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("an ErrorInfo detail that does not parse", e);
    }
  }
}
