#pragma once
// Shared by the subcommands: parsing with cxxopts, where a bad command line is one
// line on stderr and exit code 2.

#include <cxxopts.hpp>
#include <iostream>
#include <optional>
#include <string>

namespace attnlab::cli {

/// Parses argv; prints help (exit 0) or a one-line error (exit 2) and then gives no result.
/// `positional`, if given, is the one required positional argument (shown as `metavar`).
inline std::optional<cxxopts::ParseResult> parse_or_exit(cxxopts::Options& options, int argc, char** argv,
                                                        const std::string& example, int& exit_code,
                                                        const std::string& positional = "",
                                                        const std::string& metavar = "") {
  if (!positional.empty()) {
    options.parse_positional({positional});
    options.positional_help(metavar);
  }
  options.add_options()("h,help", "show this help");
  options.custom_help("[options]");
  options.set_width(100);
  try {
    auto result = options.parse(argc, argv);
    if (result.count("help")) {
      std::cout << options.help() << "Example:\n  " << example << "\n";
      exit_code = 0;
      return std::nullopt;
    }
    if (!positional.empty() && !result.count(positional)) {
      std::cerr << options.program() << ": missing " << metavar << " (see " << options.program() << " --help)\n";
      exit_code = 2;
      return std::nullopt;
    }
    return result;
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << options.program() << ": " << e.what() << " (see " << options.program() << " --help)\n";
    exit_code = 2;
    return std::nullopt;
  }
}

}  // namespace attnlab::cli
