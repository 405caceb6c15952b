package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import dev.trellis.platform.config.ConfigException;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * A block of IP addresses such as {@code 10.0.0.0/8} or a single address: where the trusted proxies are.
 * Parsing never looks up DNS.
 */
public final class CidrBlock {
  private final byte[] network;
  private final int prefixLength;

  private CidrBlock(byte[] network, int prefixLength) {
    this.network = network;
    this.prefixLength = prefixLength;
  }

  /** Parses {@code address/prefix} or a bare address (a block of one); a bad value names {@code variable}. */
  public static CidrBlock parse(String variable, String text) {
    requireNonNull(variable, "variable");
    String value = requireNonNull(text, "text").trim();
    int slash = value.indexOf('/');
    String address = slash < 0 ? value : value.substring(0, slash);
    if (!InetAddresses.isInetAddress(address)) {
      throw new ConfigException(variable + " must list IP addresses or CIDR blocks such as 10.0.0.0/8, got '"
          + text + "'");
    }
    byte[] bytes = InetAddresses.forString(address).getAddress();
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(value.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new ConfigException(variable + ": the prefix length in '" + text + "' must be between 0 and " + bits);
      }
    }
    return new CidrBlock(bytes, prefix);
  }

  public boolean contains(InetAddress address) {
    byte[] candidate = address.getAddress();
    if (candidate.length != network.length) {
      return false;
    }
    int fullBytes = prefixLength / 8;
    for (int i = 0; i < fullBytes; i++) {
      if (candidate[i] != network[i]) {
        return false;
      }
    }
    int restBits = prefixLength % 8;
    if (restBits == 0) {
      return true;
    }
    int mask = 0xFF << (8 - restBits);
    return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CidrBlock other && prefixLength == other.prefixLength
        && Arrays.equals(network, other.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixLength;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
