#include "training/interrupt.h"

#include <csignal>

namespace attnlab {

namespace {
std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) {
  interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C is not caught
}
}  // namespace

const std::atomic<bool>& install_interrupt_handler() {
  std::signal(SIGINT, on_interrupt);
  return interrupted;
}

}  // namespace attnlab
