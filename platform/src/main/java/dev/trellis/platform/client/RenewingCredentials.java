package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Executor;

/**
 * Call credentials that send a bearer token and replace it when its time is up: the renewal shared by a service's
 * own credentials, whether it mints its tokens ({@link ServiceTokenCredentials}) or reads them from a mounted file
 * ({@link TokenFileCredentials}). One caller renews while the others keep sending the current token.
 */
abstract sealed class RenewingCredentials extends CallCredentials
    permits ServiceTokenCredentials, TokenFileCredentials {
  private final Clock clock;
  private volatile Token current;

  /** @param first the token to send until {@link Token#renewAt()} */
  RenewingCredentials(Clock clock, Token first) {
    this.clock = requireNonNull(clock, "clock");
    this.current = requireNonNull(first, "first");
  }

  /** The token to send from {@code now} on, and when to renew it; {@code previous} is the one sent so far. */
  abstract Token renew(Token previous, Instant now);

  @Override
  public final void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    applier.apply(BearerToken.headersFor(token()));
  }

  /** The token to send now. */
  final String token() {
    Token token = current;
    Instant now = clock.instant();
    if (now.isBefore(token.renewAt())) {
      return token.value();
    }
    synchronized (this) {
      token = current;
      if (!now.isBefore(token.renewAt())) {
        token = renew(token, now);
        current = token;
      }
    }
    return token.value();
  }

  /** A token and the moment it is to be replaced. */
  record Token(String value, Instant renewAt) {
    Token {
      requireNonNull(value, "value");
      requireNonNull(renewAt, "renewAt");
    }
  }
}
