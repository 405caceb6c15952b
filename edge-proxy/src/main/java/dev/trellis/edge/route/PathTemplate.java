package dev.trellis.edge.route;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A google.api.http path template, parsed once, matched against request paths:
 *
 * <pre>
 * Template = "/" Segments [ Verb ] ;
 * Segments = Segment { "/" Segment } ;
 * Segment  = "*" | "**" | LITERAL | Variable ;
 * Variable = "{" FieldPath [ "=" Segments ] "}" ;
 * FieldPath = IDENT { "." IDENT } ;
 * Verb     = ":" LITERAL ;
 * </pre>
 *
 * <p>Matching follows Envoy's path matcher (grpc-httpjson-transcoding): {@code *} takes one segment, {@code **}
 * zero or more up to the verb, and a variable of one segment is fully percent-decoded while a variable of several
 * keeps {@code %2F} encoded, as google/api/http.proto says.
 */
public final class PathTemplate {
  /** The kind of a segment; the order is the match priority (a literal wins over {@code *}, which wins over {@code **}). */
  enum Kind { LITERAL, SINGLE, MULTI }

  record Segment(Kind kind, String literal) {}

  /** A variable: the field path it binds, over segments [start, end) of the template. */
  public record Variable(String fieldPath, int start, int end) {
    boolean singleSegment(List<Segment> segments) {
      return end - start == 1 && segments.get(start).kind() == Kind.SINGLE;
    }
  }

  private final String text;
  private final List<Segment> segments;
  private final List<Variable> variables;
  private final String verb;

  private PathTemplate(String text, List<Segment> segments, List<Variable> variables, String verb) {
    this.text = text;
    this.segments = List.copyOf(segments);
    this.variables = List.copyOf(variables);
    this.verb = verb;
  }

  /** Parses a template; a malformed one is an IllegalArgumentException naming what is wrong. */
  public static PathTemplate parse(String template) {
    requireNonNull(template, "template");
    return new Parser(template).parse();
  }

  /** The template as written in the proto. */
  public String text() {
    return text;
  }

  /** The custom verb ({@code cancel} of {@code :cancel}), or null. */
  public String verb() {
    return verb;
  }

  public List<Variable> variables() {
    return variables;
  }

  List<Segment> segments() {
    return segments;
  }

  /** The template as an OpenAPI path: each variable as {@code {field.path}}, the rest literal. */
  public String openApiPath() {
    StringBuilder path = new StringBuilder();
    int i = 0;
    while (i < segments.size()) {
      Variable variable = variableAt(i);
      path.append('/');
      if (variable != null) {
        path.append('{').append(variable.fieldPath()).append('}');
        i = variable.end();
      } else {
        Segment segment = segments.get(i);
        path.append(segment.kind() == Kind.LITERAL ? segment.literal() : segment.kind() == Kind.SINGLE ? "*" : "**");
        i++;
      }
    }
    return verb == null ? path.toString() : path + ":" + verb;
  }

  /** Whether the variable spans more than one segment (so its value may hold slashes). */
  public boolean multiSegment(Variable variable) {
    return !variable.singleSegment(segments);
  }

  private Variable variableAt(int segment) {
    for (Variable v : variables) {
      if (v.start() == segment) {
        return v;
      }
    }
    return null;
  }

  /**
   * Matches already split path segments (still percent-encoded) and the verb taken off the last one (or null).
   * Returns the variable bindings, field path to decoded value, in template order; empty when it does not match.
   */
  Optional<Map<String, String>> match(List<String> path, String pathVerb) {
    if (verb == null ? pathVerb != null : !verb.equals(pathVerb)) {
      return Optional.empty();
    }
    boolean endsMulti = !segments.isEmpty() && segments.get(segments.size() - 1).kind() == Kind.MULTI;
    if (endsMulti ? path.size() < segments.size() - 1 : path.size() != segments.size()) {
      return Optional.empty();
    }
    for (int i = 0; i < segments.size(); i++) {
      Segment segment = segments.get(i);
      if (segment.kind() == Kind.LITERAL && !segment.literal().equals(path.get(i))) {
        return Optional.empty();
      }
      if (segment.kind() == Kind.SINGLE && path.get(i).isEmpty()) {
        return Optional.empty(); // '*' is one segment, never an empty one
      }
    }
    Map<String, String> bindings = new LinkedHashMap<>();
    for (Variable v : variables) {
      int end = v.end() == segments.size() && endsMulti ? path.size() : v.end();
      if (v.singleSegment(segments)) {
        bindings.put(v.fieldPath(), decode(path.get(v.start()), true));
      } else {
        bindings.put(v.fieldPath(), decode(String.join("/", path.subList(v.start(), end)), false));
      }
    }
    return Optional.of(bindings);
  }

