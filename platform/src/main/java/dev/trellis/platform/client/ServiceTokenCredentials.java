package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * A service's own credentials in local dev mode: a dev token with sub = the service name and role service, minted
 * with the dev key and minted again when three quarters of its life are over, so a call never carries a token about
 * to expire. (In clusters the mesh proves who a service is and calls carry no token.)
 */
public final class ServiceTokenCredentials extends RenewingCredentials {
  /** How long each minted token lives. */
  public static final Duration DEFAULT_TTL = Duration.ofHours(1);

  private final DevTokens tokens;
  private final String serviceName;
  private final Duration ttl;

  public ServiceTokenCredentials(DevTokens tokens, String serviceName, Duration ttl, Clock clock) {
    // A token that is due at once: the first call mints.
    super(clock, new Token("", Instant.MIN));
    this.tokens = requireNonNull(tokens, "tokens");
    this.serviceName = requireNonNull(serviceName, "serviceName");
    this.ttl = requireNonNull(ttl, "ttl");
  }

  @Override
  Token renew(Token previous, Instant now) {
    return new Token(tokens.mint(serviceName, Set.of(Principal.SERVICE), ttl),
        now.plus(ttl.multipliedBy(3).dividedBy(4)));
  }
}
