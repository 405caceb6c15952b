package dev.trellis.platform.auth;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A service's identity as proven by the mesh: in clusters, services do not send tokens to each other; the sidecars
 * authenticate each other with mTLS, and the receiving sidecar appends the caller's certificate identity to
 * {@code x-forwarded-client-cert} (Envoy's XFCC header). The last element is the one our own sidecar appended;
 * elements before it came from further away and are not trusted. Its {@code URI} is the caller's SPIFFE id,
 * {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}; a trusted service account becomes the
 * principal (sub = service account, roles = [service]).
 *
 * <p>Only used when mesh mode is configured: without a sidecar in front, anyone could send this header.
 */
public final class MeshIdentity {
  public static final Metadata.Key<String> CLIENT_CERT_HEADER =
      Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER);

  private final String trustDomain;
  private final Set<String> serviceAccounts;

  /**
   * @param serviceAccounts trusted service accounts: {@code name} (in any namespace) or {@code namespace/name}
   */
  public MeshIdentity(String trustDomain, Set<String> serviceAccounts) {
    this.trustDomain = requireNonNull(trustDomain, "trustDomain");
    this.serviceAccounts = Set.copyOf(requireNonNull(serviceAccounts, "serviceAccounts"));
  }

  /** The service principal the headers prove, if they carry a client certificate of a trusted account. */
  public Optional<Principal> principalOf(Metadata headers) {
    requireNonNull(headers, "headers");
    Iterable<String> values = headers.getAll(CLIENT_CERT_HEADER);
    if (values == null) {
      return Optional.empty();
    }
    String last = null;
    for (String value : values) {
      last = value;
    }
    List<String> elements = splitOutsideQuotes(last, ',');
    if (elements.isEmpty()) {
      return Optional.empty();
    }
    for (String pair : splitOutsideQuotes(elements.getLast(), ';')) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("uri")) {
        Optional<Principal> principal = fromSpiffeId(unquote(pair.substring(eq + 1).trim()));
        if (principal.isPresent()) {
          return principal;
        }
      }
    }
    return Optional.empty();
  }

  private Optional<Principal> fromSpiffeId(String uri) {
    String prefix = "spiffe://" + trustDomain + "/";
    if (!uri.startsWith(prefix)) {
      return Optional.empty();
    }
    String[] path = uri.substring(prefix.length()).split("/", -1);
    if (path.length != 4 || !path[0].equals("ns") || !path[2].equals("sa")
        || path[1].isEmpty() || path[3].isEmpty()) {
      return Optional.empty();
    }
    String namespace = path[1];
    String account = path[3];
    if (serviceAccounts.contains(account) || serviceAccounts.contains(namespace + "/" + account)) {
      return Optional.of(new Principal(account, Set.of(Principal.SERVICE)));
    }
    return Optional.empty();
  }

  /** Splits on {@code separator} where it is not inside double quotes (a Subject="CN=a,O=b" stays whole). */
  private static List<String> splitOutsideQuotes(String text, char separator) {
    List<String> parts = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && quoted && i + 1 < text.length()) {
        part.append(c).append(text.charAt(++i));
      } else if (c == '"') {
        quoted = !quoted;
        part.append(c);
      } else if (c == separator && !quoted) {
        parts.add(part.toString());
        part.setLength(0);
      } else {
        part.append(c);
      }
    }
    if (!part.isEmpty() || !parts.isEmpty()) {
      parts.add(part.toString());
    }
    return parts;
  }

  private static String unquote(String value) {
    return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
        ? value.substring(1, value.length() - 1)
        : value;
  }
}
