package dev.trellis.order.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.proto.MethodAccessTable;
import dev.trellis.testing.AccessProbe;
import dev.trellis.testing.AccessProbe.Attempt;
import dev.trellis.testing.ServiceExtension;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Who may call each RPC of the real order-service (OrderService and InventoryService), over Netty with real
 * tokens: every RPC it serves is called with no token, as a user, an admin, each service a contract names
 * (order-service, which no RPC here admits) and a service none names. Each caller gets past the chain's access step
 * exactly when the RPC's declaration names its role or service; the others are refused before the handler
 * (ACCESS_DENIED, or UNAUTHENTICATED without a token). Whose orders a caller may then touch (object-level rules) is
 * OrderQueriesIT's, CancelOrderIT's, OrderStreamsIT's and OrderAccessRulesTest's.
 */
class OrderServiceAccessIT {
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.create();

  private static List<Attempt> attempts;

  @BeforeAll
  static void probe() {
    ServiceExtension orders = fixture.orderService();
    attempts = AccessProbe.callEveryMethod(orders.replica().server(), orders.channel(),
        AccessProbe.callers(fixture.tokens()));
  }

  @Test
  void everyRpcServedAdmitsExactlyTheCallersItsDeclarationNames() {
    List<AccessDeclaration> declared = Stream.of("trellis.order.v1.OrderService", "trellis.order.v1.InventoryService")
        .flatMap(s -> MethodAccessTable.load().ofService(s).stream()).toList();
    assertThat(AccessProbe.problems(attempts, declared)).isEmpty();
  }

  @Test
  void noServiceCallsOrderServiceAndAUserDoesAllButSetStock() {
    assertThat(attempts).filteredOn(a -> a.caller().endsWith("-service")).isNotEmpty()
        .noneMatch(Attempt::passedAccessStep);
    assertThat(attempts).filteredOn(a -> a.method().equals("trellis.order.v1.InventoryService/SetStock")
        && a.passedAccessStep()).extracting(Attempt::caller).containsExactly("admin");
    assertThat(attempts).filteredOn(a -> a.caller().equals("user") && !a.passedAccessStep())
        .extracting(Attempt::method).containsExactly("trellis.order.v1.InventoryService/SetStock");
  }
}
