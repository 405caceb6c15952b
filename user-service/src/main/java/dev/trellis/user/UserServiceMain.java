package dev.trellis.user;

import dev.trellis.platform.server.ServiceMain;

/** user-service's process: {@code java -cp ... dev.trellis.user.UserServiceMain [--flags]}. */
public final class UserServiceMain {
  public static final String NAME = UserService.NAME;

  private UserServiceMain() {}

  public static void main(String[] args) {
    ServiceMain.run(new UserService(), args);
  }
}
