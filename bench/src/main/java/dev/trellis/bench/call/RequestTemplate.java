package dev.trellis.bench.call;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request as text with {@code ${name}} placeholders, each replaced by a value drawn from {@link ValuePools}. The
 * value goes in as it is: write the quotes in the template where JSON needs a string, as in
 * {@code {"id":"${user_id}"}} (proto3 JSON takes 64-bit ids as strings).
 */
public final class RequestTemplate {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_.-]*)}");

  private final String text;
  private final List<String> literals = new ArrayList<>();
  private final List<String> names = new ArrayList<>();

  private RequestTemplate(String text) {
    this.text = text;
    Matcher m = PLACEHOLDER.matcher(text);
    int at = 0;
    while (m.find()) {
      literals.add(text.substring(at, m.start()));
      names.add(m.group(1));
      at = m.end();
    }
    literals.add(text.substring(at));
  }

  public static RequestTemplate of(String text) {
    return new RequestTemplate(requireNonNull(text, "text"));
  }

  public String text() {
    return text;
  }

  /** The placeholder names, each once, in order of appearance. */
  public Set<String> placeholders() {
    return new LinkedHashSet<>(names);
  }

  /** Whether every placeholder comes from a pool, so that renderings can be made ahead and reused. */
  public boolean reusable() {
    return names.stream().noneMatch(ValuePools.GENERATORS::contains);
  }

  /** Fails at start, naming the placeholder, when a pool is missing. */
  public void checkAgainst(ValuePools pools) {
    for (String name : names) {
      if (!pools.has(name)) {
        throw new ConfigException("the request '" + text + "' uses ${" + name + "} but there is no pool '" + name
            + "' (give one with --pool " + name + "=...)");
      }
    }
  }

  /** The text with every placeholder replaced by {@code values.apply(name)}. */
  public String render(UnaryOperator<String> values) {
    if (names.isEmpty()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16 * names.size());
    for (int i = 0; i < names.size(); i++) {
      out.append(literals.get(i)).append(values.apply(names.get(i)));
    }
    return out.append(literals.get(names.size())).toString();
  }

  /** A rendering with random pool values and fresh generated ones. */
  public String render(ValuePools pools) {
    return render(pools::draw);
  }
}
