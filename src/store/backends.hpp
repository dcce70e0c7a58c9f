// Which store backends this binary was built with, and the error for a URL
// of one it was built without (internal to the store module).
#pragma once

#include <string_view>

#include "outbreak/store/url.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::store::detail {

// SQLite is always built; the others follow their CMake options.
struct BuiltBackends {
  bool postgresql = false;  // OUTBREAK_WITH_POSTGRESQL
  bool mysql = false;       // OUTBREAK_WITH_MYSQL
};

// The backends of this binary (defined in open.cpp, from the options).
BuiltBackends built_backends();

// Ok when `backend` is among `built`; otherwise kInvalidInput naming the URL
// (`display_url`, password redacted) and the CMake option that leaves it
// out: "cannot open postgresql://...: this outbreak was built without
// PostgreSQL support (OUTBREAK_WITH_POSTGRESQL=OFF)".
Status require_built(Backend backend, const BuiltBackends& built, std::string_view display_url);

}  // namespace outbreak::store::detail
