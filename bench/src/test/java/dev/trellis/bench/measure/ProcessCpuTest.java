package dev.trellis.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessCpuTest {
  @Test
  void utimeAndStimeAreReadAfterACommandNameWithSpacesAndParentheses() {
    String line = "4242 (C2 Compiler (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 123 45 6 7 20 0 1 0 100 0 0";
    assertThat(ProcessCpu.ticksOfStatLine(line)).isEqualTo(168);
  }

  @Test
  void thisJvmHasUsedSomeCpuAndItsCompilerThreadsArePartOfIt() {
    ProcessCpu.CpuTime self = ProcessCpu.of(ProcessHandle.current().pid());
    assertThat(self.known()).isTrue();
    assertThat(self.totalNanos()).isPositive();
    assertThat(self.compilerNanos()).isBetween(0L, self.totalNanos());
  }

  @Test
  void aProcessThatDoesNotExistIsUnknown() {
    assertThat(ProcessCpu.of(Long.MAX_VALUE).known()).isFalse();
    assertThat(ProcessCpu.of(Long.MAX_VALUE).minus(new ProcessCpu.CpuTime(1, 0)).known()).isFalse();
  }
}
