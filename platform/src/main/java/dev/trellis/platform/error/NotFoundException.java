package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

/** The named resource does not exist: NOT_FOUND with a google.rpc.ResourceInfo. */
public final class NotFoundException extends ApiException {
  private final String resourceType;
  private final String resourceName;

  /**
   * @param resourceType the type, such as {@code trellis.user.v1.User}
   * @param resourceName the name or id the caller asked for, such as {@code users/42}
   */
  public NotFoundException(String resourceType, String resourceName) {
    super("NOT_FOUND", requireNonNull(resourceName, "resourceName") + " not found");
    this.resourceType = requireNonNull(resourceType, "resourceType");
    this.resourceName = resourceName;
  }

  public String resourceType() {
    return resourceType;
  }

  public String resourceName() {
    return resourceName;
  }
}
