package dev.trellis.conformance;

import static java.util.Objects.requireNonNull;

import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs the conformance cases against a deployment, one after another, each printed as it ends: the gRPC interop
 * cases mapped onto user-service's and order-service's RPCs, the cases every server answers (health, reflection
 * v1 and v1alpha, unimplemented), and the REST cases when an edge is given.
 */
public final class Conformance {
  private final ConformanceOptions options;
  private final Optional<PoolProbe> pools;

  private Conformance(ConformanceOptions options, Optional<PoolProbe> pools) {
    this.options = options;
    this.pools = pools;
  }

  /** Cases against the deployment of {@code options}, the pools seen from outside only. */
  public static Conformance against(ConformanceOptions options) {
    return new Conformance(requireNonNull(options, "options"), Optional.empty());
  }

  /** The same, with a look inside user-service's pools for the cancel cases. */
  public Conformance withPoolProbe(PoolProbe probe) {
    return new Conformance(options, Optional.of(requireNonNull(probe, "probe")));
  }

  /** Runs every case, printing each result to {@code out} as it ends; returns them all. */
  public List<CaseResult> run(PrintStream out) throws InterruptedException {
    requireNonNull(out, "out");
    List<CaseResult> results = new ArrayList<>();
    try (MeshClients clients = new MeshClients(options); HttpClient http = HttpClient.newHttpClient()) {
      RunData data = new RunData(clients);
      out.println("conformance run " + data.runId + ": user-service " + options.userTarget() + ", order-service "
          + options.orderTarget() + options.edge().map(e -> ", edge " + e).orElse(""));
      List<InteropCase> cases = new ArrayList<>();
      cases.addAll(new ServerCases(UserServiceCases.TARGET, clients.user, clients,
          List.of("trellis.user.v1.UserService")).cases());
      cases.addAll(new ServerCases(OrderServiceCases.TARGET, clients.order, clients,
          List.of("trellis.order.v1.OrderService", "trellis.order.v1.InventoryService")).cases());
      cases.addAll(new UserServiceCases(clients, data, options.maxMessageBytes(), pools).cases());
      cases.addAll(new OrderServiceCases(clients, data).cases());
      options.edge().ifPresent(edge -> cases.addAll(new EdgeCases(edge, options.token(), data, http).cases()));
      for (InteropCase c : cases) {
        CaseResult result = run(c);
        out.println(ResultTable.line(result));
        out.flush();
        results.add(result);
      }
    }
    return results;
  }

  private static CaseResult run(InteropCase c) {
    long started = System.nanoTime();
    boolean passed;
    String note;
    try {
      note = c.body().run();
      passed = true;
    } catch (CaseFailure e) {
      note = e.getMessage();
      passed = false;
    } catch (StatusRuntimeException e) {
      note = "a call ended " + e.getStatus().getCode() + ": " + e.getStatus().getDescription();
      passed = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      note = "interrupted";
      passed = false;
    } catch (Exception e) {
      note = e.toString();
      passed = false;
    }
    return new CaseResult(c.name(), c.rpc(), c.target(), passed, note,
        Duration.ofNanos(System.nanoTime() - started));
  }
}
