package dev.trellis.conformance;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.order.v1.Stock;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.User;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a conformance run creates in the deployment, all named after one run id so that runs never meet (and a
 * person can find them): users {@code cf-<run>-<n>@conformance.example}, SKUs {@code cf-<run>-<n>}. The deployment
 * keeps them, as it keeps any caller's data.
 */
final class RunData {
  /** The payment simulator's tokens (order-service's PaymentGatewaySimulator): approve, decline, answer after 2 s. */
  static final String PAY_OK = "tok_visa";
  static final String PAY_DECLINED = "tok_decline";
  static final String PAY_SLOW = "tok_slow";

  private static final int IN_FLIGHT = 8;

  final String runId;
  private final MeshClients clients;
  private final AtomicInteger counter = new AtomicInteger();

  RunData(MeshClients clients) {
    this.clients = requireNonNull(clients, "clients");
    this.runId = "cf-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  }

  /** A tag unique in this run, for names a filter can find: {@code cf-1a2b3c4d-7}. */
  String tag() {
    return runId + "-" + counter.incrementAndGet();
  }

  /** A new user's request: its name carries {@code tag}, its email is unique. */
  CreateUserRequest newUserRequest(String tag) {
    String unique = tag();
    return CreateUserRequest.newBuilder().setEmail(unique + "@conformance.example")
        .setName("Conformance " + tag + " " + unique).build();
  }

  /** Creates a user whose name carries {@code tag}. */
  User newUser(String tag) {
    return clients.users().createUser(newUserRequest(tag));
  }

  /** Creates a SKU with {@code available} units at {@code priceCents}; returns its name. */
  String newSku(long available, long priceCents) {
    String sku = tag();
    clients.inventory().setStock(SetStockRequest.newBuilder().setSku(sku).setAvailable(available)
        .setUnitPriceCents(priceCents).build());
    return sku;
  }

  /**
   * Creates {@code count} SKUs of {@code available} units each, priced {@code firstPriceCents}, one cent more, and
   * so on; {@value #IN_FLIGHT} at a time (a shard pool may have few connections). Returns their names in price order.
   */
  List<String> newSkus(int count, long available, long firstPriceCents) {
    List<String> skus = new ArrayList<>();
    List<ListenableFuture<Stock>> set = new ArrayList<>();
    InventoryServiceGrpc.InventoryServiceFutureStub inventory = InventoryServiceGrpc.newFutureStub(clients.order)
        .withCallCredentials(clients.admin)
        .withDeadlineAfter(MeshClients.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    for (int i = 0; i < count; i++) {
      String sku = tag();
      skus.add(sku);
      set.add(inventory.setStock(SetStockRequest.newBuilder().setSku(sku).setAvailable(available)
          .setUnitPriceCents(firstPriceCents + i).build()));
      if (set.size() == IN_FLIGHT || i == count - 1) {
        Futures.getUnchecked(Futures.allAsList(set));
        set.clear();
      }
    }
    return skus;
  }

  /** An order of one unit of each of {@code skus} for {@code user}, with a fresh idempotency key. */
  CreateOrderRequest order(long user, List<String> skus, String paymentToken) {
    CreateOrderRequest.Builder order = CreateOrderRequest.newBuilder().setUserId(user).setPaymentToken(paymentToken)
        .setRequestId(tag() + "-" + Long.toHexString(System.nanoTime()))
        .setShippingAddress(ShippingAddress.newBuilder().setRecipient("Conformance " + runId)
            .setLine1("1 Interop Street").setCity("Testville").setCountryCode("DE"));
    skus.forEach(sku -> order.addItems(LineItem.newBuilder().setSku(sku).setQuantity(1)));
    return order.build();
  }
}
