// How the PostgreSQL backend classifies libpqxx's exceptions (internal).
#pragma once

#include <exception>

#include "store/core/dialect.hpp"

namespace outbreak::store::postgres {

// By SQLSTATE class: 53100 disk_full kNoSpace; 23 (integrity constraint)
// kConstraint; 22 (data exception) kData; 40 (serialization failure,
// deadlock) kRetry; 08 (connection), 28 (authorization), 3D (no such
// database), 53 (other insufficient resources), 57 (operator intervention:
// a shutting-down server, a cancelled query), 55P03 (lock not available),
// 25006 (read-only transaction: a standby) kUnavailable. A lost connection
// (pqxx::broken_connection, or an error without a SQLSTATE, which libpq
// raises itself when the server went away) and an in-doubt commit are
// kUnavailable; pqxx::transaction_rollback (libpqxx 6's serialization
// failure and deadlock) kRetry; conversions of values read kData; anything
// else kInternal.
core::FaultKind classify(const std::exception& error) noexcept;

}  // namespace outbreak::store::postgres
