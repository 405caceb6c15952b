package dev.trellis.bench.measure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * CPU time of processes from Linux's {@code /proc}: what a process has used so far, and how much of it went to the
 * JIT compiler threads of a HotSpot JVM (named {@code C1 CompilerThread<n>}, {@code C2 CompilerThread<n>}). The bench
 * reads it for the load generator, the target and the databases, to say what each costs per call and to see the
 * JIT quiet down before measuring. Elsewhere than Linux every figure is {@link CpuTime#UNKNOWN}.
 */
public final class ProcessCpu {
  private static final Path PROC = Path.of("/proc");
  private static final long TICKS_PER_SECOND = ticksPerSecond();

  private ProcessCpu() {}

  /**
   * CPU used so far.
   *
   * @param totalNanos user and system time of every thread
   * @param compilerNanos the part of it spent by JIT compiler threads
   */
  public record CpuTime(long totalNanos, long compilerNanos) {
    public static final CpuTime UNKNOWN = new CpuTime(-1, -1);

    public boolean known() {
      return totalNanos >= 0;
    }

    /** What was used between {@code earlier} and this; unknown when either is. */
    public CpuTime minus(CpuTime earlier) {
      if (!known() || !earlier.known()) {
        return UNKNOWN;
      }
      return new CpuTime(totalNanos - earlier.totalNanos, compilerNanos - earlier.compilerNanos);
    }

    public CpuTime plus(CpuTime other) {
      if (!known() || !other.known()) {
        return UNKNOWN;
      }
      return new CpuTime(totalNanos + other.totalNanos, compilerNanos + other.compilerNanos);
    }
  }

  /**
   * The CPU time of processes {@code pids} together, such as the edge's JVM and the service's behind it (unknown when
   * there are none, or once one has exited).
   */
  public static CpuTime ofAll(List<Long> pids) {
    if (pids.isEmpty()) {
      return CpuTime.UNKNOWN;
    }
    CpuTime sum = new CpuTime(0, 0);
    for (long pid : pids) {
      sum = sum.plus(of(pid));
    }
    return sum;
  }

  /** The CPU time of process {@code pid} (unknown once it has exited). */
  public static CpuTime of(long pid) {
    Path dir = PROC.resolve(Long.toString(pid));
    long total = ticksOf(dir.resolve("stat"));
    if (total < 0) {
      return CpuTime.UNKNOWN;
    }
    long compiler = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(dir.resolve("task"))) {
      for (Path task : tasks) {
        String comm = read(task.resolve("comm")).strip();
        // The kernel keeps 15 characters of a thread's name: "C2 CompilerThre".
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
          compiler += Math.max(0, ticksOf(task.resolve("stat")));
        }
      }
    } catch (IOException e) {
      // The process ended, or a thread did between listing and reading: the compiler share stays as counted.
    }
    return new CpuTime(toNanos(total), toNanos(compiler));
  }

  /**
   * The CPU time of the process trees rooted at {@code roots} (PostgreSQL postmasters, say): each root's own time and
   * the time of its children that have exited and been waited for (the kernel adds it to the parent), plus every
   * live descendant's. A backend that starts and ends between two readings is therefore still counted.
   */
  public static CpuTime ofTrees(List<Long> roots) {
    long total = 0;
    boolean any = false;
    for (long root : roots) {
      long own = ticksOf(PROC.resolve(Long.toString(root)).resolve("stat"));
      if (own < 0) {
        continue;
      }
      any = true;
      total += own + reapedChildTicks(root);
      for (ProcessHandle child : ProcessHandle.of(root).map(p -> p.descendants().toList()).orElse(List.of())) {
        total += Math.max(0, ticksOf(PROC.resolve(Long.toString(child.pid())).resolve("stat")));
      }
    }
    return any ? new CpuTime(toNanos(total), 0) : CpuTime.UNKNOWN;
  }

  /**
   * CPU time of the children of {@code pid} that have exited and been waited for (cutime + cstime): for the bench's
   * own JVM, exactly what an external engine used once its run ends. -1 when unknown.
   */
  public static long reapedChildrenNanos(long pid) {
    long ticks = reapedChildTicks(pid);
    return ticks < 0 ? -1 : toNanos(ticks);
  }

  private static long reapedChildTicks(long pid) {
    try {
      String line = read(PROC.resolve(Long.toString(pid)).resolve("stat"));
      String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split("\\s+");
      return f.length < 15 ? -1 : Long.parseLong(f[13]) + Long.parseLong(f[14]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Busy CPU time of the whole machine, all cores (everything in /proc/stat's first line but idle and iowait). */
  public static long machineBusyNanos() {
    try {
      String first = read(PROC.resolve("stat")).lines().findFirst().orElse("");
      String[] f = first.trim().split("\\s+");
      if (f.length < 8 || !f[0].equals("cpu")) {
        return -1;
      }
      long busy = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
        if (i != 4 && i != 5) {
          busy += Long.parseLong(f[i]);
        }
      }
      return toNanos(busy);
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /** Fields 14 and 15 (utime, stime) of a stat file, in clock ticks; -1 when it cannot be read. */
  static long ticksOf(Path statFile) {
    try {
      return ticksOfStatLine(read(statFile));
    } catch (IOException e) {
      return -1;
    }
  }

  /** utime + stime of one {@code /proc/<pid>/stat} line; the command name may hold spaces and parentheses. */
  static long ticksOfStatLine(String line) {
    int close = line.lastIndexOf(')');
    if (close < 0) {
      return -1;
    }
    String[] f = line.substring(close + 2).trim().split("\\s+");
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    if (f.length < 13) {
      return -1;
    }
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static long toNanos(long ticks) {
    return ticks * (1_000_000_000L / TICKS_PER_SECOND);
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.US_ASCII);
  }

  /** USER_HZ, almost always 100; asked of getconf once. */
  private static long ticksPerSecond() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (getconf.waitFor(5, TimeUnit.SECONDS) && getconf.exitValue() == 0) {
        long ticks = Long.parseLong(out);
        if (ticks > 0 && 1_000_000_000L % ticks == 0) {
          return ticks;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // fall through to the usual value
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
