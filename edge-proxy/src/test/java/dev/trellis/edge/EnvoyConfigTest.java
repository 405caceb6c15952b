package dev.trellis.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import dev.trellis.edge.route.HttpRules;
import dev.trellis.proto.TrellisDescriptors;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.grpc_web.v3.GrpcWeb;
import io.envoyproxy.envoy.extensions.filters.http.health_check.v3.HealthCheck;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * edge-proxy/envoy/envoy.yaml, read with Envoy's own API protos (java-control-plane's api artifact): every field
 * must exist with the right type, and the config must stay in step with the contracts and with the Java edge.
 * Envoy itself cannot run here.
 */
class EnvoyConfigTest {
  static final Path CONFIG = Path.of("envoy", "envoy.yaml");
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(List.of(HttpConnectionManager.getDescriptor(), StdoutAccessLog.getDescriptor(),
          HealthCheck.getDescriptor(), Cors.getDescriptor(), GrpcWeb.getDescriptor(),
          GrpcJsonTranscoder.getDescriptor(), Router.getDescriptor(), HttpProtocolOptions.getDescriptor()))
      .build();

  static Bootstrap parse(String yaml) throws Exception {
    String json = new ObjectMapper().writeValueAsString(new ObjectMapper(new YAMLFactory()).readTree(yaml));
    Bootstrap.Builder bootstrap = Bootstrap.newBuilder();
    JsonFormat.parser().usingTypeRegistry(TYPES).merge(json, bootstrap);
    return bootstrap.build();
  }

  private static Bootstrap bootstrap() throws Exception {
    return parse(Files.readString(CONFIG));
  }

  private static HttpConnectionManager manager(Bootstrap bootstrap) throws Exception {
    return bootstrap.getStaticResources().getListeners(0).getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(HttpConnectionManager.class);
  }

  private static GrpcJsonTranscoder transcoder(HttpConnectionManager manager) throws Exception {
    for (HttpFilter filter : manager.getHttpFiltersList()) {
      if (filter.getTypedConfig().is(GrpcJsonTranscoder.class)) {
        return filter.getTypedConfig().unpack(GrpcJsonTranscoder.class);
      }
    }
    throw new AssertionError("no grpc_json_transcoder filter");
  }

  private static List<ServiceDescriptor> servicesWithRules() {
    return TrellisDescriptors.load().services().stream()
        .filter(s -> s.getMethods().stream().anyMatch(HttpRules::hasRule)).toList();
  }

  /** The cluster of a service by the naming of the chart: trellis.user.v1 is user-service. */
  static String clusterOf(ServiceDescriptor service) {
    return service.getFile().getPackage().split("\\.")[1] + "-service";
  }

