#include "outbreak/mail/sender.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "outbreak/mail/address.hpp"
#include "outbreak/mail/message.hpp"
#include "outbreak/mail/templates.hpp"
#include "outbreak/store/open.hpp"
#include "outbreak/store/retry.hpp"

namespace outbreak::mail {
namespace {

using store::MailKind;
using store::MailRecord;

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? "localhost" : std::string(address.substr(at + 1));
}

// The base of the links in a job's mails: OUTBREAK_PUBLIC_URL when set, else
// the base its submitter reached the server by (through a trusted proxy),
// else the default.
std::string_view links_base(const SenderOptions& options, const store::SimulationRecord& record) {
  if (!options.public_url_set && record.link_base) return *record.link_base;
  return options.public_url;
}

Result<MailText> text_for(store::Store& store, const MailRecord& mail,
                          const store::SimulationRecord& record, const SenderOptions& options) {
  const std::string_view base = links_base(options, record);
  if (mail.kind == MailKind::kAccepted) return accepted_text(record, base);
  auto runs = load_run_counts(store, record);
  if (!runs) return runs.error();
  switch (mail.kind) {
    case MailKind::kAccepted:
      break;
    case MailKind::kFinished: {
      auto figures = load_key_figures(store, record);
      if (!figures) return figures.error();
      return finished_text(record, *figures, base, *runs);
    }
    case MailKind::kFailed:
      return failed_text(record, base, *runs);
    case MailKind::kCancelled:
      return cancelled_text(record, base, *runs);
  }
  return Error::make(ErrorCode::kInternal, "unknown mail kind");
}

Result<Message> build_message(store::Store& store, const MailRecord& mail,
                              const SenderOptions& options) {
  if (Status address = validate_address(mail.recipient); !address) {
    return Error::invalid("the recipient address is not valid: " + address.error().message);
  }
  auto record = store.get(mail.simulation_id);
  if (!record) {
    if (record.error().code == ErrorCode::kNotFound) {
      return Error::make(ErrorCode::kNotFound,
                         fmt::format("simulation {} no longer exists, so its {} mail cannot be "
                                     "written",
                                     mail.simulation_id, to_string(mail.kind)));
    }
    return record.error();
  }
  auto text = text_for(store, mail, *record, options);
  if (!text) return text.error();
  Message message;
  message.from_address = options.from_address;
  message.from_name = options.from_name;
  message.to_address = mail.recipient;
  message.subject = std::move(text->subject);
  message.text_body = std::move(text->text);
  message.html_body = std::move(text->html);
  message.date = options.now();
  message.message_id_domain = domain_of(options.from_address);
  return message;
}

// Reads an integer variable in 1..max; unset or empty leaves `value` alone.
// The bound keeps sums and doublings of the values (the lease, the retry
// delays) and the waits on them far from overflowing.
void read_positive(const Environment& environment, const char* name, std::int64_t max,
                   std::int64_t& value, std::vector<FieldError>& errors) {
  const char* text = environment(name);
  if (text == nullptr || *text == '\0') return;
  const std::string_view view(text);
  std::int64_t parsed = 0;
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), parsed);
  if (ec != std::errc{} || end != view.data() + view.size() || parsed < 1 || parsed > max) {
    errors.push_back(
        {name, fmt::format("must be a whole number from 1 to {}, got '{}'", max, view)});
    return;
  }
  value = parsed;
}

void read_from(const Environment& environment, SenderOptions& options,
               std::vector<FieldError>& errors) {
  const char* text = environment("OUTBREAK_MAIL_FROM");
  if (text == nullptr || *text == '\0') return;
  std::string_view from(text);
  std::string_view name;
  if (const auto open = from.rfind('<'); open != std::string_view::npos && from.back() == '>') {
    name = from.substr(0, open);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    from = from.substr(open + 1, from.size() - open - 2);
  }
  if (Status address = validate_address(from); !address) {
    errors.push_back({"OUTBREAK_MAIL_FROM", address.error().message});
    return;
  }
  if (Status display = validate_header_value(name); !display) {
    errors.push_back({"OUTBREAK_MAIL_FROM", "the display name " + display.error().message});
    return;
  }
  options.from_address = std::string(from);
  options.from_name = std::string(name);
}

