package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * How a load shows in the report.
 *
 * @param name a short label, unique in a run ({@code GetUser via h2load}, {@code pgbench point read})
 * @param engine {@code java}, {@code h2load}, {@code pgbench}, {@code jdbc}
 * @param target where the calls go ({@code 127.0.0.1:50051}, a JDBC URL)
 * @param work what each call does ({@code trellis.user.v1.UserService/GetUser {"id":"${user_id}"}}, the SQL)
 * @param model {@code closed loop, 32 in flight over 4 connections} or {@code open loop at 5000/s}
 * @param command the engine's command line, when it is an external program
 * @param notes anything a reader must know to trust the figures
 */
public record LoadInfo(String name, String engine, String target, String work, String model, String command,
    List<String> notes) {
  public LoadInfo {
    requireNonNull(name, "name");
    requireNonNull(engine, "engine");
    requireNonNull(target, "target");
    requireNonNull(work, "work");
    requireNonNull(model, "model");
    requireNonNull(command, "command");
    notes = List.copyOf(notes);
  }
}
