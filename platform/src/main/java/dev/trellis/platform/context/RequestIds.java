package dev.trellis.platform.context;

import io.grpc.Metadata;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The request id of a call: the caller's {@code x-request-id} when it is a sane one (so a request can be followed
 * across services), a new one otherwise. Servers echo it; outgoing calls made while serving forward it.
 */
public final class RequestIds {
  public static final Metadata.Key<String> HEADER = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  public static final int MAX_LENGTH = 128;

  private RequestIds() {}

  /** The caller's request id when it is short and made of safe characters, else a new one. */
  public static String reuseOrCreate(String incoming) {
    return incoming != null && isSafe(incoming) ? incoming : newRequestId();
  }

  private static boolean isSafe(String id) {
    if (id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == ':';
      if (!safe) {
        return false;
      }
    }
    return true;
  }

  /**
   * A version-4 UUID from ThreadLocalRandom: request ids must be unique, not unguessable, and
   * UUID.randomUUID() goes through one shared SecureRandom, a point of contention at high call rates.
   */
  private static String newRequestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }
}
