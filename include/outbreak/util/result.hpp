// Result<T>: a value or an Error, for failures the caller is expected to handle.
//
// Library code returns Result for every failure a user can cause (bad input,
// missing file, not enough memory); exceptions are reserved for broken
// invariants and are caught at the edges (CLI main, request handlers).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace outbreak {

enum class ErrorCode {
  kInvalidInput,  // the user's input is wrong; fix it and retry (CLI exit 2)
  kNotFound,      // a named thing does not exist
  kResource,      // not enough memory or another resource (checked before use)
  kIo,            // a file or stream could not be read or written
  kCancelled,     // stopped on request
  kLeaseLost,     // the caller no longer holds what it worked on (a job's lease)
  kInternal,      // a bug or an unexpected failure of the environment
};

// One problem with one named input field, e.g. {"population", "must be ≥ 1, got 0"}.
struct FieldError {
  std::string field;
  std::string message;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;             // one sentence a person can act on
  std::vector<FieldError> fields;  // every bad field, not only the first

  static Error invalid(std::string message, std::vector<FieldError> fields = {}) {
    return Error{ErrorCode::kInvalidInput, std::move(message), std::move(fields)};
  }
  static Error make(ErrorCode code, std::string message) {
    return Error{code, std::move(message), {}};
  }
};

// Holds either a T or an Error. Accessing the wrong alternative is a bug and
// throws std::bad_variant_access.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;

}  // namespace outbreak