  @Test
  void aWrongFieldOrTypeFailsToParse() throws Exception {
    String yaml = Files.readString(CONFIG);
    assertThat(parse(yaml).getStaticResources().getClustersCount()).isEqualTo(2);
    assertThatThrownBy(() -> parse(yaml.replace("convert_grpc_status:", "convert_grpc_statuss:")))
        .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("convert_grpc_statuss");
    assertThatThrownBy(() -> parse(yaml.replace("max_request_body_size: 4194304", "max_request_body_size: big")))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void theTranscoderServesEveryServiceWithHttpRulesAsTheJavaEdgeDoes() throws Exception {
    GrpcJsonTranscoder transcoder = transcoder(manager(bootstrap()));
    assertThat(new TreeSet<>(transcoder.getServicesList()))
        .isEqualTo(servicesWithRules().stream().map(ServiceDescriptor::getFullName)
            .collect(Collectors.toCollection(TreeSet::new)));
    assertThat(transcoder.getProtoDescriptor()).isEqualTo("/etc/envoy/trellis.binpb");
    assertThat(transcoder.getConvertGrpcStatus()).isTrue();
    assertThat(transcoder.getRequestValidationOptions().getRejectUnknownMethod()).isTrue();
    assertThat(transcoder.getRequestValidationOptions().getRejectUnknownQueryParameters()).isTrue();
    assertThat(transcoder.getPrintOptions().getStreamNewlineDelimited()).isTrue();
    assertThat(transcoder.getPrintOptions().getAlwaysPrintPrimitiveFields()).isFalse();
    assertThat(transcoder.getPrintOptions().getPreserveProtoFieldNames()).isFalse();
    assertThat(transcoder.getMaxRequestBodySize().getValue()).isEqualTo(EdgeSettings.DEFAULT_MAX_BODY_BYTES);
  }

  @Test
  void everyServiceWithRulesHasARouteToItsClusterWithTheEdgesDeadlines() throws Exception {
    Bootstrap bootstrap = bootstrap();
    VirtualHost host = manager(bootstrap).getRouteConfig().getVirtualHosts(0);
    Map<String, Cluster> clusters = bootstrap.getStaticResources().getClustersList().stream()
        .collect(Collectors.toMap(Cluster::getName, c -> c));
    for (ServiceDescriptor service : servicesWithRules()) {
      Route prefix = host.getRoutesList().stream()
          .filter(r -> r.getMatch().getPrefix().equals("/" + service.getFullName() + "/")).findFirst()
          .orElseThrow(() -> new AssertionError("no route for " + service.getFullName()));
      assertThat(prefix.getRoute().getCluster()).isEqualTo(clusterOf(service));
      assertThat(Durations.toMillis(prefix.getRoute().getTimeout())).isEqualTo(EdgeSettings.DEFAULT_DEADLINE.toMillis());
      assertThat(Durations.toMillis(prefix.getRoute().getMaxStreamDuration().getGrpcTimeoutHeaderMax()))
          .isEqualTo(EdgeSettings.DEFAULT_STREAM_DEADLINE.toMillis());
      Cluster cluster = clusters.get(clusterOf(service));
      assertThat(cluster).as("cluster %s", clusterOf(service)).isNotNull();
      HttpProtocolOptions options = cluster.getTypedExtensionProtocolOptionsOrThrow(
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions").unpack(HttpProtocolOptions.class);
      assertThat(options.getExplicitHttpConfig().hasHttp2ProtocolOptions()).as("gRPC needs HTTP/2").isTrue();
      assertThat(cluster.getHealthChecks(0).getGrpcHealthCheck().getServiceName())
          .startsWith(service.getFile().getPackage() + ".");
      for (MethodDescriptor method : service.getMethods()) {
        if (method.isServerStreaming() && HttpRules.hasRule(method)) {
          String path = "/" + service.getFullName() + "/" + method.getName();
          int streamAt = indexOf(host, r -> r.getMatch().getPath().equals(path));
          assertThat(streamAt).as("a route for the stream %s", path).isNotNegative();
          assertThat(streamAt).as("before the service's prefix route").isLessThan(indexOf(host, prefix::equals));
          Route stream = host.getRoutes(streamAt);
          assertThat(stream.getRoute().getCluster()).isEqualTo(clusterOf(service));
          assertThat(Durations.toMillis(stream.getRoute().getTimeout()))
              .isEqualTo(EdgeSettings.DEFAULT_STREAM_DEADLINE.toMillis());
        }
      }
    }
    Set<String> routed = host.getRoutesList().stream().map(r -> r.getRoute().getCluster())
        .collect(Collectors.toSet());
    assertThat(clusters.keySet()).as("no cluster without a route").isEqualTo(routed);
  }

  @Test
  void theClustersAreTheKubernetesServicesOnTheMeshPorts() throws Exception {
    Map<String, Integer> ports = Map.of("user-service", 50051, "order-service", 50052);
    for (Cluster cluster : bootstrap().getStaticResources().getClustersList()) {
      var address = cluster.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
          .getSocketAddress();
      assertThat(address.getAddress()).isEqualTo(cluster.getName());
      assertThat(address.getPortValue()).isEqualTo(ports.get(cluster.getName()));
      assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    }
  }

  private static int indexOf(VirtualHost host, java.util.function.Predicate<Route> test) {
    for (int i = 0; i < host.getRoutesCount(); i++) {
      if (test.test(host.getRoutes(i))) {
        return i;
      }
    }
    return -1;
  }
}
