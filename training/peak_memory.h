#pragma once
// The resident memory of this process (Linux: VmRSS and its peak VmHWM in /proc/self/status),
// and the peak's reset (writing 5 to /proc/self/clear_refs), so that a run or a benchmark measures
// its own peak even when several follow each other in one process.

#include <optional>

namespace attnlab {

/// Resident bytes now; nullopt where /proc does not say.
std::optional<double> resident_memory_bytes();

/// Peak resident bytes since the process started or the last reset; nullopt where /proc does not say.
std::optional<double> peak_resident_memory_bytes();

/// Starts a new peak at the current resident size; false where the system does not allow it.
bool reset_peak_resident_memory();

}  // namespace attnlab
