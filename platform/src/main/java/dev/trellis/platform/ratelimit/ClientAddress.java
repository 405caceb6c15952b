package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import io.grpc.Metadata;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Which client a call comes from, as far as the peer rate limit is concerned. Normally the TCP peer. When the TCP
 * peer is a trusted proxy (the edge, a sidecar), the client is the right-most {@code x-forwarded-for} entry that
 * is not itself a trusted proxy: entries further left were written by the client and could be anything. The
 * header is ignored from any other peer, so a client cannot pick its own bucket.
 */
public final class ClientAddress {
  public static final Metadata.Key<String> FORWARDED_FOR =
      Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER);

  private final List<CidrBlock> trustedProxies;

  public ClientAddress(List<CidrBlock> trustedProxies) {
    this.trustedProxies = List.copyOf(requireNonNull(trustedProxies, "trustedProxies"));
  }

  /**
   * The client's address, or null when the peer has no IP address (in-process transport). An InetAddress rather
   * than text: it is a bucket key on every call, and equal addresses are equal keys without formatting them.
   */
  public InetAddress of(SocketAddress remote, Iterable<String> forwardedFor) {
    if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return null;
    }
    InetAddress peer = inet.getAddress();
    if (forwardedFor == null || !isTrusted(peer)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String header : forwardedFor) {
      for (String hop : header.split(",")) {
        hops.add(hop.trim());
      }
    }
    InetAddress client = peer;
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = withoutPort(hops.get(i));
      if (!InetAddresses.isInetAddress(hop)) {
        break; // not written by a proxy we trust; the last trusted hop is the best we know
      }
      client = InetAddresses.forString(hop);
      if (!isTrusted(client)) {
        break;
      }
    }
    return client;
  }

  /** Some proxies write {@code 203.0.113.7:41234} or {@code [2001:db8::1]:41234}; the address is what counts. */
  static String withoutPort(String hop) {
    if (hop.startsWith("[")) {
      int close = hop.indexOf(']');
      return close > 0 ? hop.substring(1, close) : hop;
    }
    int colon = hop.indexOf(':');
    return colon > 0 && colon == hop.lastIndexOf(':') ? hop.substring(0, colon) : hop;
  }

  private boolean isTrusted(InetAddress address) {
    for (CidrBlock block : trustedProxies) {
      if (block.contains(address)) {
        return true;
      }
    }
    return false;
  }
}
