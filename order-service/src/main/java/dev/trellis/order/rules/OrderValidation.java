package dev.trellis.order.rules;

import dev.trellis.platform.error.FieldViolation;
import dev.trellis.platform.error.InvalidArgumentException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What valid order and stock requests look like. Every check reports all bad fields at once (one BadRequest with
 * several violations), named as in the request ({@code items[2].quantity}, {@code shipping_address.city}).
 * Lengths count characters (code points).
 */
public final class OrderValidation {
  public static final int MAX_ITEMS = 100;
  public static final int MAX_QUANTITY = 1000;
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
    List<FieldViolation> violations = new ArrayList<>();
    checkId("user_id", userId, violations);
    checkItems(items, violations);
    checkText("payment_token", paymentToken, 1, MAX_TOKEN_LENGTH, violations);
    if (address.isEmpty()) {
      violations.add(new FieldViolation("shipping_address", "is required"));
    } else {
      checkAddress(address.get(), violations);
    }
    String key = idempotencyKey(requestId, metadataKey, violations);
    throwIfAny(violations);
    return new NewOrder(userId, items, paymentToken, address.orElseThrow(), key);
  }

  /** Ids are positive; 0 is "not set" in proto3. */
  public static void id(String field, long id) {
    List<FieldViolation> violations = new ArrayList<>();
    checkId(field, id, violations);
    throwIfAny(violations);
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
    List<FieldViolation> violations = new ArrayList<>();
    checkText("reason", reason, 0, MAX_REASON_LENGTH, violations);
    throwIfAny(violations);
  }

  /** A SKU named in a request. */
  public static void sku(String field, String sku) {
    List<FieldViolation> violations = new ArrayList<>();
    checkSku(field, sku, violations);
    throwIfAny(violations);
  }

  /** A SetStock request: a valid SKU, and counts and price of at least 0. */
  public static void stock(String sku, long available, long unitPriceCents) {
    List<FieldViolation> violations = new ArrayList<>();
    checkSku("sku", sku, violations);
    if (available < 0) {
      violations.add(new FieldViolation("available", "must be at least 0, got " + available));
    }
    if (unitPriceCents < 0) {
      violations.add(new FieldViolation("unit_price_cents", "must be at least 0, got " + unitPriceCents));
    }
    throwIfAny(violations);
  }

  private static String idempotencyKey(String requestId, Optional<String> metadataKey,
      List<FieldViolation> violations) {
    if (requestId.isEmpty() && metadataKey.isEmpty()) {
      violations.add(new FieldViolation("request_id", "is required (or the idempotency-key metadata)"));
      return "";
    }
    if (!requestId.isEmpty() && metadataKey.isPresent() && !metadataKey.get().equals(requestId)) {
      violations.add(new FieldViolation("request_id", "differs from the idempotency-key metadata; send one key"));
      return "";
    }
    String key = requestId.isEmpty() ? metadataKey.get() : requestId;
    if (!KEY.matcher(key).matches()) {
      violations.add(new FieldViolation(requestId.isEmpty() ? "idempotency-key" : "request_id",
          "must be 1 to " + MAX_KEY_LENGTH + " printable ASCII characters without spaces (a UUID is good)"));
    }
    return key;
  }

  private static void checkItems(List<OrderItem> items, List<FieldViolation> violations) {
    if (items.isEmpty()) {
      violations.add(new FieldViolation("items", "must hold at least one line"));
      return;
    }
    if (items.size() > MAX_ITEMS) {
      violations.add(new FieldViolation("items", "must hold at most " + MAX_ITEMS + " lines, got " + items.size()));
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      OrderItem item = items.get(i);
      String field = "items[" + i + "]";
      checkSku(field + ".sku", item.sku(), violations);
      if (!seen.add(item.sku())) {
        violations.add(new FieldViolation(field + ".sku", "repeats " + item.sku() + "; order each SKU once"));
      }
      if (item.quantity() < 1 || item.quantity() > MAX_QUANTITY) {
        violations.add(new FieldViolation(field + ".quantity",
            "must be between 1 and " + MAX_QUANTITY + ", got " + item.quantity()));
      }
    }
  }

  private static void checkAddress(ShippingAddress address, List<FieldViolation> violations) {
    checkText("shipping_address.recipient", address.recipient(), 1, 200, violations);
    checkText("shipping_address.line1", address.line1(), 1, 200, violations);
    checkText("shipping_address.line2", address.line2(), 0, 200, violations);
    checkText("shipping_address.city", address.city(), 1, 100, violations);
    checkText("shipping_address.postal_code", address.postalCode(), 0, 20, violations);
    if (!COUNTRY.matcher(address.countryCode()).matches()) {
      violations.add(new FieldViolation("shipping_address.country_code",
          "must be an ISO 3166-1 alpha-2 code such as DE or US, got '" + address.countryCode() + "'"));
    }
  }

  private static void checkSku(String field, String sku, List<FieldViolation> violations) {
    if (!SKU.matcher(sku).matches()) {
      violations.add(new FieldViolation(field, "must be 1 to 64 letters, digits, '.', '_' or '-'"));
    }
  }

  private static void checkId(String field, long id, List<FieldViolation> violations) {
    if (id <= 0) {
      violations.add(new FieldViolation(field, "must be a positive id, got " + id));
    }
  }

  private static void checkText(String field, String value, int min, int max, List<FieldViolation> violations) {
    int length = value.codePointCount(0, value.length());
    if (min > 0 && value.isBlank()) {
      violations.add(new FieldViolation(field, "is required"));
    } else if (length > max) {
      violations.add(new FieldViolation(field, "must be at most " + max + " characters, got " + length));
    } else if (value.codePoints().anyMatch(Character::isISOControl)) {
      violations.add(new FieldViolation(field, "must not contain control characters"));
    }
  }

  private static void throwIfAny(List<FieldViolation> violations) {
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
  }
}
