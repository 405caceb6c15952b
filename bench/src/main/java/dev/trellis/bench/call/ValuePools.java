package dev.trellis.bench.call;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The values a request template draws from: named pools filled once at start (the ids of seeded users, a list given
 * on the command line) and a few generators that make a fresh value per call.
 *
 * <ul>
 *   <li>{@code ${pool}}: a value of the pool, uniformly at random
 *   <li>{@code ${seq}}: 1, 2, 3... across the whole run (unique emails for CreateUser)
 *   <li>{@code ${uuid}}: a random UUID
 *   <li>{@code ${random}}: a random non-negative long
 * </ul>
 */
public final class ValuePools {
  /** Generated per call, never pre-rendered. */
  public static final Set<String> GENERATORS = Set.of("seq", "uuid", "random");

  private final Map<String, List<String>> pools;
  private final AtomicLong sequence = new AtomicLong();

  private ValuePools(Map<String, List<String>> pools) {
    this.pools = pools;
  }

  public static ValuePools of(Map<String, List<String>> pools) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    requireNonNull(pools, "pools").forEach((name, values) -> {
      if (GENERATORS.contains(name)) {
        throw new ConfigException("pool name '" + name + "' is reserved for a generator");
      }
      if (values.isEmpty()) {
        throw new ConfigException("pool '" + name + "' is empty");
      }
      copy.put(name, List.copyOf(values));
    });
    return new ValuePools(copy);
  }

  public static ValuePools empty() {
    return new ValuePools(Map.of());
  }

  /** A copy with {@code more} pools added (they win over pools of the same name). */
  public ValuePools with(Map<String, List<String>> more) {
    Map<String, List<String>> merged = new LinkedHashMap<>(pools);
    merged.putAll(more);
    return of(merged);
  }

  /** Whether {@code name} is a pool or a generator. */
  public boolean has(String name) {
    return pools.containsKey(name) || GENERATORS.contains(name);
  }

  public Optional<List<String>> pool(String name) {
    return Optional.ofNullable(pools.get(name));
  }

  public Map<String, Integer> sizes() {
    Map<String, Integer> sizes = new LinkedHashMap<>();
    pools.forEach((name, values) -> sizes.put(name, values.size()));
    return sizes;
  }

  /** A value for {@code name}: a random member of the pool, or a generated one. */
  public String draw(String name) {
    return switch (name) {
      case "seq" -> Long.toString(sequence.incrementAndGet());
      case "uuid" -> UUID.randomUUID().toString();
      case "random" -> Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE));
      default -> {
        List<String> values = pools.get(name);
        if (values == null) {
          throw new ConfigException("no pool named '" + name + "' (give one with --pool " + name + "=...)");
        }
        yield values.get(ThreadLocalRandom.current().nextInt(values.size()));
      }
    };
  }

  /** The first value of {@code name}, for engines that send one request again and again. */
  public String first(String name) {
    List<String> values = pools.get(name);
    return values != null ? values.get(0) : draw(name);
  }
}
