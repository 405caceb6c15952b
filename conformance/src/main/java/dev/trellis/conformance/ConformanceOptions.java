package dev.trellis.conformance;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code ./trellis conformance} runs against: the two gRPC targets, the edge when given, and the admin token
 * every call carries (given with {@code --token}, or minted from the local mesh's dev key with {@code --dev}, the
 * default).
 *
 * @param userTarget user-service, {@code HOST:PORT}
 * @param orderTarget order-service, {@code HOST:PORT}
 * @param edge the edge's base URL; the REST cases run only when it is given
 * @param token an admin token of the deployment
 * @param tls whether the gRPC targets speak TLS (plaintext otherwise, as the local mesh and a mesh-internal caller)
 * @param tlsCa PEM certificates of the authorities to trust for the TLS targets instead of the JVM's (a private CA,
 *     as grpcurl's -cacert); only with {@code tls}
 * @param maxMessageBytes the servers' largest accepted request (TRELLIS_GRPC_MAX_MESSAGE_BYTES): very_large_request
 *     sends a little more
 */
public record ConformanceOptions(String userTarget, String orderTarget, Optional<URI> edge, String token, boolean tls,
    Optional<Path> tlsCa, int maxMessageBytes) {
  public static final String USER_TARGET = "TRELLIS_USER_TARGET";
  public static final String ORDER_TARGET = "TRELLIS_ORDER_TARGET";
  public static final String EDGE = "TRELLIS_EDGE";
  public static final String TOKEN = "TRELLIS_TOKEN";
  public static final String DEV = "TRELLIS_DEV";
  public static final String TLS = "TRELLIS_TLS";
  public static final String TLS_CA = "TRELLIS_TLS_CA";
  public static final String MAX_MESSAGE_BYTES = "TRELLIS_GRPC_MAX_MESSAGE_BYTES";
  /** The servers' default limit (platform ServerConfig). */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
  private static final Duration DEV_TOKEN_TTL = Duration.ofHours(1);

  public ConformanceOptions {
    requireNonNull(userTarget, "userTarget");
    requireNonNull(orderTarget, "orderTarget");
    requireNonNull(edge, "edge");
    requireNonNull(token, "token");
    requireNonNull(tlsCa, "tlsCa");
  }

  /**
   * Reads the flags ({@code --user-target}, {@code --order-target}, {@code --edge}, {@code --token} or
   * {@code --dev} with {@code --state-dir}, {@code --tls} and {@code --tls-ca}, {@code --grpc-max-message-bytes}); a
   * wrong value is a
   * {@link ConfigException} naming it.
   */
  public static ConformanceOptions fromSettings(Settings settings) {
    String user = target(settings, USER_TARGET, "127.0.0.1:50051");
    String order = target(settings, ORDER_TARGET, "127.0.0.1:50052");
    Optional<URI> edge = settings.optional(EDGE).map(ConformanceOptions::edgeUrl);
    Optional<String> given = settings.optional(TOKEN).filter(t -> !t.isBlank());
    boolean dev = settings.bool(DEV, false);
    if (given.isPresent() && dev) {
      throw new ConfigException(TOKEN + " (--token) and " + DEV + " (--dev) exclude each other: give one");
    }
    StateDirectory state = StateDirectory.fromSettings(settings);
    String token = given.orElseGet(() -> devToken(state));
    int max = settings.integer(MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGE_BYTES, 1024, Integer.MAX_VALUE - 1024 * 1024);
    boolean tls = settings.bool(TLS, false);
    Optional<Path> tlsCa = settings.optional(TLS_CA).filter(ca -> !ca.isBlank()).map(Path::of);
    if (tlsCa.isPresent() && !tls) {
      throw new ConfigException(TLS_CA + " (--tls-ca) names the authorities of TLS targets: give --tls as well");
    }
    tlsCa.ifPresent(ConformanceOptions::checkCertificates);
    return new ConformanceOptions(user, order, edge, token, tls, tlsCa, max);
  }

  private static String target(Settings settings, String name, String defaultValue) {
    String value = settings.string(name, defaultValue);
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || !value.substring(colon + 1).matches("\\d{1,5}")) {
      throw new ConfigException(name + " must be HOST:PORT, got '" + value + "'");
    }
    return value;
  }

  /** Refuses a file that is not PEM certificates now, not as a failed handshake in every case. */
  private static void checkCertificates(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw new CertificateException("no certificate in it");
      }
    } catch (IOException | CertificateException e) {
      throw new ConfigException(TLS_CA + " (--tls-ca) must be a readable file of PEM certificates, got '" + pem
          + "' (" + e.getMessage() + ")");
    }
  }

  private static URI edgeUrl(String raw) {
    try {
      URI uri = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(EDGE + " must be an http(s) URL such as http://127.0.0.1:8080, got '" + raw + "'");
    }
  }

  /** An admin token signed with the local mesh's dev key (what {@code ./trellis token --role admin} prints). */
  private static String devToken(StateDirectory state) {
    if (!Files.isRegularFile(state.devKeyFile())) {
      throw new ConfigException("no dev key at " + state.devKeyFile() + ": start the local mesh (./trellis up) with"
          + " that --state-dir, or give --token with an admin token of the deployment");
    }
    return DevTokens.create(AuthConfig.dev(state.devKeyFile()), Clock.systemUTC())
        .mint("1", Set.of(Principal.ADMIN), DEV_TOKEN_TTL);
  }
}
