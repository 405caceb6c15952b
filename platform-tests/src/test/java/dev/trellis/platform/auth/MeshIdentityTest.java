package dev.trellis.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MeshIdentityTest {
  private final MeshIdentity mesh = new MeshIdentity("cluster.local", Set.of("order-service", "ops/cron"));

  @Test
  void trustedServiceAccountBecomesAServicePrincipal() {
    Optional<Principal> principal = mesh.principalOf(xfcc(
        "By=spiffe://cluster.local/ns/trellis/sa/user-service;Hash=abc;"
            + "Subject=\"CN=x,O=y\";URI=spiffe://cluster.local/ns/trellis/sa/order-service"));

    assertThat(principal).contains(new Principal("order-service", Set.of(Principal.SERVICE)));
  }

  @Test
  void onlyTheLastElementCounts() {
    // The first element claims a trusted account, but only our own sidecar's (last) element is trustworthy.
    String header = "URI=spiffe://cluster.local/ns/trellis/sa/order-service,"
        + "By=spiffe://cluster.local/ns/trellis/sa/user-service;URI=spiffe://cluster.local/ns/web/sa/frontend";

    assertThat(mesh.principalOf(xfcc(header))).isEmpty();
  }

  @Test
  void namespaceQualifiedEntriesMatchOnlyThatNamespace() {
    assertThat(mesh.principalOf(xfcc("URI=spiffe://cluster.local/ns/ops/sa/cron"))).isPresent();
    assertThat(mesh.principalOf(xfcc("URI=spiffe://cluster.local/ns/web/sa/cron"))).isEmpty();
  }

  @Test
  void otherTrustDomainsAndMalformedIdsAreIgnored() {
    assertThat(mesh.principalOf(xfcc("URI=spiffe://evil.example/ns/trellis/sa/order-service"))).isEmpty();
    assertThat(mesh.principalOf(xfcc("URI=spiffe://cluster.local/ns/trellis/sa/order-service/extra"))).isEmpty();
    assertThat(mesh.principalOf(xfcc("Hash=abc"))).isEmpty();
    assertThat(mesh.principalOf(new Metadata())).isEmpty();
  }

  @Test
  void quotedCommasDoNotSplitElements() {
    String header = "Subject=\"CN=a,OU=b\";URI=\"spiffe://cluster.local/ns/trellis/sa/order-service\"";

    assertThat(mesh.principalOf(xfcc(header)).map(Principal::subject)).contains("order-service");
  }

  private static Metadata xfcc(String value) {
    Metadata headers = new Metadata();
    headers.put(MeshIdentity.CLIENT_CERT_HEADER, value);
    return headers;
  }
}
