#include "store/core/records.hpp"

#include <fmt/format.h>

#include "store/common.hpp"

namespace outbreak::store::core {

std::string record_columns(const Dialect& d) {
  return fmt::format(
      "id, name, status, scenario_json, email, {}, {}, {}, progress_replicate, progress_day, days, "
      "replicates, attempts, max_attempts, error, worker_id, {}, cancel_requested, claims, "
      "link_base",
      d.select_time("created_at"), d.select_time("started_at"), d.select_time("finished_at"),
      d.select_time("lease_expires_at"));
}

SimulationRecord read_record(const Rows& row) {
  SimulationRecord record;
  record.id = row.text(0);
  record.name = row.text(1);
  record.status = detail::parse_status(row.text(2));
  record.scenario_json = row.text(3);
  record.email = row.optional_text(4);
  record.created_at = row.time(5);
  record.started_at = row.optional_time(6);
  record.finished_at = row.optional_time(7);
  record.progress_replicate = row.optional_int64(8);
  record.progress_day = row.optional_int64(9);
  record.days = row.int64(10);
  record.replicates = row.int64(11);
  record.attempts = static_cast<int>(row.int64(12));
  record.max_attempts = static_cast<int>(row.int64(13));
  record.error = row.optional_text(14);
  record.worker_id = row.optional_text(15);
  record.lease_expires_at = row.optional_time(16);
  record.cancel_requested = row.boolean(17);
  record.claims = static_cast<int>(row.int64(18));
  record.link_base = row.optional_text(19);
  return record;
}

std::string mail_columns(const Dialect& d) {
  return fmt::format("id, simulation_id, kind, recipient, status, attempts, {}, {}, {}, last_error",
                     d.select_time("created_at"), d.select_time("next_attempt_at"),
                     d.select_time("sent_at"));
}

MailRecord read_mail(const Rows& row) {
  MailRecord mail;
  mail.id = row.int64(0);
  mail.simulation_id = row.text(1);
  mail.kind = detail::parse_mail_kind(row.text(2));
  mail.recipient = row.text(3);
  mail.status = detail::parse_mail_status(row.text(4));
  mail.attempts = static_cast<int>(row.int64(5));
  mail.created_at = row.time(6);
  mail.next_attempt_at = row.time(7);
  mail.sent_at = row.optional_time(8);
  mail.last_error = row.optional_text(9);
  return mail;
}

std::string address_columns(const Dialect& d) {
  return fmt::format("address, token, {}, {}, {}", d.select_time("created_at"),
                     d.select_time("requested_at"), d.select_time("confirmed_at"));
}

MailAddressRecord read_address(const Rows& row) {
  MailAddressRecord record;
  record.address = row.text(0);
  record.token = row.text(1);
  record.created_at = row.time(2);
  record.requested_at = row.optional_time(3);
  record.confirmed_at = row.optional_time(4);
  return record;
}

}  // namespace outbreak::store::core
