// Exit statuses shared by every subcommand, so that scripts can tell a typo
// in their input from a failed run.
#pragma once

#include "outbreak/util/result.hpp"

namespace outbreak::cli {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;   // the run failed: I/O, interrupted, a bug
inline constexpr int kExitBadInput = 2;  // the input is wrong; fixing it helps

// The status for an error the user caused (bad input, a missing thing, too
// little memory for what they asked) or did not (everything else).
int exit_status_for(ErrorCode code);

// Prints "error: " and io::describe(error) to stderr; returns `exit_status`.
int report(const Error& error, int exit_status);

// report() with the status exit_status_for() picks.
int report(const Error& error);

}  // namespace outbreak::cli
