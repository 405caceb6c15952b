package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pools' sockets keep their read timeouts by a watch thread instead of a timed read: a silent server still
 * ends a read with a timeout and the socket with it, an answering one is never cut, and a short timeout (pgjdbc's
 * peek) stays on the socket, which survives it. Against a real local server socket that accepts and says nothing.
 */
class WatchedSocketFactoryTest {
  /** Far beyond every timeout here: a read that has not ended by then would have hung. */
  private static final Duration HUNG = Duration.ofSeconds(20);

  private final WatchedSocketFactory factory = new WatchedSocketFactory();
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private ServerSocket server;
  private Socket accepted;

  @BeforeEach
  void listen() throws Exception {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
  }

  @AfterEach
  void close() throws Exception {
    threads.shutdownNow();
    if (accepted != null) {
      accepted.close();
    }
    server.close();
  }

  @Test
  void aReadOnASilentServerEndsWithATimeoutAndClosesTheSocket() throws Exception {
    Socket socket = connect();
    socket.setSoTimeout(1000);
    assertThat(socket.getSoTimeout()).isEqualTo(1000);

    CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readOne(socket), threads);
    Throwable failure = await().atMost(HUNG).until(() -> failureOf(read), f -> f != null);

    assertThat(failure).isInstanceOf(SocketTimeoutException.class).hasMessageContaining("1000 ms");
    assertThat(socket.isClosed()).isTrue();
    assertThat(WatchedSocketFactory.watches(socket)).isFalse();
  }

  @Test
  void aServerThatAnswersWithinTheTimeoutIsNeverCut() throws Exception {
    Socket socket = connect();
    socket.setSoTimeout(1000);
    assertThat(WatchedSocketFactory.watches(socket)).isTrue();
    // The server answers each read after 300 ms: the reads together last longer than the timeout, none alone.
    CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < 5; i++) {
          Thread.sleep(300);
          accepted.getOutputStream().write(i);
          accepted.getOutputStream().flush();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, threads);
    InputStream in = socket.getInputStream();
    for (int i = 0; i < 5; i++) {
      assertThat(in.read()).isEqualTo(i);
    }
    server.get(HUNG.toSeconds(), TimeUnit.SECONDS);
    assertThat(socket.isClosed()).isFalse();
    socket.close();
    assertThat(WatchedSocketFactory.watches(socket)).isFalse();
  }

  @Test
  void aShortTimeoutStaysOnTheSocketWhichSurvivesIt() throws Exception {
    Socket socket = connect();
    socket.setSoTimeout(50);
    InputStream in = socket.getInputStream();

    assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
    assertThat(socket.isClosed()).isFalse();

    // pgjdbc puts its long timeout back after the peek; the socket still reads what comes.
    socket.setSoTimeout(5000);
    accepted.getOutputStream().write(7);
    accepted.getOutputStream().flush();
    assertThat(in.read()).isEqualTo(7);
    socket.close();
  }

  @Test
  void noTimeoutMeansTheReadWaitsForTheServer() throws Exception {
    Socket socket = connect();
    socket.setSoTimeout(0);
    CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readOne(socket), threads);

    // Nothing cuts it while the watch looks many times; it ends when the server speaks.
    await().during(Duration.ofMillis(5 * CoarseDeadlines.INTERVAL.toMillis())).atMost(HUNG)
        .until(() -> !read.isDone());
    accepted.getOutputStream().write(42);
    accepted.getOutputStream().flush();
    assertThat(read.get(HUNG.toSeconds(), TimeUnit.SECONDS)).isEqualTo(42);
    socket.close();
  }

  private Socket connect() throws Exception {
    Socket socket = factory.createSocket(server.getInetAddress(), server.getLocalPort());
    accepted = server.accept();
    return socket;
  }

  private static int readOne(Socket socket) {
    try {
      return socket.getInputStream().read();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Throwable failureOf(CompletableFuture<?> future) {
    if (!future.isDone()) {
      return null;
    }
    try {
      future.join();
      return new AssertionError("the read ended without failing");
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof SocketTimeoutException)) {
        cause = cause.getCause();
      }
      return cause;
    }
  }
}
