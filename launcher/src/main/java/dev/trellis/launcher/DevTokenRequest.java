package dev.trellis.launcher;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import dev.trellis.proto.MethodAccessTable;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code ./trellis token --sub ID --role ROLE [--ttl 1h] [--state-dir DIR]}: a token signed with the local mesh's
 * dev key (created if missing, kept in the state directory), so the running mesh accepts it. A service token
 * ({@code --role service}) without {@code --sub} is the token of the service the contracts let call
 * ({@link #defaultServiceSubject}), so a developer can call as order-service calls.
 */
record DevTokenRequest(Path devKeyFile, String subject, Set<String> roles, Duration ttl) {
  static final Set<String> ROLES = Set.of(Principal.USER, Principal.ADMIN, Principal.SERVICE);

  static DevTokenRequest fromSettings(Settings settings) {
    Set<String> roles = new LinkedHashSet<>(settings.list("TRELLIS_ROLE"));
    if (roles.isEmpty()) {
      throw new ConfigException("--role is required: user, admin or service (several: --role admin,user)");
    }
    for (String role : roles) {
      if (!ROLES.contains(role)) {
        throw new ConfigException("--role must be user, admin or service, got '" + role + "'");
      }
    }
    String subject = settings.optional("TRELLIS_SUB").orElseGet(() -> {
      if (roles.equals(Set.of(Principal.SERVICE))) {
        return defaultServiceSubject();
      }
      throw new ConfigException("--sub is required: a user id, or a service name");
    });
    Duration ttl = settings.duration("TRELLIS_TTL", Duration.ofHours(1));
    // The mesh refuses a token that lives longer than it accepts: print only one it takes.
    Duration max = settings.duration(AuthConfig.MAX_TOKEN_LIFETIME, AuthConfig.DEFAULT_MAX_TOKEN_LIFETIME);
    if (ttl.isZero() || ttl.compareTo(max) > 0) {
      throw new ConfigException("--ttl must be more than 0 and at most " + AuthConfig.MAX_TOKEN_LIFETIME + " ("
          + max.toHours() + "h, what servers accept), got " + ttl);
    }
    return new DevTokenRequest(StateDirectory.fromSettings(settings).devKeyFile(), subject, roles, ttl);
  }

  /**
   * The subject of a dev service token when none is asked for: the service that the contracts' access declarations
   * let call (order-service, which may read users), read from the declarations so that it follows them.
   *
   * @throws ConfigException when they name several services, or none: then the caller must say which with --sub
   */
  static String defaultServiceSubject() {
    return declaredServiceCaller().orElseThrow(() -> new ConfigException(
        "--sub is required with --role service: a service name (the contracts let "
            + (declaredServiceCallers().isEmpty() ? "no service" : String.join(", ", declaredServiceCallers()))
            + " call)"));
  }

  /** The one service the contracts let call, if they name exactly one. */
  static Optional<String> declaredServiceCaller() {
    List<String> declared = declaredServiceCallers();
    return declared.size() == 1 ? Optional.of(declared.get(0)) : Optional.empty();
  }

  private static List<String> declaredServiceCallers() {
    return MethodAccessTable.load().all().stream().flatMap(d -> d.services().stream()).distinct().toList();
  }

  String mint() {
    return DevTokens.create(AuthConfig.dev(devKeyFile), Clock.systemUTC()).mint(subject, roles, ttl);
  }
}