// Reads true or false; unset or empty leaves `value` alone.
void read_bool(const Environment& environment, const char* name, bool& value,
               std::vector<FieldError>& errors) {
  const char* text = environment(name);
  if (text == nullptr || *text == '\0') return;
  const std::string_view view(text);
  if (view == "true") {
    value = true;
  } else if (view == "false") {
    value = false;
  } else {
    errors.push_back({name, fmt::format("must be true or false, got '{}'", view)});
  }
}

void read_public_url(const Environment& environment, SenderOptions& options,
                     std::vector<FieldError>& errors) {
  const char* text = environment("OUTBREAK_PUBLIC_URL");
  if (text == nullptr || *text == '\0') return;
  const std::string_view url(text);
  const bool web = url.starts_with("http://") || url.starts_with("https://");
  const bool clean = std::none_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>';
  });
  if (!web || !clean) {
    errors.push_back({"OUTBREAK_PUBLIC_URL",
                      "must be an http:// or https:// URL without spaces, such as "
                      "https://outbreak.example.org"});
    return;
  }
  options.public_url = std::string(url);
  options.public_url_set = true;
}

// The largest values of the settings (docs/mail.md).
constexpr std::int64_t kMaxRetryBaseMs = 86'400'000;  // a day
constexpr std::int64_t kMaxRetryMaxMs = 604'800'000;  // a week
constexpr std::int64_t kMaxAttempts = 1'000'000;
constexpr std::int64_t kMaxPollMs = 3'600'000;         // an hour
constexpr std::int64_t kMaxSmtpTimeoutMs = 3'600'000;  // an hour
constexpr std::int64_t kMaxPerAddressPerHour = 100'000;
constexpr std::int64_t kMaxConfirmHours = 8'760;  // a year

}  // namespace

