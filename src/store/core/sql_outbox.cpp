// SqlStore: the outbox and the mail addresses.
#include <fmt/format.h>

#include "store/common.hpp"
#include "store/core/records.hpp"
#include "store/core/sql.hpp"
#include "store/core/sql_store.hpp"

namespace outbreak::store::core {

Result<std::optional<MailRecord>> SqlStore::claim_mail(TimePoint now, Duration lease) {
  using Claimed = std::optional<MailRecord>;
  return transaction<Claimed>(TxnMode::kWrite, [&]() -> Result<Claimed> {
    auto rows = query(sql_->next_mail, {now});
    if (!rows->next()) return Claimed{};
    MailRecord mail = read_mail(*rows);
    rows.reset();
    execute(sql_->take_mail, {now + lease, mail.id});
    // The row as the UPDATE left it (it is locked: nothing else changed it).
    mail.attempts += 1;
    mail.next_attempt_at = now + lease;
    return Claimed{std::move(mail)};
  });
}

Status SqlStore::mark_mail_sent(std::int64_t id, MailStatus how, TimePoint now) {
  if (auto valid = detail::validate_sent_status(how); !valid) return valid;
  return call<Ok>([&]() -> Status {
    if (execute(sql_->mail_sent, {std::string(to_string(how)), now, id}) == 0) {
      return detail::mail_not_found(id);
    }
    return Ok{};
  });
}

Status SqlStore::mark_mail_retry(std::int64_t id, std::string_view error,
                                 TimePoint next_attempt_at) {
  return call<Ok>([&]() -> Status {
    if (execute(sql_->mail_retry, {std::string(error), next_attempt_at, id}) == 0) {
      return detail::mail_not_found(id);
    }
    return Ok{};
  });
}

Status SqlStore::mark_mail_failed(std::int64_t id, std::string_view error, TimePoint now) {
  return call<Ok>([&]() -> Status {
    if (execute(sql_->mail_failed, {std::string(error), now, id}) == 0) {
      return detail::mail_not_found(id);
    }
    return Ok{};
  });
}

Result<std::vector<MailRecord>> SqlStore::list_mail(std::optional<MailStatus> status, int limit) {
  using Mails = std::vector<MailRecord>;
  if (limit < 0) return Error::invalid(fmt::format("limit must be ≥ 0, got {}", limit));
  return call<Mails>([&]() -> Result<Mails> {
    auto rows = status ? query(sql_->list_mail_status,
                               {std::string(to_string(*status)), std::int64_t{limit}})
                       : query(sql_->list_mail_all, {std::int64_t{limit}});
    Mails mails;
    while (rows->next()) mails.push_back(read_mail(*rows));
    return mails;
  });
}

Status SqlStore::retry_mail(std::int64_t id, TimePoint now) {
  return transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    auto rows = query(sql_->lock_mail_status, {id});
    if (!rows->next()) return detail::mail_not_found(id);
    const std::string status = rows->text(0);
    rows.reset();
    if (status != "failed") return detail::cannot_retry_mail_error(id, status);
    execute(sql_->requeue_mail, {now, id});
    return Ok{};
  });
}

Result<MailCounts> SqlStore::mail_counts() {
  return call<MailCounts>([&]() -> Result<MailCounts> {
    auto rows = query("SELECT status, COUNT(*) FROM outbox GROUP BY status");
    MailCounts counts;
    while (rows->next()) detail::count_mail(rows->text(0), rows->int64(1), counts);
    return counts;
  });
}

Result<std::int64_t> SqlStore::count_mail_sent_since(std::string_view recipient, TimePoint since) {
  return call<std::int64_t>([&]() -> Result<std::int64_t> {
    auto rows = query(sql_->count_sent_since, {detail::address_key(recipient), since});
    return rows->next() ? rows->int64(0) : 0;
  });
}

Result<MailAddressRecord> SqlStore::mail_address(std::string_view address, std::string_view token,
                                                 TimePoint now) {
  if (auto valid = detail::validate_address_row(address, token); !valid) return valid.error();
  const std::string key = detail::address_key(address);
  return transaction<MailAddressRecord>(TxnMode::kWrite, [&]() -> Result<MailAddressRecord> {
    execute(sql_->insert_address, {key, std::string(token), now});
    auto rows = query(sql_->address, {key});
    if (!rows->next()) return detail::address_not_found(key);
    return read_address(*rows);
  });
}

Status SqlStore::mark_confirmation_requested(std::string_view address, TimePoint now) {
  const std::string key = detail::address_key(address);
  return call<Ok>([&]() -> Status {
    if (execute(sql_->confirmation_requested, {now, key}) == 0) {
      return detail::address_not_found(key);
    }
    return Ok{};
  });
}

Result<MailAddressRecord> SqlStore::mail_address_by_token(std::string_view token) {
  return call<MailAddressRecord>([&]() -> Result<MailAddressRecord> {
    auto rows = query(sql_->address_by_token, {std::string(token)});
    if (!rows->next()) return detail::token_not_found();
    return read_address(*rows);
  });
}

Result<MailAddressRecord> SqlStore::confirm_mail_address(std::string_view token, TimePoint now) {
  return transaction<MailAddressRecord>(TxnMode::kWrite, [&]() -> Result<MailAddressRecord> {
    auto rows = query(sql_->lock_address_by_token, {std::string(token)});
    if (!rows->next()) return detail::token_not_found();
    MailAddressRecord record = read_address(*rows);
    rows.reset();
    if (!record.confirmed_at) {
      execute(sql_->confirm_address, {now, std::string(token)});
      record.confirmed_at = now;
    }
    execute(sql_->release_held_mail, {now, record.address, now});
    return record;
  });
}

}  // namespace outbreak::store::core
