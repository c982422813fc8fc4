#pragma once
// Ctrl-C (SIGINT) or SIGTERM asks the running trainer to write a checkpoint and stop; a
// second one ends the process at once. The flag is the one process-wide state the signal
// handler may touch; everything else receives it as a pointer.

#include <atomic>

namespace attnlab {

/// Installs the SIGINT handler and returns the flag it sets.
const std::atomic<bool>& install_interrupt_handler();

/// Exit code of a process stopped by SIGINT (128 + 2).
inline constexpr int kInterruptedExitCode = 130;

}  // namespace attnlab
