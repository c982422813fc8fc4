#pragma once
// The ranks of a data-parallel run connected through PyTorch's c10d with the Gloo backend
// (TCP), as LibTorch ships it: a TCPStore on rank 0's HOST:PORT for the rendezvous, then one
// ProcessGroupGloo. Ranks on one machine talk over loopback (master 127.0.0.1 or localhost);
// across machines, each binds the address its host name resolves to.
//
// Before the process group forms, every rank checks over the store that all say the same world
// size (a mismatch is one line on each rank, not a hang).

#include <chrono>
#include <memory>
#include <string>

#include "training/collective.h"

namespace attnlab {

struct GlooRendezvous {
  std::string host = "127.0.0.1";  // rank 0's address: the store's server
  int port = 29500;
  int64_t rank = 0;
  int64_t world_size = 1;
  /// How long a rank waits for the others to join.
  std::chrono::seconds join_timeout{300};
  /// How long one collective call waits for the other ranks (a rank's share of a validation and
  /// rank 0's checkpoint writing included).
  std::chrono::seconds call_timeout{1800};
};

/// "HOST:PORT" as host and port; throws std::invalid_argument saying what is wrong.
std::pair<std::string, int> parse_master_address(const std::string& text);

/// Joins the run; throws CollectiveError (one line) when the rendezvous fails: rank 0's port in
/// use, no rank 0 at HOST:PORT within join_timeout, a mismatched world size.
std::unique_ptr<Collective> connect_gloo(const GlooRendezvous& rendezvous);

/// A TCP port free on 127.0.0.1 now (for ranks started on this machine).
int free_local_port();

}  // namespace attnlab
