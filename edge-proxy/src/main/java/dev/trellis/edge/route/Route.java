package dev.trellis.edge.route;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import java.util.List;

/**
 * One HTTP binding of an RPC: its method and path template, where the request body goes ({@code body}: none, every
 * field not in the path, or one field) and what of the response is the HTTP body ({@code response_body}).
 *
 * @param method the RPC
 * @param httpMethod GET, POST, ... or a custom rule's kind, upper case
 * @param template the path template
 * @param body empty for no body, {@code *} for the whole request, else the name of one top-level request field
 * @param responseBody empty for the whole response, else the name of one top-level response field
 * @param binding 0 for the rule itself, 1.. for its additional_bindings in order
 */
public record Route(MethodDescriptor method, String httpMethod, PathTemplate template, String body,
    String responseBody, int binding) {
  public Route {
    requireNonNull(method, "method");
    requireNonNull(httpMethod, "httpMethod");
    requireNonNull(template, "template");
    requireNonNull(body, "body");
    requireNonNull(responseBody, "responseBody");
  }

  /** {@code trellis.user.v1.UserService/GetUser}, as gRPC names it on the wire. */
  public String grpcMethodName() {
    return method.getService().getFullName() + "/" + method.getName();
  }

  public boolean hasBody() {
    return !body.isEmpty();
  }

  public boolean wholeBody() {
    return body.equals("*");
  }

  /** The request field the body fills, or null when there is none or the body is the whole request. */
  public FieldDescriptor bodyField() {
    return hasBody() && !wholeBody() ? method.getInputType().findFieldByName(body) : null;
  }

  /** The response field that is the HTTP body, or null for the whole response. */
  public FieldDescriptor responseBodyField() {
    return responseBody.isEmpty() ? null : method.getOutputType().findFieldByName(responseBody);
  }

  public boolean clientStreaming() {
    return method.isClientStreaming();
  }

  public boolean serverStreaming() {
    return method.isServerStreaming();
  }

  /** The field paths bound by the path template. */
  public List<String> pathFields() {
    return template.variables().stream().map(PathTemplate.Variable::fieldPath).toList();
  }

  @Override
  public String toString() {
    return httpMethod + " " + template.text() + " -> " + grpcMethodName();
  }
}
