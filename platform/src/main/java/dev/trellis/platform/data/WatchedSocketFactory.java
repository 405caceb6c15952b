package dev.trellis.platform.data;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import javax.net.SocketFactory;

/**
 * pgjdbc's socket factory for the shard pools (its {@code socketFactory} property): sockets whose read timeout
 * (pgjdbc's {@code socketTimeout}, a call deadline's network timeout, HikariCP's validation timeout) is kept by
 * {@link CoarseDeadlines} instead of by the socket.
 *
 * <p>Why: on a virtual thread, a socket read with a timeout is a timed park, and the JDK arms a wake-up task on
 * its scheduler's delay thread for every one and disarms it when the answer comes: two hand-offs to one more thread
 * per database round trip. Profiled under GetUser load (async-profiler, cpu), that was about 15 % of user-service's
 * CPU ({@code DelayScheduler.run} 9 %, {@code VirtualThread.afterYield} and {@code cancelTimeoutTask} 7 %). Here a
 * read parks without a timeout, and the deadlines' thread closes the socket of a read that has waited longer than
 * its timeout. That read then fails with a {@link SocketTimeoutException}, as it would have, and pgjdbc drops the
 * connection, as it would have; the bound is kept within {@link CoarseDeadlines#INTERVAL}.
 *
 * <p>Timeouts shorter than {@link #WATCHED_FROM} stay on the socket: pgjdbc's 1 ms peek for a pending message
 * expects the socket to survive its timeout, and such waits are rare.
 */
public final class WatchedSocketFactory extends SocketFactory {
  /** Read timeouts from this long on are kept by {@link CoarseDeadlines}; shorter ones by the socket itself. */
  static final Duration WATCHED_FROM = Duration.ofSeconds(1);

  /** pgjdbc instantiates the factory by its class name. */
  public WatchedSocketFactory() {
  }

  @Override
  public Socket createSocket() {
    return new WatchedSocket();
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port));
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    Socket socket = new WatchedSocket();
    socket.bind(new InetSocketAddress(localHost, localPort));
    socket.connect(new InetSocketAddress(host, port));
    return socket;
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port));
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    Socket socket = new WatchedSocket();
    socket.bind(new InetSocketAddress(localAddress, localPort));
    socket.connect(new InetSocketAddress(address, port));
    return socket;
  }

  private static Socket connected(SocketAddress address) throws IOException {
    Socket socket = new WatchedSocket();
    socket.connect(address);
    return socket;
  }

  /** Whether the deadlines' thread still looks at this socket (for tests: a closed one leaves it). */
  static boolean watches(Socket socket) {
    return socket instanceof WatchedSocket watched && CoarseDeadlines.watches(watched);
  }

  /** A socket whose long read timeouts the deadlines' thread keeps. */
  static final class WatchedSocket extends Socket implements CoarseDeadlines.Check {
    /** {@link #readStart}: no read in progress. */
    private static final long IDLE = 0L;
    /** {@link #readStart}: the deadlines' thread cut this read. Never a start time: those are made odd. */
    private static final long CUT = Long.MIN_VALUE;
    private static final VarHandle READ_START;

    static {
      try {
        READ_START = MethodHandles.lookup().findVarHandle(WatchedSocket.class, "readStart", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** The read timeout the deadlines' thread keeps, in ms; 0 when none (no timeout, or a short one on the socket). */
    private volatile int watchedMillis;
    /** System.nanoTime() at the start of the read in progress (made odd), {@link #IDLE} or {@link #CUT}. */
    @SuppressWarnings("unused") // through READ_START
    private volatile long readStart;

    WatchedSocket() {
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      super.connect(endpoint, timeout);
      CoarseDeadlines.watch(this);
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
      if (timeout >= WATCHED_FROM.toMillis()) {
        super.setSoTimeout(0);
        watchedMillis = timeout;
      } else {
        watchedMillis = 0;
        super.setSoTimeout(timeout);
      }
    }

    @Override
    public int getSoTimeout() throws SocketException {
      int watched = watchedMillis;
      return watched > 0 ? watched : super.getSoTimeout();
    }

    @Override
    public InputStream getInputStream() throws IOException {
      return new WatchedInput(super.getInputStream());
    }

    @Override
    public void close() throws IOException {
      CoarseDeadlines.unwatch(this);
      super.close();
    }

    /** A read begins: it may be cut once it has lasted longer than the timeout. */
    private void readBegins() {
      READ_START.setVolatile(this, System.nanoTime() | 1L);
    }

    /** A read has ended; whether it was cut meanwhile. */
    private boolean readWasCut() {
      return (long) READ_START.getAndSet(this, IDLE) == CUT;
    }

    /** Closes this socket when its read has waited longer than its timeout. */
    @Override
    public void expire(long now) {
      int watched = watchedMillis;
      long start = (long) READ_START.getVolatile(this);
      if (watched == 0 || start == IDLE || start == CUT
          || now - start < watched * 1_000_000L) {
        return;
      }
      if (READ_START.compareAndSet(this, start, CUT)) {
        try {
          super.close(); // the blocked read fails; it then reports a timeout (readWasCut)
        } catch (IOException e) {
          // closing a socket that is going away anyway
        }
        CoarseDeadlines.unwatch(this);
      }
    }

    private SocketTimeoutException timedOut(IOException cause) {
      SocketTimeoutException e = new SocketTimeoutException(
          "Read timed out: no answer within " + watchedMillis + " ms");
      if (cause != null) {
        e.initCause(cause);
      }
      return e;
    }

    @FunctionalInterface
    private interface Read {
      int run() throws IOException;
    }

    private final class WatchedInput extends InputStream {
      private final InputStream in;

      WatchedInput(InputStream in) {
        this.in = in;
      }

      @Override
      public int read() throws IOException {
        return watched(in::read);
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        return watched(() -> in.read(buffer, offset, length));
      }

      /** One read of the underlying stream, which the deadlines' thread may cut when it outlasts the timeout. */
      private int watched(Read read) throws IOException {
        readBegins();
        int result;
        try {
          result = read.run();
        } catch (IOException e) {
          throw readWasCut() ? timedOut(e) : e;
        }
        if (readWasCut()) {
          throw timedOut(null);
        }
        return result;
      }

      @Override
      public int available() throws IOException {
        return in.available();
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    }
  }
}
