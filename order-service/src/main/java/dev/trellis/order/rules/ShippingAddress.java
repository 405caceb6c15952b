package dev.trellis.order.rules;

import static java.util.Objects.requireNonNull;

/**
 * Where an order is shipped; validated by the rules before it gets here.
 *
 * @param countryCode ISO 3166-1 alpha-2
 */
public record ShippingAddress(String recipient, String line1, String line2, String city, String postalCode,
    String countryCode) {
  public ShippingAddress {
    requireNonNull(recipient, "recipient");
    requireNonNull(line1, "line1");
    requireNonNull(line2, "line2");
    requireNonNull(city, "city");
    requireNonNull(postalCode, "postalCode");
    requireNonNull(countryCode, "countryCode");
  }
}
