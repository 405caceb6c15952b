package dev.trellis.conformance;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ./trellis conformance}: runs every case against the deployment the flags name (the local mesh by
 * default) and prints a line per case, then the table. Exit 0 when all pass, 1 when one fails, 2 for a wrong flag.
 */
public final class ConformanceMain {
  static final String USAGE = """
      usage: ./trellis conformance [--user-target HOST:PORT] [--order-target HOST:PORT] [--edge URL]
                                   [--token T | --dev [--state-dir .trellis]] [--tls [--tls-ca CA.pem]]
                                   [--grpc-max-message-bytes N]
        runs the gRPC interop cases mapped onto Trellis's RPCs (and the REST cases through the edge when --edge is
        given) against any deployment; defaults: the local mesh (127.0.0.1:50051, 127.0.0.1:50052) with an admin
        token minted from its dev key (--dev). --token takes an admin token of the deployment. The run creates
        users and SKUs named cf-<run id>. --tls speaks TLS to the gRPC targets, trusting the JVM's authorities or
        those in --tls-ca (PEM). --grpc-max-message-bytes is the servers' TRELLIS_GRPC_MAX_MESSAGE_BYTES
        (50 MiB by default): very_large_request sends a little more. Exit 0: all passed; 1: a case failed.""";

  private ConformanceMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.println(USAGE);
      return;
    }
    ConformanceOptions options;
    try {
      Settings settings = Settings.fromProcess(args);
      options = ConformanceOptions.fromSettings(settings);
      settings.rejectUnknownFlags();
    } catch (ConfigException e) {
      System.err.println("trellis: " + e.getMessage());
      System.exit(2);
      return;
    }
    List<CaseResult> results = Conformance.against(options).run(System.out);
    System.out.println();
    System.out.print(ResultTable.table(results));
    System.exit(results.stream().allMatch(CaseResult::passed) ? 0 : 1);
  }
}
