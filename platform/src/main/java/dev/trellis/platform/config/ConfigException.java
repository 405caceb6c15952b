package dev.trellis.platform.config;

/**
 * A setting is missing or wrong. The message names the variable (or flag) and what it should be, and is all the
 * operator sees: processes print it and exit, without a stack trace.
 */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
