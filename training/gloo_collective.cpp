#include "training/gloo_collective.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glog/logging.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/options.h"

namespace attnlab {

namespace {

/// How long rank 0 waits, on a mismatch, for the other rank to read its world size before leaving.
constexpr std::chrono::seconds kLeaveWait{5};

/// The first line of an engine's complaint, without the "[source.cc:123] " prefix Gloo puts on it.
std::string engine_detail(const std::exception& error) {
  std::string text = error_message(error);
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text.front() == '[') {
    const auto end = text.find("] ");
    if (end != std::string::npos) text = text.substr(end + 2);
  }
  return text.size() > 200 ? text.substr(0, 197) + "..." : text;
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

std::vector<uint8_t> as_bytes(const std::string& text) { return {text.begin(), text.end()}; }
std::string as_text(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

class GlooCollective final : public Collective {
 public:
  GlooCollective(const GlooRendezvous& r, c10::intrusive_ptr<c10d::Store> store)
      : rank_(r.rank), world_size_(r.world_size), store_(std::move(store)) {
    auto options = c10d::ProcessGroupGloo::Options::create(r.call_timeout);
    options->devices.push_back(is_loopback(r.host) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                   : c10d::ProcessGroupGloo::createDefaultDevice());
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, static_cast<int>(rank_), static_cast<int>(world_size_),
                                                         options);
  }

  int64_t rank() const override { return rank_; }
  int64_t world_size() const override { return world_size_; }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    for (auto& tensor : tensors) {  // one call each: Gloo would sum a list's tensors into one
      std::vector<torch::Tensor> one = {tensor};
      run([&] { group_->allreduce(one)->wait(); });
    }
  }
  void broadcast(std::vector<torch::Tensor>& tensors) override {
    for (auto& tensor : tensors) {
      std::vector<torch::Tensor> one = {tensor};
      run([&] { group_->broadcast(one)->wait(); });
    }
  }
  void barrier() override {
    run([&] { group_->barrier()->wait(); });
  }

 private:
  template <class Call>
  void run(Call call) {
    try {
      call();
    } catch (const std::exception& e) {
      const std::string other = world_size_ == 2 ? "rank " + std::to_string(1 - rank_) : "another rank";
      throw CollectiveError("rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) + ": lost " + other +
                            " of the data-parallel run (it stopped, or did not answer in time): " + engine_detail(e));
    }
  }

  int64_t rank_, world_size_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

/// Every rank says its world size and claims its rank in the store; each compares with the others.
/// Rank 0 serves the store and leaves on a mismatch: first it waits (briefly) for the other rank
/// to mark that it has read rank 0's world size, so that rank names the mismatch too instead of
/// finding the store gone ("broken pipe").
void check_ranks_agree(c10d::Store& store, const GlooRendezvous& r) {
  const std::string me = "rank " + std::to_string(r.rank) + " of " + std::to_string(r.world_size);
  const std::string mine = std::to_string(r.world_size);
  if (store.add("attnlab/joined/" + std::to_string(r.rank), 1) > 1)
    throw CollectiveError(me + ": another process already joined as rank " + std::to_string(r.rank));
  store.set("attnlab/world_size/" + std::to_string(r.rank), as_bytes(mine));
  auto world_size_of = [&](int64_t other) {
    const std::string key = "attnlab/world_size/" + std::to_string(other);
    store.wait({key}, r.join_timeout);
    return as_text(store.get(key));
  };
  auto mismatch = [&](int64_t other, const std::string& theirs) {
    return CollectiveError(me + ": rank " + std::to_string(other) + " was started with --world-size " + theirs);
  };
  if (r.rank != 0) {
    const std::string theirs = world_size_of(0);
    store.set("attnlab/read_world_size/" + std::to_string(r.rank), as_bytes("1"));  // rank 0 may leave now
    if (theirs != mine) throw mismatch(0, theirs);
    return;
  }
  for (int64_t other = 1; other < r.world_size; ++other) {
    const std::string theirs = world_size_of(other);
    if (theirs == mine) continue;
    try {
      store.wait({"attnlab/read_world_size/" + std::to_string(other)}, std::min(r.join_timeout, kLeaveWait));
    } catch (const std::exception&) {  // it did not read in time (or is gone): leave anyway
    }
    throw mismatch(other, theirs);
  }
}

}  // namespace

std::pair<std::string, int> parse_master_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw std::invalid_argument("--master " + text + ": expected HOST:PORT, e.g. 127.0.0.1:29500");
  const std::string host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) < 1 || std::stoi(port_text) > 65535)
    throw std::invalid_argument("--master " + text + ": the port must be a number from 1 to 65535");
  return {host, std::stoi(port_text)};
}

std::unique_ptr<Collective> connect_gloo(const GlooRendezvous& r) {
  // c10d logs its sockets' troubles to stderr through glog; the errors below say them in one line.
  FLAGS_minloglevel = std::max<int>(FLAGS_minloglevel, google::GLOG_FATAL);
  const std::string me = "rank " + std::to_string(r.rank) + " of " + std::to_string(r.world_size);
  const std::string where = r.host + ":" + std::to_string(r.port);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(r.port);
    options.isServer = r.rank == 0;
    options.waitWorkers = false;  // check_ranks_agree waits, and says what is wrong
    options.timeout = r.join_timeout;
    store = c10::make_intrusive<c10d::TCPStore>(r.host, options);
  } catch (const std::exception& e) {
    const std::string detail = engine_detail(e);
    if (r.rank == 0 && detail.find("in use") != std::string::npos)
      throw CollectiveError(me + ": port " + std::to_string(r.port) + " of " + r.host +
                            " is in use; choose another --master port");
    if (r.rank == 0) throw CollectiveError(me + ": cannot serve the rendezvous at " + where + ": " + detail);
    throw CollectiveError(me + ": no rank 0 answered at " + where + " within " + std::to_string(r.join_timeout.count()) +
                          " s: " + detail);
  }
  try {
    check_ranks_agree(*store, r);
    return std::make_unique<GlooCollective>(r, store);
  } catch (const CollectiveError&) {
    throw;
  } catch (const std::exception& e) {
    throw CollectiveError(me + ": the ranks did not all join at " + where + " within " +
                          std::to_string(r.join_timeout.count()) + " s: " + engine_detail(e));
  }
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

}  // namespace attnlab