Result<MailSettings> mail_settings_from_environment(const Environment& environment) {
  MailSettings settings;
  std::vector<FieldError> errors;
  SenderOptions& options = settings.sender;
  read_from(environment, options, errors);
  read_public_url(environment, options, errors);
  std::int64_t retry_base = options.retry_base.count();
  std::int64_t retry_max = options.retry_max.count();
  std::int64_t max_attempts = options.max_attempts;
  std::int64_t poll = options.poll.count();
  SmtpConfig defaults;
  std::int64_t connect_timeout = defaults.connect_timeout.count();
  std::int64_t transfer_timeout = defaults.transfer_timeout.count();
  read_positive(environment, "OUTBREAK_MAIL_RETRY_BASE_MS", kMaxRetryBaseMs, retry_base, errors);
  read_positive(environment, "OUTBREAK_MAIL_RETRY_MAX_MS", kMaxRetryMaxMs, retry_max, errors);
  read_positive(environment, "OUTBREAK_MAIL_MAX_ATTEMPTS", kMaxAttempts, max_attempts, errors);
  read_positive(environment, "OUTBREAK_MAIL_POLL_MS", kMaxPollMs, poll, errors);
  read_positive(environment, "OUTBREAK_SMTP_CONNECT_TIMEOUT_MS", kMaxSmtpTimeoutMs, connect_timeout,
                errors);
  read_positive(environment, "OUTBREAK_SMTP_TIMEOUT_MS", kMaxSmtpTimeoutMs, transfer_timeout,
                errors);
  std::int64_t per_address = options.per_address_per_hour;
  std::int64_t confirm_hours = kDefaultConfirmHours;
  read_positive(environment, "OUTBREAK_MAIL_PER_ADDRESS_PER_HOUR", kMaxPerAddressPerHour,
                per_address, errors);
  read_bool(environment, "OUTBREAK_MAIL_CONFIRM", options.confirm, errors);
  read_positive(environment, "OUTBREAK_MAIL_CONFIRM_HOURS", kMaxConfirmHours, confirm_hours,
                errors);
  options.per_address_per_hour = per_address;
  options.confirm_wait = store::Duration(confirm_hours * 3'600'000);
  options.retry_base = store::Duration(retry_base);
  options.retry_max = store::Duration(std::max(retry_max, retry_base));
  options.max_attempts = static_cast<int>(max_attempts);
  options.poll = store::Duration(poll);
  // A claimed mail must stay claimed for longer than one try can take.
  options.lease = store::Duration(connect_timeout + transfer_timeout + 60'000);
  if (const char* url = environment("OUTBREAK_SMTP_URL"); url != nullptr && *url != '\0') {
    auto smtp = parse_smtp_url(url);
    if (!smtp) {
      errors.push_back({"OUTBREAK_SMTP_URL", smtp.error().message});
    } else {
      smtp->connect_timeout = std::chrono::milliseconds(connect_timeout);
      smtp->transfer_timeout = std::chrono::milliseconds(transfer_timeout);
      settings.smtp_url_redacted = describe(*smtp);
      settings.smtp = std::move(smtp).value();
    }
  }
  if (!errors.empty()) return Error::invalid("the mail settings are not valid", std::move(errors));
  return settings;
}

store::Duration retry_delay(const SenderOptions& options, int attempts) {
  store::Duration delay = options.retry_base;
  for (int i = 1; i < attempts && delay < options.retry_max; ++i) delay *= 2;
  return std::min(delay, options.retry_max);
}

Sender::Sender(std::unique_ptr<store::Store> store, std::unique_ptr<Transport> transport,
               SenderOptions options, jobs::Logger& log, MailCounters& counters)
    : store_(std::move(store)),
      transport_(std::move(transport)),
      options_(std::move(options)),
      log_(log),
      counters_(counters) {}

Status Sender::mark(const char* during, const std::function<Status()>& attempt) {
  // The claim keeps the mail with this sender for `lease`: retry within half
  // of it, so that a dropped connection neither loses the mark nor lets
  // another sender send the mail again.
  store::RetryPolicy policy;
  policy.deadline = std::chrono::steady_clock::now() + options_.lease / 2;
  Status marked = store::retry_transient(
      attempt, policy, stop_, [&](const Error& error, store::Duration delay) {
        log_.warn("store_retry", {{"during", during},
                                  {"retry_in_ms", std::to_string(delay.count())},
                                  {"error", error.message}});
      });
  if (!marked) log_.error("store_error", {{"during", during}, {"error", marked.error().message}});
  return marked;
}

Status Sender::run(std::stop_token stop) {
  stop_ = stop;
  std::mutex mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const SendStep step = run_once();
    if (step != SendStep::kIdle && step != SendStep::kStoreError) continue;
    store::Duration wait = options_.poll;
    if (step == SendStep::kIdle) {
      if (auto until = until_next_retry()) {
        if (until->count() > 0) {
          wait = std::min(wait, *until);
        } else {
          next_retry_.reset();  // due, yet not claimed: another sender has it
        }
      }
    }
    std::unique_lock lock(mu);
    wake.wait_for(lock, stop, wait, [] { return false; });
  }
  return Ok{};
}

std::optional<store::Duration> Sender::until_next_retry() const {
  if (!next_retry_) return std::nullopt;
  return std::chrono::ceil<store::Duration>(*next_retry_ - options_.now());
}

SendStep Sender::run_once() {
  auto claimed = store_->claim_mail(options_.now(), options_.lease);
  if (!claimed) {
    log_.error("store_error", {{"during", "claim_mail"}, {"error", claimed.error().message}});
    return SendStep::kStoreError;
  }
  if (!*claimed) return SendStep::kIdle;
  return deliver(**claimed);
}

