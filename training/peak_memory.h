#pragma once
// The peak resident memory of this process (Linux: VmHWM of /proc/self/status), and its reset
// (writing 5 to /proc/self/clear_refs), so that a run measures its own peak even when several
// runs follow each other in one process.

#include <cstdint>

namespace attnlab {

/// Starts a new peak at the current resident size; false where the system does not allow it.
bool reset_peak_resident_memory();

/// The peak resident size in bytes since the process started or the last reset; 0 if unknown.
int64_t peak_resident_memory_bytes();

}  // namespace attnlab
