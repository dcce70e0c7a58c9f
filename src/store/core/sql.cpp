#include "store/core/sql.hpp"

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/core/records.hpp"
#include "store/sql_columns.hpp"

namespace outbreak::store::core {
namespace {

constexpr std::string_view kHeld = "id = ? AND worker_id = ? AND status = 'running'";

}  // namespace

std::string select_days_sql(bool one_replicate) {
  return fmt::format(
      "SELECT replicate, {} FROM simulation_days WHERE simulation_id = ?{} ORDER BY replicate, day",
      detail::days_table_columns(), one_replicate ? " AND replicate = ?" : "");
}

SqlStore::Sql::Sql(const Dialect& d) {
  const std::string t = d.time_param();
  const std::string records = record_columns(d);
  const std::string mails = mail_columns(d);
  const std::string addresses = address_columns(d);
  const std::string_view lock = d.lock_rows();

  record_migration =
      fmt::format("INSERT INTO schema_migrations (version, applied_at) VALUES (?, {})", t);

  insert_simulation = fmt::format(
      "INSERT INTO simulations (id, name, status, scenario_json, email, created_at, days, "
      "replicates, max_attempts, link_base) VALUES (?, ?, 'queued', ?, ?, {}, ?, ?, ?, ?)",
      t);
  get = fmt::format("SELECT {} FROM simulations WHERE id = ?", records);
  list_all =
      fmt::format("SELECT {} FROM simulations ORDER BY created_at DESC, id LIMIT ?", records);
  list_status = fmt::format(
      "SELECT {} FROM simulations WHERE status = ? ORDER BY created_at DESC, id LIMIT ?", records);
  lock_status = fmt::format("SELECT status FROM simulations WHERE id = ?{}", lock);
  lock_held = fmt::format("SELECT 1 FROM simulations WHERE {}{}", kHeld, lock);
  lock_held_cancel =
      fmt::format("SELECT cancel_requested FROM simulations WHERE {}{}", kHeld, lock);
  cancel_requested = "SELECT cancel_requested FROM simulations WHERE id = ?";
  // The claim order: created_at, then id.
  next_queued = fmt::format(
      "SELECT {} FROM simulations WHERE status = 'queued' ORDER BY created_at, id LIMIT 1{}",
      records, d.skip_locked());
  claim = fmt::format(
      "UPDATE simulations SET status = 'running', worker_id = ?, attempts = attempts + 1, claims "
      "= claims + 1, started_at = {0}, lease_expires_at = {0}, progress_replicate = NULL, "
      "progress_day = NULL WHERE id = ?",
      t);
  remove_results = {
      "DELETE FROM simulation_days WHERE simulation_id = ?",
      "DELETE FROM simulation_age_totals WHERE simulation_id = ?",
      "DELETE FROM simulation_figures WHERE simulation_id = ?",
      "DELETE FROM simulation_summary WHERE simulation_id = ?",
  };
  renew = fmt::format("UPDATE simulations SET lease_expires_at = {} WHERE {}", t, kHeld);
  renew_progress = fmt::format(
      "UPDATE simulations SET lease_expires_at = {}, progress_replicate = ?, progress_day = ? "
      "WHERE {}",
      t, kHeld);
  finish = fmt::format(
      "UPDATE simulations SET status = ?, finished_at = {}, lease_expires_at = NULL, error = ? "
      "WHERE {}",
      t, kHeld);
  release_cancelled = fmt::format(
      "UPDATE simulations SET status = 'cancelled', finished_at = {}, lease_expires_at = NULL, "
      "attempts = attempts - 1 WHERE id = ?",
      t);
  release_queued =
      "UPDATE simulations SET status = 'queued', finished_at = NULL, worker_id = NULL, "
      "lease_expires_at = NULL, attempts = attempts - 1 WHERE id = ?";
  expired = fmt::format(
      "SELECT id, worker_id, cancel_requested, attempts, max_attempts FROM simulations WHERE "
      "status = 'running' AND lease_expires_at < {} ORDER BY id{}",
      t, lock);
  requeue = fmt::format(
      "UPDATE simulations SET status = ?, finished_at = {}, worker_id = ?, error = ?, "
      "lease_expires_at = NULL WHERE id = ?",
      t);
  cancel_queued =
      fmt::format("UPDATE simulations SET status = 'cancelled', finished_at = {} WHERE id = ?", t);
  retry =
      "UPDATE simulations SET status = 'queued', attempts = 0, cancel_requested = FALSE, "
      "started_at = NULL, finished_at = NULL, worker_id = NULL, lease_expires_at = NULL WHERE id "
      "= ?";
  finished_before = fmt::format(
      "SELECT id FROM simulations WHERE status IN ('succeeded', 'failed', 'cancelled') AND "
      "finished_at < {} ORDER BY finished_at, id LIMIT ?{}",
      t, lock);

  if (const std::optional<std::string> notify = d.one_statement_notify()) {
    // The mail rows take their times from the row the WITH returned: the
    // same values the transactions bind.
    enqueue_one = fmt::format(
        "WITH s AS ({} RETURNING id, email, created_at), m AS (INSERT INTO outbox (simulation_id, "
        "kind, recipient, created_at, next_attempt_at) SELECT id, ?, email, created_at, "
        "created_at FROM s WHERE email IS NOT NULL) SELECT {} FROM s",
        insert_simulation, *notify);
    std::string removes;
    for (const char* table :
         {"simulation_days", "simulation_age_totals", "simulation_figures", "simulation_summary"}) {
      removes += fmt::format(
          ", r_{0} AS (DELETE FROM {0} WHERE simulation_id IN (SELECT id FROM c))", table);
    }
    claim_one = fmt::format(
        "WITH c AS (UPDATE simulations SET status = 'running', worker_id = ?, attempts = attempts "
        "+ 1, claims = claims + 1, started_at = {0}, lease_expires_at = {0}, progress_replicate = "
        "NULL, progress_day = NULL WHERE status = 'queued' AND id = (SELECT id FROM simulations "
        "WHERE status = 'queued' ORDER BY created_at, id LIMIT 1{1}) RETURNING {2}){3} SELECT * "
        "FROM c",
        t, d.skip_locked(), records, removes);
    finish_one = fmt::format(
        "WITH u AS (UPDATE simulations SET status = ?, finished_at = {0}, lease_expires_at = NULL, "
        "error = ? WHERE {1} RETURNING id, email, finished_at), m AS (INSERT INTO outbox "
        "(simulation_id, kind, recipient, created_at, next_attempt_at) SELECT id, ?, email, "
        "finished_at, finished_at FROM u WHERE email IS NOT NULL) SELECT id FROM u",
        t, kHeld);
  }

  insert_mail = fmt::format(
      "INSERT INTO outbox (simulation_id, kind, recipient, created_at, next_attempt_at) VALUES "
      "(?, ?, ?, {0}, {0})",
      t);
  queue_mail = fmt::format(
      "INSERT INTO outbox (simulation_id, kind, recipient, created_at, next_attempt_at) SELECT "
      "id, ?, email, {0}, {0} FROM simulations WHERE id = ? AND email IS NOT NULL",
      t);
  next_mail = fmt::format(
      "SELECT {} FROM outbox WHERE status = 'pending' AND next_attempt_at <= {} ORDER BY "
      "next_attempt_at, id LIMIT 1{}",
      mails, t, d.skip_locked());
  take_mail = fmt::format(
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = {} WHERE id = ?", t);
  mail_sent = fmt::format("UPDATE outbox SET status = ?, sent_at = {} WHERE id = ?", t);
  mail_retry =
      fmt::format("UPDATE outbox SET last_error = ?, next_attempt_at = {} WHERE id = ?", t);
  mail_failed = fmt::format(
      "UPDATE outbox SET status = 'failed', last_error = ?, next_attempt_at = {} WHERE id = ?", t);
  list_mail_all = fmt::format("SELECT {} FROM outbox ORDER BY id DESC LIMIT ?", mails);
  list_mail_status =
      fmt::format("SELECT {} FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?", mails);
  lock_mail_status = fmt::format("SELECT status FROM outbox WHERE id = ?{}", lock);
  requeue_mail = fmt::format(
      "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = {} WHERE id = ?", t);
  count_sent_since = fmt::format(
      "SELECT COUNT(*) FROM outbox WHERE lower(recipient) = ? AND status IN ('sent', 'logged') "
      "AND sent_at >= {}",
      t);

  const std::array<std::string_view, 1> address_key{"address"};
  insert_address =
      fmt::format("INSERT INTO mail_addresses (address, token, created_at) VALUES (?, ?, {}) {}", t,
                  d.ignore_clause(address_key));
  address = fmt::format("SELECT {} FROM mail_addresses WHERE address = ?", addresses);
  address_by_token = fmt::format("SELECT {} FROM mail_addresses WHERE token = ?", addresses);
  lock_address_by_token = address_by_token + std::string(lock);
  confirm_address = fmt::format(
      "UPDATE mail_addresses SET confirmed_at = COALESCE(confirmed_at, {}) WHERE token = ?", t);
  release_held_mail = fmt::format(
      "UPDATE outbox SET next_attempt_at = {0} WHERE lower(recipient) = ? AND status = 'pending' "
      "AND next_attempt_at > {0}",
      t);
  confirmation_requested =
      fmt::format("UPDATE mail_addresses SET requested_at = {} WHERE address = ?", t);

  select_days = select_days_sql(false);
  select_days_of = select_days_sql(true);
  select_summary = fmt::format(
      "SELECT day, statistic, {} FROM simulation_summary WHERE simulation_id = ? ORDER BY day",
      detail::day_column_list(1));
  select_age_totals = fmt::format(
      "SELECT replicate, band, {} FROM simulation_age_totals WHERE simulation_id = ? ORDER BY "
      "replicate, band",
      detail::age_column_list());
  select_figures = fmt::format(
      "SELECT replicate, {} FROM simulation_figures WHERE simulation_id = ? ORDER BY replicate",
      detail::kFigureColumns);
}

}  // namespace outbreak::store::core