SendStep Sender::deliver(const MailRecord& mail) {
  if (options_.confirm) {
    if (auto step = await_confirmation(mail)) return *step;
  }
  const store::TimePoint hour_ago = options_.now() - std::chrono::hours(1);
  auto recent = store_->count_mail_sent_since(mail.recipient, hour_ago);
  if (!recent) {
    log_.error("store_error",
               {{"during", "count_mail_sent_since"}, {"error", recent.error().message}});
    return SendStep::kStoreError;
  }
  if (*recent >= options_.per_address_per_hour) {
    return suppress(mail, fmt::format("suppressed: {} mails already went to this address in the "
                                      "last hour (OUTBREAK_MAIL_PER_ADDRESS_PER_HOUR={})",
                                      *recent, options_.per_address_per_hour));
  }
  auto message = build_message(*store_, mail, options_);
  if (!message) {
    if (message.error().code == ErrorCode::kIo) return transient(mail, message.error().message);
    return give_up(mail, message.error().message);
  }
  const std::string id = std::to_string(mail.id);
  const jobs::LogFields fields = {{"id", id},
                                  {"simulation", mail.simulation_id},
                                  {"kind", std::string(to_string(mail.kind))},
                                  {"to", mail.recipient},
                                  {"subject", message->subject}};
  if (!transport_) {
    // No SMTP server: the log is the mail's destination, written before the
    // mark, like a delivery.
    log_.info("mail_logged", fields);
    if (!mark("mark_mail_sent", [&] {
          return store_->mark_mail_sent(mail.id, store::MailStatus::kLogged, options_.now());
        })) {
      return SendStep::kStoreError;
    }
    counters_.logged.fetch_add(1);
    return SendStep::kLogged;
  }
  const SendResult result =
      transport_->send(options_.from_address, mail.recipient, render(*message));
  switch (result.outcome) {
    case SendOutcome::kDelivered:
      break;
    case SendOutcome::kTransient:
      return transient(mail, result.detail);
    case SendOutcome::kPermanent:
      return give_up(mail, result.detail);
  }
  // Delivered: a crash before this mark sends the mail again (at least once).
  if (!mark("mark_mail_sent", [&] {
        return store_->mark_mail_sent(mail.id, store::MailStatus::kSent, options_.now());
      })) {
    return SendStep::kStoreError;
  }
  jobs::LogFields sent = fields;
  sent.emplace_back("attempts", std::to_string(mail.attempts));
  log_.info("mail_sent", sent);
  counters_.sent.fetch_add(1);
  return SendStep::kSent;
}

SendStep Sender::transient(const MailRecord& mail, const std::string& error) {
  if (mail.attempts >= options_.max_attempts) {
    return give_up(mail, fmt::format("gave up after {} tries; the last: {}", mail.attempts, error));
  }
  const store::Duration delay = retry_delay(options_, mail.attempts);
  const store::TimePoint due = options_.now() + delay;
  if (!mark("mark_mail_retry", [&] { return store_->mark_mail_retry(mail.id, error, due); })) {
    return SendStep::kStoreError;
  }
  if (!next_retry_ || due < *next_retry_) next_retry_ = due;
  log_.warn("mail_retry", {{"id", std::to_string(mail.id)},
                           {"simulation", mail.simulation_id},
                           {"to", mail.recipient},
                           {"attempts", std::to_string(mail.attempts)},
                           {"retry_in_ms", std::to_string(delay.count())},
                           {"error", error}});
  counters_.retried.fetch_add(1);
  return SendStep::kRetry;
}

SendStep Sender::give_up(const MailRecord& mail, const std::string& error) {
  if (!mark("mark_mail_failed",
            [&] { return store_->mark_mail_failed(mail.id, error, options_.now()); })) {
    return SendStep::kStoreError;
  }
  log_.error("mail_failed", {{"id", std::to_string(mail.id)},
                             {"simulation", mail.simulation_id},
                             {"to", mail.recipient},
                             {"attempts", std::to_string(mail.attempts)},
                             {"error", error}});
  counters_.failed.fetch_add(1);
  return SendStep::kFailed;
}

