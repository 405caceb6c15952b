package dev.trellis.launcher;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS front for a plaintext gRPC server, as an ingress or a cloud load balancer terminates TLS for a deployment:
 * it accepts TLS (ALPN h2) with a self-signed certificate for 127.0.0.1 and relays the decrypted bytes to the
 * server, which speaks HTTP/2 with prior knowledge, the same frames. The certificate is made with the JDK's keytool;
 * {@link #caPem()} is what a client trusts it by.
 */
final class TlsTerminator implements AutoCloseable {
  private static final String PASSWORD = "test-only";

  private final SSLServerSocket server;
  private final Path caPem;
  private final AtomicInteger handshakes = new AtomicInteger();

  private TlsTerminator(SSLServerSocket server, Path caPem, int backendPort) {
    this.server = server;
    this.caPem = caPem;
    Thread.ofVirtual().name("tls-terminator-" + server.getLocalPort()).start(() -> accept(backendPort));
  }

  /** A front on a free port for {@code 127.0.0.1:backendPort}, its key and certificate made below {@code dir}. */
  static TlsTerminator start(Path dir, int backendPort) throws Exception {
    requireNonNull(dir, "dir");
    Path own = Files.createTempDirectory(dir, "tls-front-");
    Path keyStore = own.resolve("front.p12");
    Path caPem = own.resolve("front.pem");
    keytool("-genkeypair", "-alias", "front", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=trellis test front " + own.getFileName(), "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
        "-keystore", keyStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", "front", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
        "-file", caPem.toString());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      keys.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD.toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers.getKeyManagers(), null, null);
    SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    return new TlsTerminator(server, caPem, backendPort);
  }

  /** The target clients dial: {@code 127.0.0.1:<port>}. */
  String target() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** The certificate to trust, PEM. */
  Path caPem() {
    return caPem;
  }

  /** How many TLS handshakes completed: proof that the clients spoke TLS. */
  int handshakes() {
    return handshakes.get();
  }

  private void accept(int backendPort) {
    while (!server.isClosed()) {
      try {
        SSLSocket client = (SSLSocket) server.accept();
        Thread.ofVirtual().start(() -> relay(client, backendPort));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void relay(SSLSocket client, int backendPort) {
    try (client; Socket backend = new Socket()) {
      SSLParameters parameters = client.getSSLParameters();
      parameters.setApplicationProtocols(new String[] {"h2"});
      client.setSSLParameters(parameters);
      client.startHandshake();
      handshakes.incrementAndGet();
      backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), backendPort));
      Thread upstream = Thread.ofVirtual().start(() -> pipe(client, backend));
      pipe(backend, client);
      upstream.join();
    } catch (IOException e) {
      // A client that failed its handshake or left: nothing to relay.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Copies until either side ends, then closes both, so the other direction ends too. */
  private static void pipe(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // one side closed
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
    List<String> command = new java.util.ArrayList<>(List.of(java.resolveSibling("keytool").toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
