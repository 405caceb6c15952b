package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import io.grpc.CallCredentials;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * A service's own credentials in local dev mode: a dev token with sub = the service name and role service, minted
 * with the dev key and minted again when three quarters of its life are over, so a call never carries a token about
 * to expire. (In clusters the mesh proves who a service is and calls carry no token.)
 */
public final class ServiceTokenCredentials extends CallCredentials {
  /** How long each minted token lives. */
  public static final Duration DEFAULT_TTL = Duration.ofHours(1);

  private final DevTokens tokens;
  private final String serviceName;
  private final Duration ttl;
  private final Clock clock;
  private volatile Minted current;

  public ServiceTokenCredentials(DevTokens tokens, String serviceName, Duration ttl, Clock clock) {
    this.tokens = requireNonNull(tokens, "tokens");
    this.serviceName = requireNonNull(serviceName, "serviceName");
    this.ttl = requireNonNull(ttl, "ttl");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    applier.apply(BearerToken.headersFor(token()));
  }

  /** The token to send now. */
  String token() {
    Minted minted = current;
    Instant now = clock.instant();
    if (minted == null || !now.isBefore(minted.renewAt())) {
      synchronized (this) {
        minted = current;
        if (minted == null || !now.isBefore(minted.renewAt())) {
          minted = new Minted(tokens.mint(serviceName, Set.of(Principal.SERVICE), ttl),
              now.plus(ttl.multipliedBy(3).dividedBy(4)));
          current = minted;
        }
      }
    }
    return minted.token();
  }

  private record Minted(String token, Instant renewAt) {}
}
