// The outbox and the status counts of the PostgreSQL backend.
#include <fmt/format.h>

#include "store/common.hpp"
#include "store/postgres/postgres_records.hpp"
#include "store/postgres/postgres_store.hpp"

namespace outbreak::store::postgres {

Result<StatusCounts> PostgresStore::count_by_status() {
  return guarded<StatusCounts>([&]() -> Result<StatusCounts> {
    pqxx::nontransaction txn(*conn_);
    StatusCounts counts;
    for (const auto& row : txn.exec("SELECT status, COUNT(*) FROM simulations GROUP BY status")) {
      detail::count_status(row[0].as<std::string>(), row[1].as<std::int64_t>(), counts);
    }
    return counts;
  });
}

Result<std::int64_t> PostgresStore::delete_finished_before(TimePoint cutoff, int limit) {
  if (limit < 1) return Error::invalid(fmt::format("limit must be ≥ 1, got {}", limit));
  return guarded<std::int64_t>([&]() -> Result<std::int64_t> {
    pqxx::nontransaction txn(*conn_);
    // The foreign keys cascade to the days, totals, summary and outbox.
    static const std::string sql = fmt::format(
        "DELETE FROM simulations WHERE id IN (SELECT id FROM simulations WHERE status IN "
        "('succeeded', 'failed', 'cancelled') AND finished_at < {} ORDER BY finished_at, id "
        "LIMIT $2)",
        ts(1));
    const auto result = txn.exec_params(sql, micros(cutoff), limit);
    return static_cast<std::int64_t>(result.affected_rows());
  });
}

Result<std::optional<MailRecord>> PostgresStore::claim_mail(TimePoint now, Duration lease) {
  using Claimed = std::optional<MailRecord>;
  return guarded<Claimed>([&]() -> Result<Claimed> {
    pqxx::nontransaction txn(*conn_);
    static const std::string sql = fmt::format(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = {} WHERE id = (SELECT id "
        "FROM outbox WHERE status = 'pending' AND next_attempt_at <= {} ORDER BY "
        "next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {}",
        ts(1), ts(2), mail_columns());
    const auto rows = txn.exec_params(sql, micros(now + lease), micros(now));
    if (rows.empty()) return Claimed{};
    return Claimed{read_mail(rows[0])};
  });
}

Status PostgresStore::mark_mail_sent(std::int64_t id, MailStatus how, TimePoint now) {
  if (auto valid = detail::validate_sent_status(how); !valid) return valid;
  return guarded<Ok>([&]() -> Status {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("UPDATE outbox SET status = $2, sent_at = {} WHERE id = $1 RETURNING id",
                    ts(3)),
        id, std::string(to_string(how)), micros(now));
    if (rows.empty()) return detail::mail_not_found(id);
    return Ok{};
  });
}

Status PostgresStore::mark_mail_retry(std::int64_t id, std::string_view error,
                                      TimePoint next_attempt_at) {
  return guarded<Ok>([&]() -> Status {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("UPDATE outbox SET last_error = $2, next_attempt_at = {} WHERE id = $1 "
                    "RETURNING id",
                    ts(3)),
        id, std::string(error), micros(next_attempt_at));
    if (rows.empty()) return detail::mail_not_found(id);
    return Ok{};
  });
}

Status PostgresStore::mark_mail_failed(std::int64_t id, std::string_view error, TimePoint now) {
  return guarded<Ok>([&]() -> Status {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("UPDATE outbox SET status = 'failed', last_error = $2, next_attempt_at = {} "
                    "WHERE id = $1 RETURNING id",
                    ts(3)),
        id, std::string(error), micros(now));
    if (rows.empty()) return detail::mail_not_found(id);
    return Ok{};
  });
}

Result<std::vector<MailRecord>> PostgresStore::list_mail(std::optional<MailStatus> status,
                                                         int limit) {
  using Mails = std::vector<MailRecord>;
  if (limit < 0) return Error::invalid(fmt::format("limit must be ≥ 0, got {}", limit));
  const std::optional<std::string> wanted =
      status ? std::optional<std::string>(std::string(to_string(*status))) : std::nullopt;
  return guarded<Mails>([&]() -> Result<Mails> {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("SELECT {} FROM outbox WHERE ($1::TEXT IS NULL OR status = $1) ORDER BY id "
                    "DESC LIMIT $2",
                    mail_columns()),
        wanted ? wanted->c_str() : nullptr, limit);
    Mails mails;
    for (const auto& row : rows) mails.push_back(read_mail(row));
    return mails;
  });
}

