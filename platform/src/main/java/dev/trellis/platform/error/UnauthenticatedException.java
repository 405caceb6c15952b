package dev.trellis.platform.error;

/**
 * The caller did not prove who it is: UNAUTHENTICATED. The message names what was wrong with the credential
 * ("token expired"), never the token or the key.
 */
public final class UnauthenticatedException extends ApiException {
  public UnauthenticatedException(String message) {
    super("UNAUTHENTICATED", message);
  }
}
