// The range of engine thread counts the commands accept.
#pragma once

#include <string_view>

#include "outbreak/util/result.hpp"

namespace outbreak::cli {

// The most threads a command accepts: 4 per hardware thread (1 hardware
// thread if the count is unknown). More would not run faster, and tens of
// thousands crash TBB.
int max_threads();

// Ok if 1 <= threads <= max_threads(); else kInvalidInput naming `flag`, the
// value and the allowed range.
Status check_threads(std::string_view flag, int threads);

}  // namespace outbreak::cli
