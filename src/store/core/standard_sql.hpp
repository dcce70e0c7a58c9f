// SQL text for Dialect implementations (internal to the store): what
// SQLite and PostgreSQL share, and helpers for RowBatch.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/core/dialect.hpp"

namespace outbreak::store::core {

// "ON CONFLICT (k1, k2) DO UPDATE SET c = excluded.c, ..."; DO NOTHING when
// `update` is empty.
std::string on_conflict_clause(std::span<const std::string_view> key,
                               std::span<const std::string_view> update);

// "c1, c2, ...": the batch's column names.
std::string column_list(const RowBatch& batch);
// The batch's columns that are not in its key (those an upsert replaces).
std::vector<std::string_view> updated_columns(const RowBatch& batch);

}  // namespace outbreak::store::core
