package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rate limits of a server, read once at start.
 *
 * @param peer the limit per client address, checked before auth; empty for none
 * @param trustedProxies the proxies whose {@code x-forwarded-for} names the client
 * @param roles the limit per principal by role; a role without an entry is not limited (service, by default)
 * @param methods extra limits per principal on single methods ({@code package.Service/Method})
 */
public record RateLimitConfig(
    Optional<RateLimit> peer,
    List<CidrBlock> trustedProxies,
    Map<String, RateLimit> roles,
    Map<String, RateLimit> methods) {
  public static final String PEER = "TRELLIS_RATE_LIMIT_PEER";
  public static final String TRUSTED_PROXIES = "TRELLIS_TRUSTED_PROXIES";
  public static final String USER = "TRELLIS_RATE_LIMIT_USER";
  public static final String ADMIN = "TRELLIS_RATE_LIMIT_ADMIN";
  public static final String SERVICE = "TRELLIS_RATE_LIMIT_SERVICE";
  public static final String METHODS = "TRELLIS_RATE_LIMIT_METHODS";

  public RateLimitConfig {
    requireNonNull(peer, "peer");
    trustedProxies = List.copyOf(requireNonNull(trustedProxies, "trustedProxies"));
    roles = Map.copyOf(requireNonNull(roles, "roles"));
    methods = Map.copyOf(requireNonNull(methods, "methods"));
  }

  /** The defaults: 1000/s burst 2000 per address; user 100/s burst 200, admin 1000/s burst 2000, service free. */
  public static RateLimitConfig defaults() {
    return fromSettings(Settings.of(Map.of()));
  }

  /**
   * Reads {@value #PEER}, {@value #TRUSTED_PROXIES} (comma-separated addresses or CIDR blocks), {@value #USER},
   * {@value #ADMIN}, {@value #SERVICE} (each {@code <per second>/<burst>} or {@code off}) and {@value #METHODS}
   * ({@code package.Service/Method=<per second>/<burst>}, comma-separated).
   */
  public static RateLimitConfig fromSettings(Settings settings) {
    Optional<RateLimit> peer = RateLimit.parse(PEER, settings.string(PEER, "1000/2000"));
    List<CidrBlock> proxies = settings.list(TRUSTED_PROXIES).stream()
        .map(block -> CidrBlock.parse(TRUSTED_PROXIES, block))
        .toList();
    Map<String, RateLimit> roles = new HashMap<>();
    RateLimit.parse(USER, settings.string(USER, "100/200")).ifPresent(l -> roles.put(Principal.USER, l));
    RateLimit.parse(ADMIN, settings.string(ADMIN, "1000/2000")).ifPresent(l -> roles.put(Principal.ADMIN, l));
    RateLimit.parse(SERVICE, settings.string(SERVICE, "off")).ifPresent(l -> roles.put(Principal.SERVICE, l));
    Map<String, RateLimit> methods = new HashMap<>();
    for (String entry : settings.list(METHODS)) {
      int eq = entry.indexOf('=');
      String method = eq < 0 ? "" : entry.substring(0, eq).trim();
      if (method.indexOf('/') <= 0 || method.endsWith("/")) {
        throw new ConfigException(METHODS + " entries look like package.Service/Method=10/20, got '" + entry + "'");
      }
      RateLimit.parse(METHODS, entry.substring(eq + 1)).ifPresent(l -> methods.put(method, l));
    }
    return new RateLimitConfig(peer, proxies, roles, methods);
  }

  /**
   * The limit of a principal: the most generous among its roles, or none when one of its roles is not limited
   * (a service calls on behalf of many users, so it is exempt by default). A principal without roles counts as a
   * user.
   */
  public Optional<RateLimit> limitFor(Principal principal) {
    requireNonNull(principal, "principal");
    if (principal.roles().isEmpty()) {
      return Optional.ofNullable(roles.get(Principal.USER));
    }
    RateLimit best = null;
    for (String role : principal.roles()) {
      RateLimit limit = roles.get(role);
      if (limit == null) {
        return Optional.empty();
      }
      if (best == null || limit.isMoreGenerousThan(best)) {
        best = limit;
      }
    }
    return Optional.ofNullable(best);
  }
}
