package dev.trellis.launcher;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.ErrorDetailsProto;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.AuthInterceptor;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import dev.trellis.platform.server.TrellisService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ./trellis call [--role R] [--sub S] [--target HOST:PORT] [--state-dir DIR] [-H k:v]... [-d JSON|@-]
 * SERVICE[/METHOD] [JSON]}: a grpcurl-style call, read through server reflection. SERVICE is a mesh service
 * ({@code user-service}, at its local-mesh port) or a fully-qualified gRPC service with {@code --target}. Without a
 * METHOD it lists the methods. The request is JSON; client and bidi streams read one JSON message per line, from
 * {@code -d} or stdin. Responses print as JSON on stdout; a failure prints its status and google.rpc details on
 * stderr and exits 1 (2 for a wrong command line). Calls carry a dev token of the local mesh, admin unless told.
 */
final class CallCommand {
  static final int CALL_FAILED = 1;
  private static final Duration TOKEN_TTL = Duration.ofMinutes(10);
  private static final int MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

  private String target;
  private String service;
  private String method;
  private String data;
  private final List<String> headers = new ArrayList<>();
  private String role = Principal.ADMIN;
  /** The token's subject; unset: user 1, or for --role service the service the contracts let call. */
  private String subject;
  private StateDirectory state;

  private CallCommand() {}

