#include "training/interrupt.h"

#include <pthread.h>

#include <csignal>

namespace attnlab {

namespace {
std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int signal) {
  interrupted.store(true);
  std::signal(signal, SIG_DFL);  // a second one is not caught
}
}  // namespace

const std::atomic<bool>& install_interrupt_handler() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  // A parallel run's worker starts with both blocked (see parallel_runs.cpp): deliver any that came.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
  return interrupted;
}

}  // namespace attnlab
