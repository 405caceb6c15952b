package dev.trellis.edge.route;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the route of a request: method and path against every template, the way Envoy's path matcher does. Of the
 * templates that match, the one whose segments are most specific wins, literal before {@code *} before
 * {@code **}, segment by segment from the left. A trailing {@code :verb} is taken off the path only when some
 * template has that verb, so an id such as {@code 12:34} still reaches a {@code {id}} variable.
 */
public final class RouteTable {
  /** The outcome of a lookup. */
  public sealed interface Lookup {}

  /** The route and its path bindings (field path to decoded value). */
  public record Found(Route route, Map<String, String> bindings) implements Lookup {}

  /** Some route has this path, none this method: answer 405 with these methods in Allow. */
  public record WrongMethod(Set<String> allowed) implements Lookup {}

  /** No route has this path. */
  public record NotFound() implements Lookup {}

  private static final NotFound NOT_FOUND = new NotFound();

  private final List<Route> routes;
  private final Set<String> verbs = new HashSet<>();

  public RouteTable(List<Route> routes) {
    List<Route> sorted = new ArrayList<>(requireNonNull(routes, "routes"));
    sorted.sort(Comparator.comparing(Route::template, RouteTable::bySpecificity));
    this.routes = List.copyOf(sorted);
    for (Route route : routes) {
      if (route.template().verb() != null) {
        verbs.add(route.template().verb());
      }
    }
    checkNoDuplicates();
  }

  public List<Route> routes() {
    return routes;
  }

  /** Looks up {@code path} (the request target without its query, still percent-encoded). */
  public Lookup find(String httpMethod, String path) {
    if (path.isEmpty() || path.charAt(0) != '/') {
      return NOT_FOUND;
    }
    List<String> segments = new ArrayList<>(List.of(path.substring(1).split("/", -1)));
    String verb = null;
    String last = segments.get(segments.size() - 1);
    int colon = last.lastIndexOf(':');
    if (colon >= 0 && verbs.contains(last.substring(colon + 1))) {
      verb = last.substring(colon + 1);
      segments.set(segments.size() - 1, last.substring(0, colon));
    }
    Set<String> allowed = null;
    for (Route route : routes) {
      Optional<Map<String, String>> bindings = route.template().match(segments, verb);
      if (bindings.isEmpty()) {
        continue;
      }
      if (route.httpMethod().equals(httpMethod)) {
        return new Found(route, bindings.get());
      }
      if (allowed == null) {
        allowed = new TreeSet<>();
      }
      allowed.add(route.httpMethod());
    }
    return allowed == null ? NOT_FOUND : new WrongMethod(allowed);
  }

  /** Two RPCs on the same method and template would make one of them unreachable: refuse at start. */
  private void checkNoDuplicates() {
    Set<String> seen = new HashSet<>();
    for (Route route : routes) {
      String key = route.httpMethod() + " " + route.template().openApiPath();
      if (!seen.add(key)) {
        throw new IllegalArgumentException("two http rules map " + key + " (one is " + route.grpcMethodName() + ")");
      }
    }
  }

  private static int bySpecificity(PathTemplate a, PathTemplate b) {
    List<PathTemplate.Segment> x = a.segments();
    List<PathTemplate.Segment> y = b.segments();
    for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
      int kind = x.get(i).kind().compareTo(y.get(i).kind());
      if (kind != 0) {
        return kind;
      }
    }
    return Integer.compare(x.size(), y.size());
  }
}
