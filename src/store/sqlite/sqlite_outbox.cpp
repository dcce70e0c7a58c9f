// The outbox and the status counts of the SQLite backend.
#include <fmt/format.h>

#include "store/common.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace outbreak::store::sqlite {
namespace {

MailRecord read_mail(const Statement& row) {
  MailRecord mail;
  mail.id = row.int64(0);
  mail.simulation_id = row.text(1);
  mail.kind = detail::parse_mail_kind(row.text(2));
  mail.recipient = row.text(3);
  mail.status = detail::parse_mail_status(row.text(4));
  mail.attempts = static_cast<int>(row.int64(5));
  mail.created_at = parse_time(row.text(6));
  mail.next_attempt_at = parse_time(row.text(7));
  mail.sent_at = row.optional_time(8);
  mail.last_error = row.optional_text(9);
  return mail;
}

MailAddressRecord read_address(const Statement& row) {
  MailAddressRecord record;
  record.address = row.text(0);
  record.token = row.text(1);
  record.created_at = parse_time(row.text(2));
  record.requested_at = row.optional_time(3);
  record.confirmed_at = row.optional_time(4);
  return record;
}

}  // namespace

Result<StatusCounts> SqliteStore::count_by_status() {
  return locked<StatusCounts>([&]() -> Result<StatusCounts> {
    Statement select(*db_, "SELECT status, COUNT(*) FROM simulations GROUP BY status");
    StatusCounts counts;
    while (select.step()) detail::count_status(select.text(0), select.int64(1), counts);
    return counts;
  });
}

Result<std::int64_t> SqliteStore::delete_finished_before(TimePoint cutoff, int limit) {
  if (limit < 1) return Error::invalid(fmt::format("limit must be ≥ 1, got {}", limit));
  return locked<std::int64_t>([&]() -> Result<std::int64_t> {
    Transaction txn(*db_);
    // The foreign keys cascade to the days, totals, summary and outbox.
    Statement remove(*db_,
                     "DELETE FROM simulations WHERE id IN (SELECT id FROM simulations WHERE status "
                     "IN ('succeeded', 'failed', 'cancelled') AND finished_at < ? ORDER BY "
                     "finished_at, id LIMIT ?)");
    remove.bind(1, cutoff).bind(2, std::int64_t{limit}).run();
    const std::int64_t deleted = sqlite3_changes(db_->get());
    txn.commit();
    return deleted;
  });
}

Result<std::optional<MailRecord>> SqliteStore::claim_mail(TimePoint now, Duration lease) {
  using Claimed = std::optional<MailRecord>;
  return locked<Claimed>([&]() -> Result<Claimed> {
    Transaction txn(*db_);
    Statement update(*db_,
                     fmt::format("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?1 "
                                 "WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND "
                                 "next_attempt_at <= ?2 ORDER BY next_attempt_at, id LIMIT 1) "
                                 "RETURNING {}",
                                 detail::kMailColumns));
    update.bind(1, now + lease).bind(2, now);
    Claimed claimed;
    if (update.step()) claimed = read_mail(update);
    update.run();
    txn.commit();
    return claimed;
  });
}

bool SqliteStore::update_mail(std::string_view sql, std::int64_t id,
                              const std::optional<std::string>& text,
                              std::optional<TimePoint> time) {
  Statement update(*db_, sql);
  update.bind(1, id).bind(2, text);
  if (time) update.bind(3, *time);
  const bool found = update.step();
  update.run();
  return found;
}

Status SqliteStore::mark_mail_sent(std::int64_t id, MailStatus how, TimePoint now) {
  if (auto valid = detail::validate_sent_status(how); !valid) return valid;
  return locked<Ok>([&]() -> Status {
    if (!update_mail("UPDATE outbox SET status = ?2, sent_at = ?3 WHERE id = ?1 RETURNING id", id,
                     std::string(to_string(how)), now)) {
      return detail::mail_not_found(id);
    }
    return Ok{};
  });
}

Status SqliteStore::mark_mail_retry(std::int64_t id, std::string_view error,
                                    TimePoint next_attempt_at) {
  return locked<Ok>([&]() -> Status {
    if (!update_mail("UPDATE outbox SET last_error = ?2, next_attempt_at = ?3 WHERE id = ?1 "
                     "RETURNING id",
                     id, std::string(error), next_attempt_at)) {
      return detail::mail_not_found(id);
    }
    return Ok{};
  });
}

Status SqliteStore::mark_mail_failed(std::int64_t id, std::string_view error, TimePoint now) {
  return locked<Ok>([&]() -> Status {
    if (!update_mail("UPDATE outbox SET status = 'failed', last_error = ?2, next_attempt_at = ?3 "
                     "WHERE id = ?1 RETURNING id",
                     id, std::string(error), now)) {
      return detail::mail_not_found(id);
    }
    return Ok{};
  });
}

