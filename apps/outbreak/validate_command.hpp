// `outbreak validate FILE.json`: check a scenario file and show it resolved.
#pragma once

#include <optional>
#include <string>

namespace outbreak::cli {

// Prints the scenario in `path` (on top of `preset`, if named), every key
// with defaults filled in, as JSON on stdout. Returns the exit status; errors
// go to stderr, every problem at once, array entries as `key[i]`.
int validate_command(const std::string& path, const std::optional<std::string>& preset);

}  // namespace outbreak::cli
