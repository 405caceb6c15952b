package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

/** A resource with the same unique key exists: ALREADY_EXISTS with a google.rpc.ResourceInfo. */
public final class AlreadyExistsException extends ApiException {
  private final String resourceType;
  private final String resourceName;

  public AlreadyExistsException(String resourceType, String resourceName, String message) {
    super("ALREADY_EXISTS", message);
    this.resourceType = requireNonNull(resourceType, "resourceType");
    this.resourceName = requireNonNull(resourceName, "resourceName");
  }

  public String resourceType() {
    return resourceType;
  }

  public String resourceName() {
    return resourceName;
  }
}