Result<std::vector<MailRecord>> SqliteStore::list_mail(std::optional<MailStatus> status,
                                                       int limit) {
  using Mails = std::vector<MailRecord>;
  if (limit < 0) return Error::invalid(fmt::format("limit must be ≥ 0, got {}", limit));
  return locked<Mails>([&]() -> Result<Mails> {
    Statement select(*db_, fmt::format("SELECT {} FROM outbox WHERE (?1 IS NULL OR status = ?1) "
                                       "ORDER BY id DESC LIMIT ?2",
                                       detail::kMailColumns));
    if (status) select.bind(1, to_string(*status));
    select.bind(2, std::int64_t{limit});
    Mails mails;
    while (select.step()) mails.push_back(read_mail(select));
    return mails;
  });
}

Status SqliteStore::retry_mail(std::int64_t id, TimePoint now) {
  return locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    Statement select(*db_, "SELECT status FROM outbox WHERE id = ?");
    if (!select.bind(1, id).step()) return detail::mail_not_found(id);
    const std::string status = select.text(0);
    if (status != "failed") return detail::cannot_retry_mail_error(id, status);
    Statement update(*db_,
                     "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2 "
                     "WHERE id = ?1");
    update.bind(1, id).bind(2, now).run();
    txn.commit();
    return Ok{};
  });
}

Result<MailCounts> SqliteStore::mail_counts() {
  return locked<MailCounts>([&]() -> Result<MailCounts> {
    Statement select(*db_, "SELECT status, COUNT(*) FROM outbox GROUP BY status");
    MailCounts counts;
    while (select.step()) detail::count_mail(select.text(0), select.int64(1), counts);
    return counts;
  });
}

Result<std::int64_t> SqliteStore::count_mail_sent_since(std::string_view recipient,
                                                        TimePoint since) {
  return locked<std::int64_t>([&]() -> Result<std::int64_t> {
    Statement select(*db_,
                     "SELECT COUNT(*) FROM outbox WHERE lower(recipient) = ?1 AND status IN "
                     "('sent', 'logged') AND sent_at >= ?2");
    const std::string key = detail::address_key(recipient);
    select.bind(1, std::string_view(key)).bind(2, since);
    return select.step() ? select.int64(0) : 0;
  });
}

Result<MailAddressRecord> SqliteStore::mail_address(std::string_view address,
                                                    std::string_view token, TimePoint now) {
  if (auto valid = detail::validate_address_row(address, token); !valid) return valid.error();
  const std::string key = detail::address_key(address);
  const std::string_view key_view(key);
  return locked<MailAddressRecord>([&]() -> Result<MailAddressRecord> {
    Transaction txn(*db_);
    Statement insert(*db_,
                     "INSERT INTO mail_addresses (address, token, created_at) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (address) DO NOTHING");
    insert.bind(1, key_view).bind(2, token).bind(3, now).run();
    Statement select(*db_, fmt::format("SELECT {} FROM mail_addresses WHERE address = ?1",
                                       detail::kAddressColumns));
    if (!select.bind(1, key_view).step()) return detail::address_not_found(key);
    MailAddressRecord record = read_address(select);
    select.reset();
    txn.commit();
    return record;
  });
}

Status SqliteStore::mark_confirmation_requested(std::string_view address, TimePoint now) {
  const std::string key = detail::address_key(address);
  const std::string_view key_view(key);
  return locked<Ok>([&]() -> Status {
    Statement update(*db_,
                     "UPDATE mail_addresses SET requested_at = ?2 WHERE address = ?1 RETURNING "
                     "address");
    update.bind(1, key_view).bind(2, now);
    const bool found = update.step();
    update.run();
    if (!found) return detail::address_not_found(key);
    return Ok{};
  });
}

Result<MailAddressRecord> SqliteStore::mail_address_by_token(std::string_view token) {
  return locked<MailAddressRecord>([&]() -> Result<MailAddressRecord> {
    Statement select(*db_, fmt::format("SELECT {} FROM mail_addresses WHERE token = ?1",
                                       detail::kAddressColumns));
    if (!select.bind(1, token).step()) return detail::token_not_found();
    return read_address(select);
  });
}

Result<MailAddressRecord> SqliteStore::confirm_mail_address(std::string_view token, TimePoint now) {
  return locked<MailAddressRecord>([&]() -> Result<MailAddressRecord> {
    Transaction txn(*db_);
    Statement update(*db_, fmt::format("UPDATE mail_addresses SET confirmed_at = "
                                       "coalesce(confirmed_at, ?2) WHERE token = ?1 RETURNING {}",
                                       detail::kAddressColumns));
    update.bind(1, token).bind(2, now);
    if (!update.step()) return detail::token_not_found();
    MailAddressRecord record = read_address(update);
    update.run();
    Statement release(*db_,
                      "UPDATE outbox SET next_attempt_at = ?2 WHERE lower(recipient) = ?1 AND "
                      "status = 'pending' AND next_attempt_at > ?2");
    release.bind(1, std::string_view(record.address)).bind(2, now).run();
    txn.commit();
    return record;
  });
}

}  // namespace outbreak::store::sqlite