std::optional<SendStep> Sender::await_confirmation(const MailRecord& mail) {
  // The request goes to the recipient too: the same check as for any mail.
  if (Status valid = validate_address(mail.recipient); !valid) {
    return give_up(mail, "the recipient address is not valid: " + valid.error().message);
  }
  const store::TimePoint now = options_.now();
  auto address = store_->mail_address(mail.recipient, store::new_secret_token(), now);
  if (!address) {
    if (address.error().code == ErrorCode::kIo) {
      log_.error("store_error", {{"during", "mail_address"}, {"error", address.error().message}});
      return SendStep::kStoreError;
    }
    return give_up(mail, address.error().message);
  }
  if (address->confirmed_at) return std::nullopt;
  if (now - mail.created_at >= options_.confirm_wait) {
    return suppress(mail, fmt::format("suppressed: the address was not confirmed within {} hours",
                                      options_.confirm_wait.count() / 3'600'000));
  }
  // One request per address and confirmation wait: a request is itself a
  // mail to a stranger's inbox.
  if (!address->requested_at || now - *address->requested_at >= options_.confirm_wait) {
    // The link goes where the job's own links go (a job deleted meanwhile:
    // the sender's base).
    auto job = store_->get(mail.simulation_id);
    if (!job && job.error().code == ErrorCode::kIo) {
      log_.error("store_error", {{"during", "get"}, {"error", job.error().message}});
      return SendStep::kStoreError;
    }
    const std::string base(job ? links_base(options_, *job)
                               : std::string_view(options_.public_url));
    const SendResult result = send_confirmation_request(*address, base);
    if (result.outcome == SendOutcome::kTransient) {
      return transient(mail, "the confirmation request: " + result.detail);
    }
    if (result.outcome == SendOutcome::kPermanent) {
      return give_up(mail, "the confirmation request: " + result.detail);
    }
    if (Status marked = store_->mark_confirmation_requested(address->address, now); !marked) {
      log_.error("store_error",
                 {{"during", "mark_confirmation_requested"}, {"error", marked.error().message}});
      return SendStep::kStoreError;
    }
  }
  // Held: due again when the wait ends, or at once when the address is
  // confirmed (Store::confirm_mail_address).
  const store::TimePoint until = mail.created_at + options_.confirm_wait;
  if (Status marked =
          store_->mark_mail_retry(mail.id, "held until the address is confirmed", until);
      !marked) {
    log_.error("store_error", {{"during", "mark_mail_retry"}, {"error", marked.error().message}});
    return SendStep::kStoreError;
  }
  // A confirmation that came between the look above and the hold released
  // nothing yet; release this mail now rather than at the end of the wait
  // (should this write fail, the mail goes when the wait ends).
  if (auto again = store_->mail_address_by_token(address->token); again && again->confirmed_at) {
    (void)store_->mark_mail_retry(mail.id, "the address was confirmed", options_.now());
  }
  log_.info("mail_held", {{"id", std::to_string(mail.id)},
                          {"simulation", mail.simulation_id},
                          {"to", mail.recipient}});
  counters_.held.fetch_add(1);
  return SendStep::kHeld;
}

SendResult Sender::send_confirmation_request(const store::MailAddressRecord& address,
                                             std::string_view base) {
  const MailText text = confirmation_text(address.address, address.token, base);
  if (!transport_) {
    log_.info("mail_logged", {{"kind", "confirmation"},
                              {"to", address.address},
                              {"subject", text.subject},
                              {"link", confirm_url(base, address.token)}});
    counters_.confirmations_requested.fetch_add(1);
    return SendResult{};
  }
  Message message;
  message.from_address = options_.from_address;
  message.from_name = options_.from_name;
  message.to_address = address.address;
  message.subject = text.subject;
  message.text_body = text.text;
  message.html_body = text.html;
  message.date = options_.now();
  message.message_id_domain = domain_of(options_.from_address);
  SendResult result = transport_->send(options_.from_address, address.address, render(message));
  if (result.outcome == SendOutcome::kDelivered) {
    log_.info("mail_confirmation_requested", {{"to", address.address}});
    counters_.confirmations_requested.fetch_add(1);
  }
  return result;
}

SendStep Sender::suppress(const MailRecord& mail, const std::string& reason) {
  if (Status marked = store_->mark_mail_failed(mail.id, reason, options_.now()); !marked) {
    log_.error("store_error", {{"during", "mark_mail_failed"}, {"error", marked.error().message}});
    return SendStep::kStoreError;
  }
  log_.warn("mail_suppressed", {{"id", std::to_string(mail.id)},
                                {"simulation", mail.simulation_id},
                                {"to", mail.recipient},
                                {"reason", reason}});
  counters_.suppressed.fetch_add(1);
  return SendStep::kSuppressed;
}

Status run_sender(std::string_view database_url, const MailSettings& settings, jobs::Logger& log,
                  MailCounters& counters, std::stop_token stop) {
  auto store = store::open_store(database_url);
  if (!store) return store.error();
  std::unique_ptr<Transport> transport;
  if (settings.smtp) transport = make_smtp_transport(*settings.smtp);
  log.info("mail_sender_started",
           {{"smtp", settings.smtp ? settings.smtp_url_redacted : "none (mails are logged)"},
            {"from", settings.sender.from_address},
            {"per_address_per_hour", std::to_string(settings.sender.per_address_per_hour)},
            {"confirm", settings.sender.confirm ? "true" : "false"}});
  Sender sender(std::move(store).value(), std::move(transport), settings.sender, log, counters);
  return sender.run(stop);
}

}  // namespace outbreak::mail