Status PostgresStore::retry_mail(std::int64_t id, TimePoint now) {
  return guarded<Ok>([&]() -> Status {
    pqxx::work txn(*conn_);
    const auto rows = txn.exec_params("SELECT status FROM outbox WHERE id = $1 FOR UPDATE", id);
    if (rows.empty()) return detail::mail_not_found(id);
    const auto status = rows[0][0].as<std::string>();
    if (status != "failed") return detail::cannot_retry_mail_error(id, status);
    txn.exec_params(fmt::format("UPDATE outbox SET status = 'pending', attempts = 0, "
                                "next_attempt_at = {} WHERE id = $1",
                                ts(2)),
                    id, micros(now));
    txn.commit();
    return Ok{};
  });
}

Result<MailCounts> PostgresStore::mail_counts() {
  return guarded<MailCounts>([&]() -> Result<MailCounts> {
    pqxx::nontransaction txn(*conn_);
    MailCounts counts;
    for (const auto& row : txn.exec("SELECT status, COUNT(*) FROM outbox GROUP BY status")) {
      detail::count_mail(row[0].as<std::string>(), row[1].as<std::int64_t>(), counts);
    }
    return counts;
  });
}

Result<std::int64_t> PostgresStore::count_mail_sent_since(std::string_view recipient,
                                                          TimePoint since) {
  return guarded<std::int64_t>([&]() -> Result<std::int64_t> {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("SELECT COUNT(*) FROM outbox WHERE lower(recipient) = $1 AND status IN "
                    "('sent', 'logged') AND sent_at >= {}",
                    ts(2)),
        detail::address_key(recipient), micros(since));
    return rows[0][0].as<std::int64_t>();
  });
}

Result<MailAddressRecord> PostgresStore::mail_address(std::string_view address,
                                                      std::string_view token, TimePoint now) {
  if (auto valid = detail::validate_address_row(address, token); !valid) return valid.error();
  const std::string key = detail::address_key(address);
  return guarded<MailAddressRecord>([&]() -> Result<MailAddressRecord> {
    pqxx::work txn(*conn_);
    txn.exec_params(fmt::format("INSERT INTO mail_addresses (address, token, created_at) VALUES "
                                "($1, $2, {}) ON CONFLICT (address) DO NOTHING",
                                ts(3)),
                    key, std::string(token), micros(now));
    const auto rows = txn.exec_params(
        fmt::format("SELECT {} FROM mail_addresses WHERE address = $1", address_columns()), key);
    if (rows.empty()) return detail::address_not_found(key);
    MailAddressRecord record = read_address(rows[0]);
    txn.commit();
    return record;
  });
}

Status PostgresStore::mark_confirmation_requested(std::string_view address, TimePoint now) {
  const std::string key = detail::address_key(address);
  return guarded<Ok>([&]() -> Status {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("UPDATE mail_addresses SET requested_at = {} WHERE address = $1 RETURNING "
                    "address",
                    ts(2)),
        key, micros(now));
    if (rows.empty()) return detail::address_not_found(key);
    return Ok{};
  });
}

Result<MailAddressRecord> PostgresStore::mail_address_by_token(std::string_view token) {
  return guarded<MailAddressRecord>([&]() -> Result<MailAddressRecord> {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("SELECT {} FROM mail_addresses WHERE token = $1", address_columns()),
        std::string(token));
    if (rows.empty()) return detail::token_not_found();
    return read_address(rows[0]);
  });
}

Result<MailAddressRecord> PostgresStore::confirm_mail_address(std::string_view token,
                                                              TimePoint now) {
  return guarded<MailAddressRecord>([&]() -> Result<MailAddressRecord> {
    pqxx::work txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("UPDATE mail_addresses SET confirmed_at = coalesce(confirmed_at, {}) WHERE "
                    "token = $1 RETURNING {}",
                    ts(2), address_columns()),
        std::string(token), micros(now));
    if (rows.empty()) return detail::token_not_found();
    MailAddressRecord record = read_address(rows[0]);
    txn.exec_params(fmt::format("UPDATE outbox SET next_attempt_at = {0} WHERE lower(recipient) = "
                                "$1 AND status = 'pending' AND next_attempt_at > {0}",
                                ts(2)),
                    record.address, micros(now));
    txn.commit();
    return record;
  });
}

}  // namespace outbreak::store::postgres
