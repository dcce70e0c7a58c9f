#include "store/postgres/postgres_faults.hpp"

#include <string>

#include <pqxx/pqxx>

namespace outbreak::store::postgres {
namespace {

core::FaultKind classify_sqlstate(const std::string& state) {
  if (state.size() != 5) return core::FaultKind::kUnavailable;  // raised by libpq itself
  if (state == "53100") return core::FaultKind::kNoSpace;
  // Lock not available; a read-only transaction (a standby after a
  // failover), as SQLite's SQLITE_READONLY.
  if (state == "55P03" || state == "25006") return core::FaultKind::kUnavailable;
  const std::string category = state.substr(0, 2);
  if (category == "23") return core::FaultKind::kConstraint;
  if (category == "22") return core::FaultKind::kData;
  if (category == "40") return core::FaultKind::kRetry;
  if (category == "08" || category == "28" || category == "3D" || category == "53" ||
      category == "57") {
    return core::FaultKind::kUnavailable;
  }
  return core::FaultKind::kInternal;
}

}  // namespace

core::FaultKind classify(const std::exception& error) noexcept {
  try {
    if (const auto* fault = dynamic_cast<const core::Fault*>(&error)) return fault->kind();
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
      return classify_sqlstate(sql->sqlstate());
    }
    if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
        dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr ||
        dynamic_cast<const pqxx::statement_completion_unknown*>(&error) != nullptr) {
      return core::FaultKind::kUnavailable;
    }
    // libpqxx 6 raises serialization failures and deadlocks as these.
    if (dynamic_cast<const pqxx::transaction_rollback*>(&error) != nullptr) {
      return core::FaultKind::kRetry;
    }
    if (dynamic_cast<const pqxx::conversion_error*>(&error) != nullptr) {
      return core::FaultKind::kData;
    }
    return core::FaultKind::kInternal;
  } catch (...) {  // std::string's allocation
    return core::FaultKind::kInternal;
  }
}

}  // namespace outbreak::store::postgres
