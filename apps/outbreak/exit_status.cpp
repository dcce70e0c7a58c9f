#include "exit_status.hpp"

#include <iostream>

#include "outbreak/io/scenario_json.hpp"

namespace outbreak::cli {

int exit_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound:
    case ErrorCode::kResource:
      return kExitBadInput;
    case ErrorCode::kIo:
    case ErrorCode::kCancelled:
    case ErrorCode::kLeaseLost:
    case ErrorCode::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

int report(const Error& error, int exit_status) {
  std::cerr << "error: " << io::describe(error) << '\n' << std::flush;
  return exit_status;
}

int report(const Error& error) { return report(error, exit_status_for(error.code)); }

}  // namespace outbreak::cli
