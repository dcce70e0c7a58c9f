// The one mapping from a classified fault to an Error, shared by every
// backend (internal to the store module), so that the same fault gives the
// same ErrorCode whatever the database.
#pragma once

#include <exception>
#include <string_view>

#include "outbreak/util/result.hpp"
#include "store/core/dialect.hpp"

namespace outbreak::store::core {

// kUnavailable and kRetry (a race still lost after the core's reruns) ->
// kIo; kNoSpace -> kResource; kConstraint -> kInvalidInput; kData and
// kInternal -> kInternal.
ErrorCode error_code_for(FaultKind kind);

// The Error for `what` (an exception's message) of kind `kind`, raised by
// the database named `label` and `display_url` (e.g. "PostgreSQL at",
// "postgresql://me:***@db/outbreak"): "<label> <url>: <what>", with "no
// space left to write" said for kNoSpace, trailing newlines dropped, and
// the message scrubbed (outbreak::store::scrub: URLs redacted, `secret`,
// a password that may be empty, hidden where it stands as one).
Error to_error(FaultKind kind, std::string_view label, std::string_view display_url,
               std::string_view what, std::string_view secret);

// The same for an exception, classified by `dialect`.
Error to_error(const Dialect& dialect, const std::exception& error, std::string_view display_url,
               std::string_view secret);

}  // namespace outbreak::store::core
