#pragma once
#include <string>

namespace attnlab {
/// Writes `text` to `path` through a temporary file and a rename, so readers never see
/// a half-written file. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& text);
}  // namespace attnlab
