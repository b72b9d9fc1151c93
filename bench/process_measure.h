// What the scale benchmarks read of their own process (Linux): RSS,
// allocated bytes, the peak since a reset, CPU time; and a way to run each
// measurement in a process of its own, so that a second run does not reuse
// memory the first freed but kept.
#pragma once

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace releasegate::bench {

// Resident memory, after returning what malloc can.
inline double rss_mb() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Bytes malloc has handed out and not had back (all arenas).
inline double heap_mb() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

// The process's peak RSS since reset_peak() (Linux clear_refs 5).
inline double peak_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}
inline void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

// User and system CPU time: of the whole process, or of the calling thread.
inline double cpu_seconds(int who = RUSAGE_SELF) {
  rusage usage{};
  getrusage(who, &usage);
  auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// `measure()` run in a forked child (call before any thread starts); its
// result (a trivially copyable struct) comes back through a pipe. Exits
// the program when the child fails.
template <class Result, class Measure>
Result in_own_process(Measure measure) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) std::abort();
  pid_t child = fork();
  if (child == 0) {
    Result result = measure();
    if (write(pipe_fds[1], &result, sizeof result) != static_cast<ssize_t>(sizeof result)) _exit(1);
    _exit(0);
  }
  close(pipe_fds[1]);
  Result result{};
  bool read_whole = read(pipe_fds[0], &result, sizeof result) == static_cast<ssize_t>(sizeof result);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!read_whole || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "a measuring process failed\n");
    std::exit(1);
  }
  return result;
}

}  // namespace releasegate::bench
