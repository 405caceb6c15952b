package dev.trellis.platform.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressTest {
  private final ClientAddress address = new ClientAddress(List.of(
      CidrBlock.parse("test", "10.0.0.0/8"), CidrBlock.parse("test", "192.168.1.1")));

  @Test
  void withoutProxiesTheTcpPeerIsTheClient() {
    assertThat(of(peer("198.51.100.9"), List.of("1.2.3.4"))).isEqualTo("198.51.100.9");
    assertThat(of(peer("198.51.100.9"), null)).isEqualTo("198.51.100.9");
  }

  @Test
  void aPeerWithoutAnIpAddressHasNone() {
    assertThat(address.of(new io.grpc.inprocess.InProcessSocketAddress("test"), List.of("1.2.3.4"))).isNull();
  }

  @Test
  void theRightMostEntryNotATrustedProxyIsTheClient() {
    // client-written junk, the real client, then a second trusted proxy hop
    assertThat(of(peer("10.1.2.3"), List.of("6.6.6.6, 203.0.113.7, 192.168.1.1")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void repeatedHeadersReadAsOneList() {
    assertThat(of(peer("10.1.2.3"), List.of("6.6.6.6", "203.0.113.7"))).isEqualTo("203.0.113.7");
  }

  @Test
  void garbageStopsTheWalkAtTheLastTrustedHop() {
    assertThat(of(peer("10.1.2.3"), List.of("unknown, 192.168.1.1"))).isEqualTo("192.168.1.1");
    assertThat(of(peer("10.1.2.3"), List.of("not-an-ip"))).isEqualTo("10.1.2.3");
  }

  @Test
  void ipv6Works() {
    ClientAddress v6 = new ClientAddress(List.of(CidrBlock.parse("test", "fd00::/8")));
    assertThat(of(v6, peer("fd00::1"), List.of("2001:db8::5"))).isEqualTo("2001:db8:0:0:0:0:0:5");
  }

  @Test
  void hopsWithPortsCountByTheirAddress() {
    assertThat(of(peer("10.1.2.3"), List.of("203.0.113.7:41234"))).isEqualTo("203.0.113.7");
    assertThat(of(peer("10.1.2.3"), List.of("[2001:db8::5]:41234, 192.168.1.1:80")))
        .isEqualTo("2001:db8:0:0:0:0:0:5");
    assertThat(of(peer("10.1.2.3"), List.of("2001:db8::5"))).as("bare IPv6 has colons but no port")
        .isEqualTo("2001:db8:0:0:0:0:0:5");
  }

  private String of(SocketAddress peer, List<String> forwardedFor) {
    return of(address, peer, forwardedFor);
  }

  private static String of(ClientAddress address, SocketAddress peer, List<String> forwardedFor) {
    return address.of(peer, forwardedFor).getHostAddress();
  }

  private static InetSocketAddress peer(String ip) {
    return new InetSocketAddress(com.google.common.net.InetAddresses.forString(ip), 40000);
  }
}
