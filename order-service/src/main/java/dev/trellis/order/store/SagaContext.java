package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jooq.JSONB;

/**
 * What a saga knows: its inputs and each completed step's result, as named string values per entry
 * ({@code {"input": {"payment_token": "tok_visa"}, "process_payment": {"payment_id": "pay_..."}}}), stored as jsonb
 * so that a replica taking the saga over has everything the remaining steps and compensations need.
 */
public final class SagaContext {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Map<String, String>>> TYPE = new TypeReference<>() {};

  private final Map<String, Map<String, String>> entries;

  private SagaContext(Map<String, Map<String, String>> entries) {
    this.entries = entries;
  }

  public static SagaContext empty() {
    return new SagaContext(Map.of());
  }

  /** This context with {@code values} under {@code entry} (replacing what was there). */
  public SagaContext with(String entry, Map<String, String> values) {
    Map<String, Map<String, String>> copy = new LinkedHashMap<>(entries);
    copy.put(requireNonNull(entry, "entry"), Map.copyOf(values));
    return new SagaContext(copy);
  }

  /** A value, if the entry has it. */
  public Optional<String> get(String entry, String name) {
    return Optional.ofNullable(entries.getOrDefault(entry, Map.of()).get(name));
  }

  /** A value that must be there: a saga stored without it is a bug, not a runtime condition. */
  public String require(String entry, String name) {
    return get(entry, name).orElseThrow(
        () -> new IllegalStateException("the saga context has no " + entry + "." + name));
  }

  public Map<String, Map<String, String>> entries() {
    return entries;
  }

  JSONB toJsonb() {
    return json(entries);
  }

  /** One entry as jsonb, to merge into the stored context with {@code ||}. */
  static JSONB entryJsonb(String entry, Map<String, String> values) {
    return json(Map.of(entry, values));
  }

  static SagaContext fromJsonb(JSONB value) {
    try {
      return new SagaContext(Map.copyOf(JSON.readValue(value.data(), TYPE)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored saga context is not valid JSON", e);
    }
  }

  private static JSONB json(Map<String, ? extends Map<String, String>> value) {
    try {
      return JSONB.valueOf(JSON.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SagaContext other && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return "SagaContext" + entries.keySet();
  }
}