  /**
   * Percent-decodes a path value as UTF-8; with {@code slashes} false, {@code %2F} stays encoded (a multi-segment
   * variable). A malformed escape is kept as written.
   */
  static String decode(String raw, boolean slashes) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int hi;
      int lo;
      if (bytes[i] == '%' && i + 2 < bytes.length
          && (hi = Character.digit(bytes[i + 1], 16)) >= 0 && (lo = Character.digit(bytes[i + 2], 16)) >= 0) {
        int decoded = (hi << 4) | lo;
        if (decoded == '/' && !slashes) {
          out.write(bytes[i]);
          continue;
        }
        out.write(decoded);
        i += 2;
      } else {
        out.write(bytes[i]);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return text;
  }

  /** Recursive descent over the grammar above. */
  private static final class Parser {
    private final String text;
    private int pos;
    private final List<Segment> segments = new ArrayList<>();
    private final List<Variable> variables = new ArrayList<>();

    Parser(String text) {
      this.text = text;
    }

    PathTemplate parse() {
      if (!text.startsWith("/")) {
        throw fail("must start with '/'");
      }
      pos = 1;
      segments(false);
      String verb = null;
      if (pos < text.length() && text.charAt(pos) == ':') {
        pos++;
        verb = literal();
        if (verb.isEmpty()) {
          throw fail("empty verb");
        }
      }
      if (pos != text.length()) {
        throw fail("unexpected '" + text.charAt(pos) + "' at " + pos);
      }
      for (int i = 0; i < segments.size() - 1; i++) {
        if (segments.get(i).kind() == Kind.MULTI) {
          throw fail("'**' must be the last segment");
        }
      }
      return new PathTemplate(text, segments, variables, verb);
    }

    private void segments(boolean inVariable) {
      while (true) {
        segment(inVariable);
        if (pos < text.length() && text.charAt(pos) == '/') {
          pos++;
        } else {
          return;
        }
      }
    }

    private void segment(boolean inVariable) {
      if (text.startsWith("**", pos)) {
        pos += 2;
        segments.add(new Segment(Kind.MULTI, null));
      } else if (text.startsWith("*", pos)) {
        pos++;
        segments.add(new Segment(Kind.SINGLE, null));
      } else if (text.startsWith("{", pos)) {
        if (inVariable) {
          throw fail("a variable must not contain another variable");
        }
        variable();
      } else {
        String literal = literal();
        if (literal.isEmpty()) {
          throw fail("empty segment at " + pos);
        }
        segments.add(new Segment(Kind.LITERAL, literal));
      }
    }

    private void variable() {
      pos++; // '{'
      int start = pos;
      while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_'
          || text.charAt(pos) == '.')) {
        pos++;
      }
      String fieldPath = text.substring(start, pos);
      if (fieldPath.isEmpty() || fieldPath.startsWith(".") || fieldPath.endsWith(".") || fieldPath.contains("..")) {
        throw fail("bad field path '" + fieldPath + "'");
      }
      int first = segments.size();
      if (pos < text.length() && text.charAt(pos) == '=') {
        pos++;
        segments(true);
      } else {
        segments.add(new Segment(Kind.SINGLE, null));
      }
      if (pos >= text.length() || text.charAt(pos) != '}') {
        throw fail("unclosed variable '" + fieldPath + "'");
      }
      pos++;
      for (Variable v : variables) {
        if (v.fieldPath().equals(fieldPath)) {
          throw fail("variable '" + fieldPath + "' bound twice");
        }
      }
      variables.add(new Variable(fieldPath, first, segments.size()));
    }

    private String literal() {
      int start = pos;
      while (pos < text.length() && "/{}*:=".indexOf(text.charAt(pos)) < 0) {
        pos++;
      }
      return text.substring(start, pos);
    }

    private IllegalArgumentException fail(String why) {
      return new IllegalArgumentException("path template '" + text + "': " + why);
    }
  }
}
