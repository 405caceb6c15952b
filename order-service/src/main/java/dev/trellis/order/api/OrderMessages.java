package dev.trellis.order.api;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.order.rules.OrderItem;
import dev.trellis.order.store.OrderLine;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderEvent;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.order.v1.Stock;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;

/** Converts between the API's messages and the store's and rules' types. */
final class OrderMessages {
  private OrderMessages() {}

  static Order toProto(StoredOrder order) {
    Order.Builder proto = Order.newBuilder()
        .setId(order.id())
        .setUserId(order.userId())
        .setTotalCents(order.totalCents())
        .setCurrency(order.currency())
        .setStatus(OrderStatus.valueOf("ORDER_STATUS_" + order.status().name()))
        .setReason(order.reason())
        .setCreatedAt(order.createdAt().getEpochSecond())
        .setUpdatedAt(order.updatedAt().getEpochSecond())
        .setShippingAddress(toProto(order.address()))
        .setPaymentId(order.paymentId())
        .setShipmentId(order.shipmentId());
    for (OrderLine line : order.lines()) {
      proto.addItems(LineItem.newBuilder().setSku(line.sku()).setQuantity(line.quantity())
          .setUnitPriceCents(line.unitPriceCents()));
    }
    return proto.build();
  }

  static OrderEvent toEvent(StoredOrder order) {
    Order proto = toProto(order);
    return OrderEvent.newBuilder()
        .setOrderId(order.id())
        .setStatus(proto.getStatus())
        .setReason(order.reason())
        .setTimestamp(order.updatedAt().toEpochMilli())
        .setOrder(proto)
        .build();
  }

  static Stock toProto(dev.trellis.order.store.Stock stock) {
    return Stock.newBuilder()
        .setSku(stock.sku())
        .setAvailable(stock.available())
        .setReserved(stock.reserved())
        .setSold(stock.sold())
        .setUnitPriceCents(stock.unitPriceCents())
        .build();
  }

  static List<OrderItem> items(CreateOrderRequest request) {
    return request.getItemsList().stream().map(i -> new OrderItem(i.getSku(), i.getQuantity())).toList();
  }

  static Optional<dev.trellis.order.rules.ShippingAddress> address(CreateOrderRequest request) {
    if (!request.hasShippingAddress()) {
      return Optional.empty();
    }
    ShippingAddress a = request.getShippingAddress();
    return Optional.of(new dev.trellis.order.rules.ShippingAddress(a.getRecipient(), a.getLine1(), a.getLine2(),
        a.getCity(), a.getPostalCode(), a.getCountryCode()));
  }

  /**
   * What identifies a CreateOrder request apart from its key: SHA-256 of the request serialized without
   * request_id. The same key with another hash is another request.
   */
  static byte[] requestHash(CreateOrderRequest request) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(request.toBuilder().clearRequestId().build().toByteArray());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A stored client error (a serialized google.rpc.Status), as the call's failure. */
  static StatusRuntimeException toFailure(byte[] status) {
    try {
      return StatusProto.toStatusRuntimeException(com.google.rpc.Status.parseFrom(status));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored error is not a google.rpc.Status", e);
    }
  }

  private static ShippingAddress toProto(dev.trellis.order.rules.ShippingAddress a) {
    return ShippingAddress.newBuilder()
        .setRecipient(a.recipient())
        .setLine1(a.line1())
        .setLine2(a.line2())
        .setCity(a.city())
        .setPostalCode(a.postalCode())
        .setCountryCode(a.countryCode())
        .build();
  }
}
