package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the lines an engine appends to a log file while it runs: each {@link #poll} returns the complete lines
 * written since the last one (a line still being written waits for the next poll). The file may not exist yet.
 */
public final class LineTail implements AutoCloseable {
  private final Path file;
  private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
  private final StringBuilder partial = new StringBuilder();
  private FileChannel channel;

  public LineTail(Path file) {
    this.file = requireNonNull(file, "file");
  }

  /** The complete lines appended since the last call. */
  public List<String> poll() {
    List<String> lines = new ArrayList<>();
    try {
      if (channel == null) {
        if (!Files.exists(file)) {
          return lines;
        }
        channel = FileChannel.open(file, StandardOpenOption.READ);
      }
      while (channel.read(buffer.clear()) > 0) {
        buffer.flip();
        partial.append(StandardCharsets.US_ASCII.decode(buffer));
        int newline;
        while ((newline = partial.indexOf("\n")) >= 0) {
          lines.add(partial.substring(0, newline));
          partial.delete(0, newline + 1);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file, e);
    }
    return lines;
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}
