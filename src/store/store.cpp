#include "outbreak/store/store.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "outbreak/store/retry.hpp"
#include "store/common.hpp"

namespace outbreak::store {
namespace {

constexpr std::array<std::string_view, 5> kStatusNames = {"queued", "running", "succeeded",
                                                          "failed", "cancelled"};
constexpr std::array<std::string_view, 4> kMailKindNames = {"accepted", "finished", "failed",
                                                            "cancelled"};
constexpr std::array<std::string_view, 4> kMailStatusNames = {"pending", "sent", "logged",
                                                              "failed"};

template <typename Enum, std::size_t N>
std::optional<Enum> from_name(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(JobStatus status) {
  return kStatusNames.at(static_cast<std::size_t>(status));
}

std::optional<JobStatus> job_status_from_string(std::string_view text) {
  return from_name<JobStatus>(kStatusNames, text);
}

std::string_view to_string(MailKind kind) {
  return kMailKindNames.at(static_cast<std::size_t>(kind));
}

std::optional<MailKind> mail_kind_from_string(std::string_view text) {
  return from_name<MailKind>(kMailKindNames, text);
}

std::string_view to_string(MailStatus status) {
  return kMailStatusNames.at(static_cast<std::size_t>(status));
}

std::optional<MailStatus> mail_status_from_string(std::string_view text) {
  return from_name<MailStatus>(kMailStatusNames, text);
}

std::int64_t StatusCounts::of(JobStatus status) const {
  switch (status) {
    case JobStatus::kQueued:
      return queued;
    case JobStatus::kRunning:
      return running;
    case JobStatus::kSucceeded:
      return succeeded;
    case JobStatus::kFailed:
      return failed;
    case JobStatus::kCancelled:
      return cancelled;
  }
  return 0;
}

Error lease_lost_error(std::string_view id, std::string_view worker_id) {
  return Error::make(
      ErrorCode::kLeaseLost,
      fmt::format("lease lost: simulation {} is no longer held by worker {}", id, worker_id));
}

bool is_lease_lost(const Error& error) { return error.code == ErrorCode::kLeaseLost; }

bool is_transient(const Error& error) {
  return error.code == ErrorCode::kIo || error.code == ErrorCode::kResource;
}

std::string new_secret_token() {
  std::random_device device;  // the OS's source (getrandom, /dev/urandom)
  std::string out;
  for (int i = 0; i < 4; ++i) out += fmt::format("{:08x}", static_cast<std::uint32_t>(device()));
  return out;
}

std::string new_uuid_v4() {
  // A fresh random_device per call: no shared generator state between threads.
  std::random_device device;
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    const std::uint32_t word = device();
    for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

namespace detail {

Status validate(const NewSimulation& simulation) {
  std::vector<FieldError> fields;
  if (simulation.name.empty()) fields.push_back({"name", "must not be empty"});
  if (simulation.days < 0)
    fields.push_back({"days", fmt::format("must be ≥ 0, got {}", simulation.days)});
  if (simulation.replicates < 1) {
    fields.push_back({"replicates", fmt::format("must be ≥ 1, got {}", simulation.replicates)});
  }
  if (simulation.max_attempts < 1) {
    fields.push_back({"max_attempts", fmt::format("must be ≥ 1, got {}", simulation.max_attempts)});
  }
  if (fields.empty()) return Ok{};
  return Error::invalid("invalid simulation for the queue", std::move(fields));
}

Status validate(const engine::Summary& summary) {
  if (summary.p5.size() != summary.mean.size() || summary.p95.size() != summary.mean.size()) {
    return Error::invalid(
        fmt::format("summary statistics differ in length (mean {}, p5 {}, p95 {} days)",
                    summary.mean.size(), summary.p5.size(), summary.p95.size()));
  }
  return Ok{};
}

Status validate_replicate(std::int64_t replicate) {
  if (replicate < 0) return Error::invalid(fmt::format("replicate must be ≥ 0, got {}", replicate));
  return Ok{};
}

Status validate_days(std::int64_t replicate, std::span<const engine::DayTotals> rows) {
  if (auto valid = validate_replicate(replicate); !valid) return valid;
  std::vector<std::int64_t> days;
  days.reserve(rows.size());
  for (const auto& row : rows) days.push_back(row.day);
  std::sort(days.begin(), days.end());
  const auto twice = std::adjacent_find(days.begin(), days.end());
  if (twice != days.end()) {
    return Error::invalid(fmt::format("day {} appears twice in one batch of results", *twice));
  }
  return Ok{};
}

Error final_status_error(JobStatus status) {
  return Error::invalid(
      fmt::format("finish() needs succeeded, failed or cancelled, got {}", to_string(status)));
}

bool is_final(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed ||
         status == JobStatus::kCancelled;
}

Error not_found(std::string_view id) {
  return Error::make(ErrorCode::kNotFound, fmt::format("no simulation with id '{}'", id));
}

Error cannot_cancel_error(std::string_view id, JobStatus status) {
  return Error::invalid(
      fmt::format("simulation {} is already {}; only queued or running jobs can be cancelled", id,
                  to_string(status)));
}

Error cannot_retry_error(std::string_view id, JobStatus status) {
  return Error::invalid(fmt::format(
      "simulation {} is {}; only failed or cancelled jobs can be retried", id, to_string(status)));
}

JobStatus parse_status(std::string_view text) {
  const auto status = job_status_from_string(text);
  if (!status) throw std::runtime_error(fmt::format("unknown status '{}' in the database", text));
  return *status;
}

MailKind mail_kind_for(JobStatus final_status) {
  switch (final_status) {
    case JobStatus::kFailed:
      return MailKind::kFailed;
    case JobStatus::kCancelled:
      return MailKind::kCancelled;
    default:
      return MailKind::kFinished;
  }
}

std::string address_key(std::string_view address) {
  std::string key(address);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

Error address_not_found(std::string_view address) {
  return Error::make(ErrorCode::kNotFound, fmt::format("no mail address {}", address));
}

Error token_not_found() {
  // The token is a secret: it is not repeated in the message.
  return Error::make(ErrorCode::kNotFound, "no mail address has this confirmation token");
}

Status validate_address_row(std::string_view address, std::string_view token) {
  if (address.empty()) return Error::invalid("the mail address must not be empty");
  if (token.empty()) return Error::invalid("the confirmation token must not be empty");
  return Ok{};
}

Error mail_not_found(std::int64_t id) {
  return Error::make(ErrorCode::kNotFound, fmt::format("no mail with id {}", id));
}

Error cannot_retry_mail_error(std::int64_t id, std::string_view status) {
  return Error::invalid(fmt::format("mail {} is {}; only failed mails can be retried", id, status));
}

Status validate_sent_status(MailStatus how) {
  if (how == MailStatus::kSent || how == MailStatus::kLogged) return Ok{};
  return Error::invalid(
      fmt::format("mark_mail_sent() needs sent or logged, got {}", to_string(how)));
}

MailKind parse_mail_kind(std::string_view text) {
  const auto kind = mail_kind_from_string(text);
  if (!kind) throw std::runtime_error(fmt::format("unknown mail kind '{}' in the database", text));
  return *kind;
}

MailStatus parse_mail_status(std::string_view text) {
  const auto status = mail_status_from_string(text);
  if (!status) {
    throw std::runtime_error(fmt::format("unknown mail status '{}' in the database", text));
  }
  return *status;
}

void count_status(std::string_view status, std::int64_t n, StatusCounts& counts) {
  switch (parse_status(status)) {
    case JobStatus::kQueued:
      counts.queued = n;
      break;
    case JobStatus::kRunning:
      counts.running = n;
      break;
    case JobStatus::kSucceeded:
      counts.succeeded = n;
      break;
    case JobStatus::kFailed:
      counts.failed = n;
      break;
    case JobStatus::kCancelled:
      counts.cancelled = n;
      break;
  }
}

void count_mail(std::string_view status, std::int64_t n, MailCounts& counts) {
  switch (parse_mail_status(status)) {
    case MailStatus::kPending:
      counts.pending = n;
      break;
    case MailStatus::kSent:
      counts.sent = n;
      break;
    case MailStatus::kLogged:
      counts.logged = n;
      break;
    case MailStatus::kFailed:
      counts.failed = n;
      break;
  }
}

void count_requeued(std::string_view status, RequeueCounts& counts) {
  if (status == "queued") ++counts.requeued;
  if (status == "failed") ++counts.failed;
  if (status == "cancelled") ++counts.cancelled;
}

}  // namespace detail
}  // namespace outbreak::store
