package dev.trellis.order.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.platform.error.FieldViolation;
import dev.trellis.platform.error.InvalidArgumentException;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OrderValidationTest {
  private static final ShippingAddress ADDRESS = new ShippingAddress("Ada", "1 Way", "", "Berlin", "10115", "DE");
  private static final List<OrderItem> ONE = List.of(new OrderItem("mug-classic", 2));

  @Test
  void aValidOrderTakesItsKeyFromRequestIdOrElseTheMetadata() {
    NewOrder fromField = OrderValidation.newOrder(7, ONE, "tok_visa", Optional.of(ADDRESS), "k1", Optional.empty());
    NewOrder fromMetadata = OrderValidation.newOrder(7, ONE, "tok_visa", Optional.of(ADDRESS), "", Optional.of("k2"));
    NewOrder both = OrderValidation.newOrder(7, ONE, "tok_visa", Optional.of(ADDRESS), "k3", Optional.of("k3"));

    assertThat(fromField.idempotencyKey()).isEqualTo("k1");
    assertThat(fromMetadata.idempotencyKey()).isEqualTo("k2");
    assertThat(both.idempotencyKey()).isEqualTo("k3");
    assertThat(fromField.skus()).containsExactly("mug-classic");
  }

  @Test
  void everyBadFieldIsReportedAtOnce() {
    List<OrderItem> items = List.of(new OrderItem("ok", 1), new OrderItem("ok", 1001), new OrderItem("", 1));
    ShippingAddress address = new ShippingAddress(" ", "x".repeat(201), "", "Berlin\n", "1".repeat(21), "Deu");

    assertThat(fields(() -> OrderValidation.newOrder(0, items, "", Optional.of(address), "has space",
        Optional.empty()))).containsExactly(
        "user_id", "items[1].sku", "items[1].quantity", "items[2].sku", "payment_token",
        "shipping_address.recipient", "shipping_address.line1", "shipping_address.city",
        "shipping_address.postal_code", "shipping_address.country_code", "request_id");
  }

  @Test
  void itemsAndAddressAndKeyAreRequired() {
    assertThat(fields(() -> OrderValidation.newOrder(7, List.of(), "tok", Optional.empty(), "", Optional.empty())))
        .containsExactly("items", "shipping_address", "request_id");
    assertThat(fields(() -> OrderValidation.newOrder(7, Collections.nCopies(101, new OrderItem("a", 1)), "tok",
        Optional.of(ADDRESS), "k", Optional.empty()))).containsExactly("items");
  }

  @Test
  void textTheDatabaseCannotKeepIsRefusedByName() {
    ShippingAddress address = new ShippingAddress("Ada\u0000", "1 Way\uD800", "", "Berlin", "", "DE");

    InvalidArgumentException e = catchThrowableOfType(InvalidArgumentException.class,
        () -> OrderValidation.newOrder(7, ONE, "tok\uDC00", Optional.of(address), "k", Optional.empty()));
    assertThat(e.violations()).extracting(FieldViolation::field)
        .containsExactly("payment_token", "shipping_address.recipient", "shipping_address.line1");
    assertThat(e.violations().get(1).description()).contains("NUL");
    assertThat(fields(() -> OrderValidation.reason("changed\u0000"))).containsExactly("reason");
  }

  @Test
  void aRepeatedSkuIsNamedOnlyWhenItIsAValidOne() {
    List<OrderItem> items = List.of(new OrderItem("a", 1), new OrderItem("a", 1),
        new OrderItem("b/".repeat(1000), 1), new OrderItem("b/".repeat(1000), 1));

    InvalidArgumentException e = catchThrowableOfType(InvalidArgumentException.class,
        () -> OrderValidation.newOrder(7, items, "tok", Optional.of(ADDRESS), "k", Optional.empty()));
    assertThat(e.violations()).extracting(FieldViolation::field)
        .containsExactly("items[1].sku", "items[2].sku", "items[3].sku");
    assertThat(e.violations()).allSatisfy(v -> assertThat(v.description()).hasSizeLessThan(80));
  }

  @Test
  void twoDifferentKeysAreRefusedOnRequestId() {
    InvalidArgumentException e = catchThrowableOfType(InvalidArgumentException.class,
        () -> OrderValidation.newOrder(7, ONE, "tok", Optional.of(ADDRESS), "a", Optional.of("b")));

    assertThat(e.violations()).containsExactly(
        new FieldViolation("request_id", "differs from the idempotency-key metadata; send one key"));
  }

  @Test
  void aBadMetadataKeyIsNamedAsTheMetadata() {
    assertThat(fields(() -> OrderValidation.newOrder(7, ONE, "tok", Optional.of(ADDRESS), "",
        Optional.of("x".repeat(129))))).containsExactly("idempotency-key");
  }

  @Test
  void pageSizesReasonsAndStock() {
    assertThat(OrderValidation.pageSize(0)).isEqualTo(50);
    assertThat(OrderValidation.pageSize(1000)).isEqualTo(1000);
    assertThat(fields(() -> OrderValidation.pageSize(1001))).containsExactly("page_size");
    assertThat(fields(() -> OrderValidation.reason("x".repeat(201)))).containsExactly("reason");
    assertThat(fields(() -> OrderValidation.stock("a/b", -1, 0))).containsExactly("sku", "available");
    // Bounded above too: an order total or a stock count past a bigint would fail on arithmetic, not on input.
    assertThat(fields(() -> OrderValidation.stock("mug", Long.MAX_VALUE, 1L << 62)))
        .containsExactly("available", "unit_price_cents");
    OrderValidation.stock("mug", OrderValidation.MAX_AVAILABLE, OrderValidation.MAX_UNIT_PRICE_CENTS);
    assertThat(fields(() -> OrderValidation.id("id", -3))).containsExactly("id");
  }

  private static List<String> fields(Runnable check) {
    return catchThrowableOfType(InvalidArgumentException.class, check::run).violations().stream()
        .map(FieldViolation::field).toList();
  }
}
