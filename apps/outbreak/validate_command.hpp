// `outbreak validate FILE.json`: check a scenario file and show it resolved.
#pragma once

#include <string>

namespace outbreak::cli {

// Prints the scenario in `path`, every key with defaults filled in, as JSON
// on stdout. Returns the exit status; errors go to stderr.
int validate_command(const std::string& path);

}  // namespace outbreak::cli
