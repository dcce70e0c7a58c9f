// The store core's statements, in the neutral SQL of dialect.hpp, written
// once per store from its dialect (internal to the store core).
#pragma once

#include <array>
#include <string>

#include "store/core/dialect.hpp"
#include "store/core/sql_store.hpp"

namespace outbreak::store::core {

// "SELECT replicate, <day columns> FROM simulation_days ...": of every
// replicate (the id bound), or of one (the id, then the replicate). Two
// statements, not "? IS NULL OR replicate = ?": SQLite plans that without
// knowing the parameter and reads every row of the job to find one
// replicate's.
std::string select_days_sql(bool one_replicate);

struct SqlStore::Sql {
  explicit Sql(const Dialect& dialect);

  std::string record_migration;
  // Simulations.
  std::string insert_simulation;
  std::string get;
  std::string list_all;
  std::string list_status;
  std::string lock_status;
  std::string lock_held;
  std::string lock_held_cancel;
  std::string cancel_requested;
  std::string next_queued;
  std::string claim;
  std::array<std::string, 4> remove_results;
  std::string renew;
  std::string renew_progress;
  std::string finish;
  std::string release_cancelled;
  std::string release_queued;
  std::string expired;
  std::string requeue;
  std::string cancel_queued;
  std::string retry;
  std::string finished_before;
  // The outbox.
  std::string insert_mail;
  std::string queue_mail;
  std::string next_mail;
  std::string take_mail;
  std::string mail_sent;
  std::string mail_retry;
  std::string mail_failed;
  std::string list_mail_all;
  std::string list_mail_status;
  std::string lock_mail_status;
  std::string requeue_mail;
  std::string count_sent_since;
  // Mail addresses.
  std::string insert_address;
  std::string address;
  std::string address_by_token;
  std::string lock_address_by_token;
  std::string confirm_address;
  std::string release_held_mail;
  std::string confirmation_requested;
  // The one-statement forms of enqueue, claim and finish, when the dialect
  // has them (Dialect::one_statement_notify()); empty otherwise.
  // enqueue_one: insert_simulation's parameters, then the accepted mail's
  // kind; one row (the notification) per job inserted.
  // claim_one: worker id, started_at, lease_expires_at; the claimed job's
  // record (record_columns()), or no row.
  // finish_one: finish's parameters, then the mail's kind; one row if the
  // lease was held.
  std::string enqueue_one;
  std::string claim_one;
  std::string finish_one;
  // Results.
  std::string select_days;
  std::string select_days_of;
  std::string select_summary;
  std::string select_age_totals;
  std::string select_figures;
};

}  // namespace outbreak::store::core
