#include "store/postgres/postgres_records.hpp"

#include <cmath>

#include <fmt/format.h>

#include "store/common.hpp"

namespace outbreak::store::postgres {
namespace {

std::string us(std::string_view column) {
  return fmt::format("(EXTRACT(EPOCH FROM {0}) * 1000000)::BIGINT AS {0}", column);
}

std::optional<TimePoint> optional_time(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return TimePoint(std::chrono::microseconds(field.as<std::int64_t>()));
}

std::optional<std::string> optional_text(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}

std::optional<std::int64_t> optional_int64(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::int64_t>();
}

// A double as an array element, exactly (shortest round-trip form).
std::string double_literal(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

}  // namespace

std::int64_t micros(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::string ts(int n) {
  return fmt::format("('epoch'::TIMESTAMPTZ + ${}::BIGINT * INTERVAL '1 microsecond')", n);
}

const std::string& record_columns() {
  static const std::string columns = fmt::format(
      "id, name, status, scenario_json::TEXT, email, {}, {}, {}, progress_replicate, "
      "progress_day, days, replicates, attempts, max_attempts, error, worker_id, {}, "
      "cancel_requested, claims, link_base",
      us("created_at"), us("started_at"), us("finished_at"), us("lease_expires_at"));
  return columns;
}

SimulationRecord read_record(const pqxx::row& row) {
  SimulationRecord record;
  record.id = row[0].as<std::string>();
  record.name = row[1].as<std::string>();
  record.status = detail::parse_status(row[2].as<std::string>());
  record.scenario_json = row[3].as<std::string>();
  record.email = optional_text(row[4]);
  record.created_at = *optional_time(row[5]);
  record.started_at = optional_time(row[6]);
  record.finished_at = optional_time(row[7]);
  record.progress_replicate = optional_int64(row[8]);
  record.progress_day = optional_int64(row[9]);
  record.days = row[10].as<std::int64_t>();
  record.replicates = row[11].as<std::int64_t>();
  record.attempts = row[12].as<int>();
  record.max_attempts = row[13].as<int>();
  record.error = optional_text(row[14]);
  record.worker_id = optional_text(row[15]);
  record.lease_expires_at = optional_time(row[16]);
  record.cancel_requested = row[17].as<bool>();
  record.claims = row[18].as<int>();
  record.link_base = optional_text(row[19]);
  return record;
}

const std::string& mail_columns() {
  static const std::string columns =
      fmt::format("id, simulation_id, kind, recipient, status, attempts, {}, {}, {}, last_error",
                  us("created_at"), us("next_attempt_at"), us("sent_at"));
  return columns;
}

const std::string& address_columns() {
  static const std::string columns = fmt::format("address, token, {}, {}, {}", us("created_at"),
                                                 us("requested_at"), us("confirmed_at"));
  return columns;
}

MailAddressRecord read_address(const pqxx::row& row) {
  MailAddressRecord record;
  record.address = row[0].as<std::string>();
  record.token = row[1].as<std::string>();
  record.created_at = *optional_time(row[2]);
  record.requested_at = optional_time(row[3]);
  record.confirmed_at = optional_time(row[4]);
  return record;
}

MailRecord read_mail(const pqxx::row& row) {
  MailRecord mail;
  mail.id = row[0].as<std::int64_t>();
  mail.simulation_id = row[1].as<std::string>();
  mail.kind = detail::parse_mail_kind(row[2].as<std::string>());
  mail.recipient = row[3].as<std::string>();
  mail.status = detail::parse_mail_status(row[4].as<std::string>());
  mail.attempts = row[5].as<int>();
  mail.created_at = *optional_time(row[6]);
  mail.next_attempt_at = *optional_time(row[7]);
  mail.sent_at = optional_time(row[8]);
  mail.last_error = optional_text(row[9]);
  return mail;
}

std::string int_array(const std::vector<std::int64_t>& values) {
  return fmt::format("{{{}}}", fmt::join(values, ","));
}

std::string double_array(const std::vector<double>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += double_literal(values[i]);
  }
  return out + "}";
}

std::string nullable_double_array(const std::vector<double>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::isnan(values[i]) ? std::string("NULL") : double_literal(values[i]);
  }
  return out + "}";
}

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string requeue_expired_sql() {
  return fmt::format(R"sql(WITH u AS (
UPDATE simulations SET
  status = CASE WHEN cancel_requested THEN 'cancelled'
                WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
  finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts THEN {0} END,
  worker_id = CASE WHEN cancel_requested OR attempts >= max_attempts THEN worker_id END,
  error = 'lease expired (worker ' || COALESCE(worker_id, '?') || ')',
  lease_expires_at = NULL
WHERE status = 'running' AND lease_expires_at < {0}
RETURNING id, status, email),
m AS (
INSERT INTO outbox (simulation_id, kind, recipient, created_at, next_attempt_at)
SELECT id, status, email, {0}, {0} FROM u
WHERE email IS NOT NULL AND status IN ('failed', 'cancelled'))
SELECT status FROM u)sql",
                     ts(1));
}

}  // namespace outbreak::store::postgres
