#include "store/core/errors.hpp"

#include <string>

#include <fmt/format.h>

#include "outbreak/store/url.hpp"

namespace outbreak::store::core {

ErrorCode error_code_for(FaultKind kind) {
  switch (kind) {
    case FaultKind::kUnavailable:
    case FaultKind::kRetry:
      return ErrorCode::kIo;
    case FaultKind::kNoSpace:
      return ErrorCode::kResource;
    case FaultKind::kConstraint:
      return ErrorCode::kInvalidInput;
    case FaultKind::kData:
    case FaultKind::kInternal:
      return ErrorCode::kInternal;
  }
  return ErrorCode::kInternal;
}

Error to_error(FaultKind kind, std::string_view label, std::string_view display_url,
               std::string_view what, std::string_view secret) {
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.remove_suffix(1);
  const std::string_view note = kind == FaultKind::kNoSpace
                                    ? "no space left to write (the disk or a size limit is full): "
                                    : "";
  return Error::make(error_code_for(kind),
                     scrub(fmt::format("{} {}: {}{}", label, display_url, note, what), secret));
}

Error to_error(const Dialect& dialect, const std::exception& error, std::string_view display_url,
               std::string_view secret) {
  return to_error(dialect.classify(error), dialect.label(), display_url, error.what(), secret);
}

}  // namespace outbreak::store::core
