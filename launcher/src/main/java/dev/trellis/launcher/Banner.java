package dev.trellis.launcher;

import dev.trellis.platform.config.StateDirectory;
import dev.trellis.platform.server.TrellisEdge;
import dev.trellis.platform.server.TrellisService;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code ./trellis up} prints once every service is SERVING: the endpoints, and commands that work as printed
 * on a fresh clone (they need nothing but this launcher), with the flags this mesh needs when its state directory
 * or a port is not the default; then REST through each edge with curl and the printed token.
 */
final class Banner {
  /** The banner's last line: the mesh is ready when it has been printed. */
  static final String LAST_LINE = "Ctrl-C stops everything; the data stays for the next ./trellis up.";

  private Banner() {}

  static String text(String ready, Duration startup, LocalMeshSettings mesh, List<TrellisService> services,
      List<TrellisEdge> edges, int shards, String shardPorts, String adminToken, Duration tokenTtl) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%n%s in %.1f s (state in %s, logs in %s)%n%n", ready,
        startup.toMillis() / 1000.0, mesh.state().root(), mesh.state().logs()));
    for (TrellisService service : services) {
      b.append(String.format(Locale.ROOT, "  %-14s 127.0.0.1:%d   gRPC with reflection and grpc.health.v1%n",
          service.name(), mesh.port(service.name())));
    }
    for (TrellisEdge edge : edges) {
      String url = url(mesh, edge);
      b.append(String.format(Locale.ROOT,
          "  %-14s %s   REST (JSON, NDJSON streams) and gRPC-Web; API at %s/openapi.json%n", edge.name(), url, url));
    }
    b.append(String.format(Locale.ROOT, "  %-14s %d embedded PostgreSQL servers on 127.0.0.1, ports %s%n%n", "shards",
        shards, shardPorts));
    Optional<String> serviceCaller = DevTokenRequest.declaredServiceCaller();
    b.append("Try it (./trellis call speaks gRPC through server reflection, with a dev token of the role you ask for:\n"
        + "--role admin by default, --role user --sub ID, --role service"
        + serviceCaller.map(name -> " as " + name + " unless --sub NAME").orElse(" --sub NAME") + "):\n");
    for (TrellisService service : services) {
      b.append("  ").append(call(mesh, service)).append("   # lists its methods\n");
      if (service.name().equals("user-service")) {
        String users = call(mesh, service) + "/";
        b.append("  ").append(users).append("CreateUser '{\"email\":\"ada@example.com\",\"name\":\"Ada Lovelace\"}'\n");
        b.append("  ").append(users).append("GetUser '{\"id\":\"<id from above>\"}'\n");
        serviceCaller.ifPresent(name -> b.append("  ").append(call(mesh, service, "--role service"))
            .append("/GetUser '{\"id\":\"<id from above>\"}'   # as ").append(name).append(", which may read users\n"));
        b.append("  ").append(users).append("ListUsers '{\"page_size\":10}'\n");
      }
      if (service.name().equals("order-service")) {
        // The demo catalog's mug, for the user made above; the simulators' tokens and country XX fail on purpose.
        String orders = call(mesh, service) + "/";
        b.append("  ").append(orders).append("CreateOrder '{\"user_id\":\"<id from CreateUser>\",\"items\":[{\"sku\":"
            + "\"mug-classic\",\"quantity\":2}],\"payment_token\":\"tok_visa\",\"request_id\":\"demo-order-1\","
            + "\"shipping_address\":{\"recipient\":\"Ada Lovelace\",\"line1\":\"12 St James Square\",\"city\":"
            + "\"London\",\"country_code\":\"GB\"}}'\n");
        b.append("  ").append(orders).append("WatchOrder '{\"id\":\"<order id from above>\"}'   # Ctrl-C to stop\n");
        b.append("  ").append(orders).append("GetStock '{\"sku\":\"mug-classic\"}'\n");
      }
    }
    b.append(String.format(Locale.ROOT, "%nAn admin token for other gRPC clients (grpcurl, buf curl, grpc-js; valid %d h;"
        + " more with ./trellis token --sub ID --role user|admin|service):%n  export TOKEN=%s%n%n",
        tokenTtl.toHours(), adminToken));
    boolean users = services.stream().anyMatch(service -> service.name().equals("user-service"));
    for (TrellisEdge edge : users ? edges : List.<TrellisEdge>of()) {
      String url = url(mesh, edge);
      String auth = "curl -s -H \"Authorization: Bearer $TOKEN\" ";
      b.append("REST through ").append(edge.name()).append(" (curl, with the token above):\n");
      b.append("  ").append(auth).append("-H 'Content-Type: application/json' ")
          .append("-d '{\"email\":\"grace@example.com\",\"name\":\"Grace Hopper\"}' ").append(url).append("/v1/users\n");
      b.append("  ").append(auth).append(url).append("/v1/users/<id from above>\n");
      b.append("  ").append(auth.replace("curl -s ", "curl -sN ")).append('\'').append(url)
          .append("/v1/users?page_size=10'\n\n");
    }
    return b.append(LAST_LINE).append('\n').toString();
  }

  private static String url(LocalMeshSettings mesh, TrellisEdge edge) {
    return "http://127.0.0.1:" + mesh.port(edge.name());
  }

  /** {@code ./trellis call SERVICE}, with --state-dir and --target when this mesh does not run on the defaults. */
  static String call(LocalMeshSettings mesh, TrellisService service) {
    return call(mesh, service, "");
  }

  /** The same with {@code flags} (as {@code --role service}) after the command. */
  static String call(LocalMeshSettings mesh, TrellisService service, String flags) {
    StringBuilder command = new StringBuilder("./trellis call");
    if (!flags.isEmpty()) {
      command.append(' ').append(flags);
    }
    if (!mesh.state().equals(new StateDirectory(StateDirectory.DEFAULT))) {
      command.append(" --state-dir ").append(mesh.state().root());
    }
    int port = mesh.port(service.name());
    if (port != service.defaultPort()) {
      command.append(" --target 127.0.0.1:").append(port);
    }
    return command.append(' ').append(service.name()).toString();
  }
}
