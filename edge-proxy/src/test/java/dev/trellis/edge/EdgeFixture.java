package dev.trellis.edge;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.ExtensionRegistry;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.proto.TrellisDescriptors;
import dev.trellis.testing.ServiceExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A running edge on a free port in front of real gRPC backends, with the packaged contracts plus the test contract
 * (src/test/proto), and real HTTP clients for it (OkHttp: HTTP/1.1, or HTTP/2 by prior knowledge).
 */
final class EdgeFixture implements AutoCloseable {
  static final MediaType JSON = MediaType.get("application/json");
  static final String USER_SERVICE = "trellis.user.v1.UserService";

  final EdgeServer server;
  final OkHttpClient http1 = new OkHttpClient.Builder().readTimeout(30, TimeUnit.SECONDS).build();
  final OkHttpClient http2 = new OkHttpClient.Builder().readTimeout(30, TimeUnit.SECONDS)
      .protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).build();

  private EdgeFixture(EdgeServer server) {
    this.server = server;
  }

  /** An edge with these upstreams ({@code service=target}) and extra settings. */
  static EdgeFixture start(Map<String, String> upstreams, Map<String, String> extra, Telemetry telemetry) {
    Map<String, String> env = new HashMap<>();
    StringBuilder targets = new StringBuilder();
    upstreams.forEach((service, target) -> targets.append(targets.isEmpty() ? "" : ",").append(service).append('=')
        .append(target));
    env.put(EdgeSettings.UPSTREAMS, targets.toString());
    env.put(EdgeSettings.PORT, "0");
    env.put("TRELLIS_SHUTDOWN_GRACE", "5s");
    env.putAll(extra);
    EdgeSettings settings = EdgeSettings.fromSettings(Settings.of(env));
    try {
      return new EdgeFixture(EdgeServer.create(settings, descriptors(), telemetry).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static EdgeFixture start(Map<String, String> upstreams, Map<String, String> extra) {
    return start(upstreams, extra, Telemetry.off());
  }

  /** The upstream of the service that {@code service} runs. */
  static String target(ServiceExtension service) {
    return "127.0.0.1:" + service.port();
  }

  /** An Authorization header's value. */
  static String bearer(String token) {
    return "Bearer " + token;
  }

  /** The packaged contracts and the test contract, as one descriptor set. */
  static TrellisDescriptors descriptors() {
    try {
      return TrellisDescriptors.fromBytes(mergedDescriptorSet().toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static FileDescriptorSet mergedDescriptorSet() {
    Map<String, FileDescriptorProto> files = new LinkedHashMap<>();
    for (String resource : List.of(TrellisDescriptors.RESOURCE, "/dev/trellis/edge/edge-test.binpb")) {
      try (InputStream in = EdgeFixture.class.getResourceAsStream(resource)) {
        ExtensionRegistry registry = ExtensionRegistry.newInstance();
        com.google.api.AnnotationsProto.registerAllExtensions(registry);
        com.google.api.FieldBehaviorProto.registerAllExtensions(registry);
        for (FileDescriptorProto file : FileDescriptorSet.parseFrom(in, registry).getFileList()) {
          files.putIfAbsent(file.getName(), file);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return FileDescriptorSet.newBuilder().addAllFile(files.values()).build();
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  Response get(String path, String... headers) throws IOException {
    return http1.newCall(request(path, headers).get().build()).execute();
  }

  Response send(String method, String path, String json, String... headers) throws IOException {
    RequestBody body = json == null ? null : RequestBody.create(json, JSON);
    return http1.newCall(request(path, headers).method(method, body).build()).execute();
  }

  static Request.Builder requestTo(String url, String... headers) {
    Request.Builder request = new Request.Builder().url(url);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return request;
  }

  Request.Builder request(String path, String... headers) {
    return requestTo(url(path), headers);
  }

  @Override
  public void close() {
    server.stopGracefully();
    http1.dispatcher().executorService().shutdown();
    http1.connectionPool().evictAll();
    http2.dispatcher().executorService().shutdown();
    http2.connectionPool().evictAll();
  }
}
