#pragma once
// Whole files as bytes (tokenizer models and their descriptions).

#include <string>

namespace attnlab {

/// Throws std::runtime_error "path: cannot read".
std::string read_binary_file(const std::string& path);
/// Replaces the file; throws std::runtime_error "path: cannot write".
void write_binary_file(const std::string& path, const std::string& bytes);

}  // namespace attnlab
