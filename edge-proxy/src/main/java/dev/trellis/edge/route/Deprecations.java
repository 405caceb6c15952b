package dev.trellis.edge.route;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Message;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the contracts mark {@code deprecated = true} (RPCs, and request fields at any depth), and when: a comment line
 * {@code Deprecated since: 2025-06-01} dates the deprecation, {@code Sunset: 2026-01-01} the removal. A call to a
 * deprecated RPC, or one that sets a deprecated field, is answered with a {@code Deprecation} header (RFC 9745:
 * {@code @<unix seconds>} when dated, else {@code true} as its draft had it) and, when the proto says when, a
 * {@code Sunset} header (RFC 8594).
 */
public final class Deprecations {
  private static final Pattern SINCE = Pattern.compile("(?im)^\\s*Deprecated since:?\\s*(\\d{4}-\\d{2}-\\d{2})");
  private static final Pattern SUNSET = Pattern.compile("(?im)^\\s*Sunset:?\\s*(\\d{4}-\\d{2}-\\d{2})");

  /** A deprecated element and its dates. */
  public record Notice(String element, Optional<LocalDate> since, Optional<LocalDate> sunset) {
    /** The Deprecation header value. */
    public String deprecationHeader() {
      return since.map(d -> "@" + d.atStartOfDay(ZoneOffset.UTC).toEpochSecond()).orElse("true");
    }

    /** The Sunset header value (an HTTP-date), if dated. */
    public Optional<String> sunsetHeader() {
      return sunset.map(d -> DateTimeFormatter.RFC_1123_DATE_TIME.format(d.atStartOfDay(ZoneOffset.UTC)));
    }
  }

  private final Comments comments;
  private final Map<Descriptor, Boolean> hasDeprecatedFields = new HashMap<>();

  public Deprecations(Comments comments) {
    this.comments = requireNonNull(comments, "comments");
  }

  /** The notice of a deprecated RPC. */
  public Optional<Notice> of(MethodDescriptor method) {
    return method.getOptions().getDeprecated() ? Optional.of(notice(method)) : Optional.empty();
  }

  /** The deprecated fields that {@code request} sets, at any depth. */
  public List<Notice> fieldsSetIn(Message request) {
    if (!mayHaveDeprecated(request.getDescriptorForType())) {
      return List.of();
    }
    List<Notice> found = new ArrayList<>();
    collect(request, found);
    return found;
  }

  private void collect(Message message, List<Notice> found) {
    for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
      FieldDescriptor field = entry.getKey();
      if (field.getOptions().getDeprecated()) {
        found.add(notice(field));
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && mayHaveDeprecated(field.getMessageType())) {
        if (field.isRepeated()) {
          for (Object item : (List<?>) entry.getValue()) {
            collect((Message) item, found);
          }
        } else {
          collect((Message) entry.getValue(), found);
        }
      }
    }
  }

  /** Whether a message or any message under it has a deprecated field (computed once per type). */
  public synchronized boolean mayHaveDeprecated(Descriptor type) {
    Boolean known = hasDeprecatedFields.get(type);
    if (known != null) {
      return known;
    }
    hasDeprecatedFields.put(type, false); // a recursive type: assume no while looking
    boolean any = false;
    for (FieldDescriptor field : type.getFields()) {
      any |= field.getOptions().getDeprecated()
          || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && mayHaveDeprecated(field.getMessageType());
    }
    hasDeprecatedFields.put(type, any);
    return any;
  }

  private Notice notice(GenericDescriptor element) {
    String comment = comments.of(element);
    return new Notice(element.getFullName(), date(SINCE, comment, element), date(SUNSET, comment, element));
  }

  private static Optional<LocalDate> date(Pattern pattern, String comment, GenericDescriptor element) {
    Matcher m = pattern.matcher(comment);
    if (!m.find()) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDate.parse(m.group(1)));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("the comment of " + element.getFullName() + " has a bad date: "
          + m.group(1));
    }
  }
}