  /** Reads the command line; a wrong one is a {@link ConfigException} saying what is expected. */
  static CallCommand parse(String[] args, Settings environment) {
    CallCommand call = new CallCommand();
    call.state = StateDirectory.fromSettings(environment);
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      int eq = arg.indexOf('=');
      String flag = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
      boolean inline = !flag.equals(arg);
      switch (flag) {
        case "-H", "--header", "-d", "--data", "--role", "--sub", "--target", "--state-dir" -> {
          String value;
          if (inline) {
            value = arg.substring(eq + 1);
          } else if (i + 1 < args.length) {
            value = args[++i];
          } else {
            throw new ConfigException(flag + " needs a value");
          }
          call.set(flag, value);
        }
        default -> {
          if (arg.startsWith("-") && !arg.equals("-")) {
            throw new ConfigException("unknown flag " + arg + "; " + usage());
          }
          positional.add(arg);
        }
      }
    }
    if (positional.isEmpty() || positional.size() > 2) {
      throw new ConfigException(usage());
    }
    String name = positional.get(0);
    int slash = name.lastIndexOf('/');
    call.service = slash < 0 ? name : name.substring(0, slash);
    call.method = slash < 0 || slash == name.length() - 1 ? null : name.substring(slash + 1);
    if (positional.size() == 2) {
      if (call.data != null) {
        throw new ConfigException("give the request once: as the last argument or with -d");
      }
      call.data = positional.get(1);
    }
    return call;
  }

  private void set(String flag, String value) {
    switch (flag) {
      case "-H", "--header" -> {
        if (value.indexOf(':') <= 0) {
          throw new ConfigException("-H takes name:value, got '" + value + "'");
        }
        headers.add(value);
      }
      case "-d", "--data" -> data = value;
      case "--role" -> {
        if (!DevTokenRequest.ROLES.contains(value)) {
          throw new ConfigException("--role must be user, admin or service, got '" + value + "'");
        }
        role = value;
      }
      case "--sub" -> subject = value;
      case "--target" -> target = value;
      default -> state = new StateDirectory(java.nio.file.Path.of(value));
    }
  }

  static String usage() {
    return "usage: ./trellis call [--role user|admin|service] [--sub ID] [--target HOST:PORT] [--state-dir DIR]"
        + " [-H name:value]... [-d JSON|@-] SERVICE[/METHOD] [JSON]";
  }

  /** Makes the call; returns the exit code. */
  int run(InputStream in, PrintStream out, PrintStream err) {
    String address = target != null ? target : meshAddress();
    ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES).build();
    try {
      ReflectionClient reflection = new ReflectionClient(channel);
      List<ServiceDescriptor> services = describe(reflection);
      if (method == null) {
        services.forEach(s -> s.getMethods().forEach(m -> out.println(s.getFullName() + "/" + m.getName()
            + "   " + kind(m))));
        return 0;
      }
      MethodDescriptor descriptor = find(services);
      JsonFormat.TypeRegistry registry = registry(reflection.files());
      List<DynamicMessage> requests = requests(descriptor, in, registry);
      return invoke(channel, descriptor, requests, registry, out, err);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
        throw new ConfigException("cannot reach " + service + " at " + address + " (is ./trellis up running? another"
            + " address: --target HOST:PORT)");
      }
      err.println("trellis: reading the API of " + address + " failed: " + e.getStatus());
      return CALL_FAILED;
    } finally {
      channel.shutdownNow();
    }
  }

  /** A mesh service's address: its local-mesh port on this machine. */
  private String meshAddress() {
    if (service.contains(".")) {
      throw new ConfigException(service + " is a gRPC service name: give --target HOST:PORT, or call a mesh service"
          + " by its name (" + meshNames() + ")");
    }
    try {
      return "127.0.0.1:" + TrellisService.named(service).defaultPort();
    } catch (IllegalArgumentException e) {
      throw new ConfigException("no service called " + service + " in the mesh; there are " + meshNames());
    }
  }

  private static List<String> meshNames() {
    return TrellisService.all().stream().map(TrellisService::name).toList();
  }

  /** The services to look in: the one named, or every service of the server but health and reflection. */
  private List<ServiceDescriptor> describe(ReflectionClient reflection) {
    if (service.contains(".")) {
      return List.of(reflection.service(service));
    }
    return reflection.services().stream()
        .filter(name -> !name.startsWith("grpc."))
        .map(reflection::service)
        .toList();
  }

  private MethodDescriptor find(List<ServiceDescriptor> services) {
    List<MethodDescriptor> found = services.stream()
        .map(s -> s.findMethodByName(method))
        .filter(m -> m != null)
        .toList();
    if (found.size() == 1) {
      return found.getFirst();
    }
    List<String> all = services.stream().flatMap(s -> s.getMethods().stream())
        .map(m -> m.getService().getFullName() + "/" + m.getName()).toList();
    throw new ConfigException(found.isEmpty()
        ? service + " has no method " + method + "; it has " + all
        : method + " is in several services of " + service + ": call it by the full service name with --target");
  }

  private static String kind(MethodDescriptor m) {
    return m.isClientStreaming()
        ? (m.isServerStreaming() ? "(bidi streaming)" : "(client streaming)")
        : (m.isServerStreaming() ? "(server streaming)" : "(unary)");
  }

  /** Every message type the server described, and the google.rpc error details, so Any prints as JSON. */
  private static JsonFormat.TypeRegistry registry(List<FileDescriptor> files) {
    JsonFormat.TypeRegistry.Builder registry = JsonFormat.TypeRegistry.newBuilder()
        .add(ErrorDetailsProto.getDescriptor().getMessageTypes());
    files.forEach(f -> registry.add(f.getMessageTypes()));
    return registry.build();
  }

  /**
   * The request messages: one, from the argument or {@code -d} ({@code {}} when none) for unary and server-streaming
   * calls; one per line for client and bidi streams, from {@code -d} or stdin.
   */
  private List<DynamicMessage> requests(MethodDescriptor descriptor, InputStream in, JsonFormat.TypeRegistry registry) {
    String text = data;
    if ("@-".equals(text) || (text == null && descriptor.isClientStreaming())) {
      try {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConfigException("cannot read the requests from stdin: " + e.getMessage());
      }
    }
    List<String> jsons = new ArrayList<>();
    if (descriptor.isClientStreaming()) {
      text.lines().filter(line -> !line.isBlank()).forEach(jsons::add);
    } else {
      jsons.add(text == null || text.isBlank() ? "{}" : text);
    }
    JsonFormat.Parser parser = JsonFormat.parser().usingTypeRegistry(registry);
    List<DynamicMessage> messages = new ArrayList<>();
    for (String json : jsons) {
      DynamicMessage.Builder message = DynamicMessage.newBuilder(descriptor.getInputType());
      try {
        parser.merge(json, message);
      } catch (InvalidProtocolBufferException e) {
        throw new ConfigException("the request is not a " + descriptor.getInputType().getFullName() + " in JSON: "
            + e.getMessage());
      }
      messages.add(message.build());
    }
    return messages;
  }

  private int invoke(Channel channel, MethodDescriptor descriptor, List<DynamicMessage> requests,
      JsonFormat.TypeRegistry registry, PrintStream out, PrintStream err) {
    io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> method = io.grpc.MethodDescriptor
        .<DynamicMessage, DynamicMessage>newBuilder()
        .setType(type(descriptor))
        .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(
            descriptor.getService().getFullName(), descriptor.getName()))
        .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(descriptor.getInputType())))
        .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(descriptor.getOutputType())))
        .build();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Channel intercepted = ClientInterceptors.intercept(channel,
        MetadataUtils.newAttachHeadersInterceptor(metadata()),
        MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers));
    JsonFormat.Printer printer = JsonFormat.printer().usingTypeRegistry(registry);
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<DynamicMessage> responses = new StreamObserver<>() {
      @Override
      public void onNext(DynamicMessage value) {
        try {
          out.println(printer.print(value));
        } catch (InvalidProtocolBufferException e) {
          out.println(value);
        }
        out.flush();
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(null);
      }
    };
    ClientCall<DynamicMessage, DynamicMessage> call = intercepted.newCall(method, CallOptions.DEFAULT);
    if (descriptor.isClientStreaming()) {
      StreamObserver<DynamicMessage> sink = descriptor.isServerStreaming()
          ? ClientCalls.asyncBidiStreamingCall(call, responses)
          : ClientCalls.asyncClientStreamingCall(call, responses);
      requests.forEach(sink::onNext);
      sink.onCompleted();
    } else if (descriptor.isServerStreaming()) {
      ClientCalls.asyncServerStreamingCall(call, requests.getFirst(), responses);
    } else {
      ClientCalls.asyncUnaryCall(call, requests.getFirst(), responses);
    }
    try {
      done.get();
      printTrailers(trailers.get(), err);
      return 0;
    } catch (ExecutionException e) {
      printFailure(e.getCause(), trailers.get(), printer, err);
      return CALL_FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CALL_FAILED;
    }
  }

  private static io.grpc.MethodDescriptor.MethodType type(MethodDescriptor descriptor) {
    if (descriptor.isClientStreaming()) {
      return descriptor.isServerStreaming() ? io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING
          : io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING;
    }
    return descriptor.isServerStreaming() ? io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING
        : io.grpc.MethodDescriptor.MethodType.UNARY;
  }

  /** The -H headers, and a dev token of --role and --sub unless an authorization header was given. */
  private Metadata metadata() {
    Metadata metadata = new Metadata();
    boolean authorized = false;
    for (String header : headers) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
      metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), header.substring(colon + 1).trim());
      authorized |= name.equals("authorization");
    }
    if (!authorized) {
      metadata.put(AuthInterceptor.AUTHORIZATION, "Bearer " + devToken());
    }
    return metadata;
  }

  private String devToken() {
    if (!Files.exists(state.devKeyFile())) {
      throw new ConfigException("no dev key in " + state.root() + ": start ./trellis up first (or give --state-dir,"
          + " or -H 'authorization: Bearer ...')");
    }
    return DevTokens.create(AuthConfig.dev(state.devKeyFile()), Clock.systemUTC())
        .mint(subjectOfToken(), Set.of(role), TOKEN_TTL);
  }

  private String subjectOfToken() {
    if (subject != null) {
      return subject;
    }
    return role.equals(Principal.SERVICE) ? DevTokenRequest.defaultServiceSubject() : "1";
  }

  /** Trailing metadata worth seeing (a next-page token, say), on stderr so that stdout stays JSON. */
  private static void printTrailers(Metadata trailers, PrintStream err) {
    if (trailers == null) {
      return;
    }
    for (String key : trailers.keys()) {
      if (!key.startsWith("grpc-") && !key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        for (String value : trailers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
          err.println(key + ": " + value);
        }
      }
    }
  }

  /** The status on one line, then its google.rpc details as JSON. */
  private static void printFailure(Throwable failure, Metadata trailers, JsonFormat.Printer printer, PrintStream err) {
    Status status = Status.fromThrowable(failure);
    err.println("trellis: " + status.getCode() + (status.getDescription() == null ? "" : ": "
        + status.getDescription()));
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status,
        trailers != null ? trailers : Status.trailersFromThrowable(failure));
    if (details != null && details.getDetailsCount() > 0) {
      try {
        err.println(printer.print(details));
      } catch (InvalidProtocolBufferException e) {
        err.println(details);
      }
    }
    err.flush();
  }
}
