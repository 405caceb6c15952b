package dev.trellis.platform.data.filter;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.InvalidArgumentException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.stream.Collectors;
import org.jooq.Condition;
import org.jooq.impl.DSL;

/**
 * The fields a service lets callers filter on, and how each (field, operator) becomes a jOOQ {@link Condition}.
 * The mapping builds conditions from jOOQ fields and the parsed value, so values always travel as bind values and
 * never as SQL text: {@code name : "x' OR 1=1 --"} looks for that odd name, and finds none.
 *
 * <pre>{@code
 * FilterFields fields = FilterFields.builder()
 *     .text("email", Operator.EQUALS, v -> DSL.lower(USERS.EMAIL).eq(v.toLowerCase(Locale.ROOT)))
 *     .number("created_at", Operator.GREATER_OR_EQUAL, s -> USERS.CREATED_AT.ge(toTime(s)))
 *     .build();
 * Condition where = fields.toCondition(FilterParser.parse(request.getFilter()));
 * }</pre>
 */
public final class FilterFields {
  private final Map<String, Map<Operator, Mapping>> fields;

  private FilterFields(Map<String, Map<Operator, Mapping>> fields) {
    this.fields = fields;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The condition of a parsed filter: the AND of its comparisons, or no condition for an empty filter.
   *
   * @throws InvalidArgumentException on field {@code filter} for an unknown field, an operator the field does not
   *     take, or a value of the wrong type
   */
  public Condition toCondition(Filter filter) {
    requireNonNull(filter, "filter");
    List<Condition> conditions = new ArrayList<>();
    for (Comparison c : filter.comparisons()) {
      Map<Operator, Mapping> ops = fields.get(c.field());
      if (ops == null) {
        throw invalid("unknown field '" + c.field() + "'; filterable fields are " + String.join(", ", fields.keySet()));
      }
      Mapping mapping = ops.get(c.operator());
      if (mapping == null) {
        String allowed = ops.keySet().stream().map(Operator::symbol).collect(Collectors.joining(" "));
        throw invalid("field '" + c.field() + "' does not support '" + c.operator().symbol() + "'; use " + allowed);
      }
      conditions.add(mapping.condition(c.field(), c.value()));
    }
    return DSL.and(conditions);
  }

  private static InvalidArgumentException invalid(String description) {
    return InvalidArgumentException.of(FilterParser.FIELD, description);
  }

  private sealed interface Mapping permits TextMapping, NumberMapping {
    Condition condition(String field, FilterValue value);
  }

  private record TextMapping(Function<String, Condition> build) implements Mapping {
    @Override
    public Condition condition(String field, FilterValue value) {
      if (value instanceof FilterValue.Text text) {
        return build.apply(text.value());
      }
      throw invalid("field '" + field + "' takes a quoted string, got " + value.canonical());
    }
  }

  private record NumberMapping(LongFunction<Condition> build) implements Mapping {
    @Override
    public Condition condition(String field, FilterValue value) {
      if (value instanceof FilterValue.Whole whole) {
        return build.apply(whole.value());
      }
      throw invalid("field '" + field + "' takes a whole number, got " + value.canonical());
    }
  }

  /** Declares field by field, operator by operator. */
  public static final class Builder {
    private final Map<String, Map<Operator, Mapping>> fields = new LinkedHashMap<>();

    private Builder() {}

    /** A field compared with a quoted string; {@code condition} gets the unescaped string. */
    public Builder text(String field, Operator operator, Function<String, Condition> condition) {
      return add(field, operator, new TextMapping(requireNonNull(condition, "condition")));
    }

    /** A field compared with a whole number. */
    public Builder number(String field, Operator operator, LongFunction<Condition> condition) {
      return add(field, operator, new NumberMapping(requireNonNull(condition, "condition")));
    }

    private Builder add(String field, Operator operator, Mapping mapping) {
      requireNonNull(field, "field");
      requireNonNull(operator, "operator");
      Map<Operator, Mapping> ops = fields.computeIfAbsent(field, f -> new EnumMap<>(Operator.class));
      if (ops.putIfAbsent(operator, mapping) != null) {
        throw new IllegalArgumentException(field + " " + operator.symbol() + " is declared twice");
      }
      return this;
    }

    public FilterFields build() {
      Map<String, Map<Operator, Mapping>> copy = new LinkedHashMap<>();
      fields.forEach((name, ops) -> copy.put(name, new EnumMap<>(ops)));
      return new FilterFields(copy);
    }
  }
}
