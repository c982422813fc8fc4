#pragma once
// Shared by the subcommands: parsing with cxxopts, where a bad command line is one
// line on stderr and exit code 2.

#include <cxxopts.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::cli {

/// Takes every value of the repeatable option --NAME out of argv ("--NAME VALUE" or
/// "--NAME=VALUE"), whole: cxxopts splits a vector option's values at commas, which breaks
/// "--set /data/test_lengths=[5,30]". Declare the option to cxxopts too, for --help; a --NAME
/// with nothing after it stays in argv for cxxopts to report.
inline std::vector<std::string> take_whole_values(int& argc, char** argv, const std::string& name) {
  const std::string flag = "--" + name, with_equals = flag + "=";
  std::vector<std::string> values;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {  // the rest is positional
      while (i < argc) argv[kept++] = argv[i++];
      break;
    }
    if (arg == flag && i + 1 < argc) {
      values.push_back(argv[++i]);
    } else if (arg.rfind(with_equals, 0) == 0) {
      values.push_back(arg.substr(with_equals.size()));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return values;
}

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
