#include "store/core/standard_sql.hpp"

namespace outbreak::store::core {

std::string on_conflict_clause(std::span<const std::string_view> key,
                               std::span<const std::string_view> update) {
  std::string sql = "ON CONFLICT (";
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += key[i];
  }
  if (update.empty()) return sql + ") DO NOTHING";
  sql += ") DO UPDATE SET ";
  for (std::size_t i = 0; i < update.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += std::string(update[i]) + " = excluded." + std::string(update[i]);
  }
  return sql;
}

}  // namespace outbreak::store::core

namespace outbreak::store::core {

std::string column_list(const RowBatch& batch) {
  std::string out;
  for (const auto& column : batch.columns) {
    if (!out.empty()) out += ", ";
    out += column.name;
  }
  return out;
}

std::vector<std::string_view> updated_columns(const RowBatch& batch) {
  std::vector<std::string_view> out;
  for (const auto& column : batch.columns) {
    bool in_key = false;
    for (const auto& key : batch.key) in_key = in_key || key == column.name;
    if (!in_key) out.push_back(column.name);
  }
  return out;
}

}  // namespace outbreak::store::core

namespace outbreak::store::core {

std::string Dialect::upsert_clause(std::span<const std::string_view> key,
                                   std::span<const std::string_view> update) const {
  return on_conflict_clause(key, update);
}

std::string Dialect::ignore_clause(std::span<const std::string_view> key) const {
  return on_conflict_clause(key, {});
}

}  // namespace outbreak::store::core
