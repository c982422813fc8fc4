#pragma once
#include <string>

namespace attnlab {

/// Writes `text` to `path` through a temporary file of this process, fsync and a rename
/// (then an fsync of the directory), so readers never see a half-written file, even after
/// a crash. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& text);

/// Replaces `path` by `temporary` (a complete file) the same durable way.
void commit_file(const std::string& temporary, const std::string& path);

/// A temporary name beside `path`, unique to this process.
std::string temporary_path(const std::string& path);

}  // namespace attnlab
