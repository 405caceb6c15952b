package dev.trellis.order.rules;

import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.validation.Violations;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What valid order and stock requests look like. Every check reports all bad fields at once (one BadRequest with
 * several violations, {@link Violations}), named as in the request ({@code items[2].quantity},
 * {@code shipping_address.city}). Lengths count characters (code points); every text must be storable
 * ({@link dev.trellis.platform.validation.StorableText}) and free of control characters.
 */
public final class OrderValidation {
  public static final int MAX_ITEMS = 100;
  public static final int MAX_QUANTITY = 1000;
  /**
   * Bounds on SetStock: with them, no order total (500 lines of at most 1,000 units) and no stock count (released
   * units added back) can overflow a bigint, which would fail an order, or a saga's compensation, on arithmetic.
   */
  public static final long MAX_AVAILABLE = 1_000_000_000_000L;
  public static final long MAX_UNIT_PRICE_CENTS = 1_000_000_000L;
  public static final int MAX_TOKEN_LENGTH = 256;
  public static final int MAX_KEY_LENGTH = 128;
  public static final int MAX_REASON_LENGTH = 200;
  public static final int MAX_PAGE_SIZE = 1000;
  public static final int DEFAULT_PAGE_SIZE = 50;
  /** SKUs are shard keys and path segments of the REST routes: a plain alphabet. */
  private static final Pattern SKU = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");
  /** Printable ASCII without spaces: keys travel in metadata (REST's Idempotency-Key header). */
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7E]{1," + MAX_KEY_LENGTH + "}");

  private OrderValidation() {}

  /**
   * Checks a CreateOrder request; the idempotency key is {@code requestId}, or the metadata key when that is empty.
   *
   * @param address empty when the request has none
   */
  public static NewOrder newOrder(long userId, List<OrderItem> items, String paymentToken,
      Optional<ShippingAddress> address, String requestId, Optional<String> metadataKey) {
    Violations violations = new Violations();
    checkId("user_id", userId, violations);
    checkItems(items, violations);
    violations.text("payment_token", paymentToken, true, MAX_TOKEN_LENGTH);
    if (address.isEmpty()) {
      violations.add("shipping_address", "is required");
    } else {
      checkAddress(address.get(), violations);
    }
    String key = idempotencyKey(requestId, metadataKey, violations);
    violations.throwIfAny();
    return new NewOrder(userId, items, paymentToken, address.orElseThrow(), key);
  }

  /** Ids are positive; 0 is "not set" in proto3. */
  public static void id(String field, long id) {
    Violations violations = new Violations();
    checkId(field, id, violations);
    violations.throwIfAny();
  }

  /** The page size to use: the default for 0, else 1 to 1000. */
  public static int pageSize(int pageSize) {
    if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw InvalidArgumentException.of("page_size", "must be between 0 and " + MAX_PAGE_SIZE + ", got " + pageSize);
    }
    return pageSize == 0 ? DEFAULT_PAGE_SIZE : pageSize;
  }

  /** A cancellation reason: up to 200 characters, no control characters; empty is allowed. */
  public static void reason(String reason) {
    Violations violations = new Violations();
    violations.text("reason", reason, false, MAX_REASON_LENGTH);
    violations.throwIfAny();
  }

  /** A SKU named in a request. */
  public static void sku(String field, String sku) {
    Violations violations = new Violations();
    checkSku(field, sku, violations);
    violations.throwIfAny();
  }

  /** A SetStock request: a valid SKU, and a count and a price within their bounds. */
  public static void stock(String sku, long available, long unitPriceCents) {
    Violations violations = new Violations();
    checkSku("sku", sku, violations);
    if (available < 0 || available > MAX_AVAILABLE) {
      violations.add("available", "must be between 0 and " + MAX_AVAILABLE + ", got " + available);
    }
    if (unitPriceCents < 0 || unitPriceCents > MAX_UNIT_PRICE_CENTS) {
      violations.add("unit_price_cents", "must be between 0 and " + MAX_UNIT_PRICE_CENTS + ", got "
          + unitPriceCents);
    }
    violations.throwIfAny();
  }

  private static String idempotencyKey(String requestId, Optional<String> metadataKey, Violations violations) {
    if (requestId.isEmpty() && metadataKey.isEmpty()) {
      violations.add("request_id", "is required (or the idempotency-key metadata)");
      return "";
    }
    if (!requestId.isEmpty() && metadataKey.isPresent() && !metadataKey.get().equals(requestId)) {
      violations.add("request_id", "differs from the idempotency-key metadata; send one key");
      return "";
    }
    String key = requestId.isEmpty() ? metadataKey.get() : requestId;
    if (!KEY.matcher(key).matches()) {
      violations.add(requestId.isEmpty() ? "idempotency-key" : "request_id",
          "must be 1 to " + MAX_KEY_LENGTH + " printable ASCII characters without spaces (a UUID is good)");
    }
    return key;
  }

  private static void checkItems(List<OrderItem> items, Violations violations) {
    if (items.isEmpty()) {
      violations.add("items", "must hold at least one line");
      return;
    }
    if (!violations.size("items", items, MAX_ITEMS)) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      OrderItem item = items.get(i);
      String field = "items[" + i + "]";
      boolean valid = checkSku(field + ".sku", item.sku(), violations);
      if (valid && !seen.add(item.sku())) {
        violations.add(field + ".sku", "repeats " + item.sku() + "; order each SKU once");
      }
      if (item.quantity() < 1 || item.quantity() > MAX_QUANTITY) {
        violations.add(field + ".quantity",
            "must be between 1 and " + MAX_QUANTITY + ", got " + item.quantity());
      }
    }
  }

  private static void checkAddress(ShippingAddress address, Violations violations) {
    violations.text("shipping_address.recipient", address.recipient(), true, 200);
    violations.text("shipping_address.line1", address.line1(), true, 200);
    violations.text("shipping_address.line2", address.line2(), false, 200);
    violations.text("shipping_address.city", address.city(), true, 100);
    violations.text("shipping_address.postal_code", address.postalCode(), false, 20);
    if (!COUNTRY.matcher(address.countryCode()).matches()) {
      violations.add("shipping_address.country_code", "must be an ISO 3166-1 alpha-2 code such as DE or US");
    }
  }

  private static boolean checkSku(String field, String sku, Violations violations) {
    if (!SKU.matcher(sku).matches()) {
      violations.add(field, "must be 1 to 64 letters, digits, '.', '_' or '-'");
      return false;
    }
    return true;
  }

  private static void checkId(String field, long id, Violations violations) {
    if (id <= 0) {
      violations.add(field, "must be a positive id, got " + id);
    }
  }
}
