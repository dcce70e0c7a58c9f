// Sender: the loop that delivers the mails of the outbox (store::Store's
// claim_mail and friends), run by `outbreak serve` and `outbreak worker`.
//
// Delivery is at least once: a mail is marked sent only after the SMTP
// server accepted it, so a crash between the two sends it again (after the
// claim's lease), and no mail is ever lost. Without an SMTP server the mail
// is written to the log instead (event mail_logged) and marked logged.
// docs/mail.md describes the whole flow and its settings.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "outbreak/jobs/log.hpp"
#include "outbreak/mail/smtp.hpp"
#include "outbreak/mail/templates.hpp"
#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::mail {

// Tallies since the process started, for /metrics. Updated by the Sender,
// read from any thread.
struct MailCounters {
  std::atomic<std::int64_t> sent{0};        // accepted by the SMTP server
  std::atomic<std::int64_t> logged{0};      // written to the log (no SMTP server)
  std::atomic<std::int64_t> retried{0};     // transient failures scheduled again
  std::atomic<std::int64_t> failed{0};      // given up: a 5xx reply, too many tries, no simulation
  std::atomic<std::int64_t> suppressed{0};  // not sent: over the per-address limit, or unconfirmed
  std::atomic<std::int64_t> held{0};        // held until the address is confirmed
  std::atomic<std::int64_t> confirmations_requested{0};  // confirmation requests sent or logged
};

// The defaults of the per-address limit and of the confirmation wait.
inline constexpr std::int64_t kDefaultMailsPerAddressPerHour = 10;
inline constexpr std::int64_t kDefaultConfirmHours = 168;

struct SenderOptions {
  std::string from_address = "outbreak@localhost";
  std::string from_name = "outbreak";
  std::string public_url{kDefaultPublicUrl};  // base of the links in mails
  // OUTBREAK_PUBLIC_URL was set: public_url wins over a job's own link base
  // (SimulationRecord::link_base, kept by `outbreak serve` behind a trusted
  // proxy only while it is unset).
  bool public_url_set = false;
  // Longest wait between two looks at the outbox when nothing is due.
  store::Duration poll{1'000};
  // How long a claimed mail stays with this sender before another may take
  // it; must exceed the SMTP transfer timeout.
  store::Duration lease{120'000};
  // After the n-th failed try the mail is due again after
  // min(retry_max, retry_base * 2^(n-1)); after max_attempts tries it fails.
  store::Duration retry_base{30'000};
  store::Duration retry_max{3'600'000};
  int max_attempts = 10;
  // At most this many mails go to one address (in any letter case) in any
  // hour; a mail over the limit is not sent but marked failed with the
  // reason (counted as suppressed), so a submitter cannot turn the service
  // into a relay that floods one inbox.
  std::int64_t per_address_per_hour = kDefaultMailsPerAddressPerHour;
  // OUTBREAK_MAIL_CONFIRM: the first mail to an address is a request to
  // confirm it (a link to {public_url}/mail/confirm/{token}); until the
  // address is confirmed its mails are held, and a mail still held
  // confirm_wait after it was queued is given up (suppressed).
  bool confirm = false;
  store::Duration confirm_wait{kDefaultConfirmHours * 3'600'000};
  // The clock for every time stored; tests may inject another.
  std::function<store::TimePoint()> now = [] { return std::chrono::system_clock::now(); };
};

// Everything the environment says about mail.
struct MailSettings {
  SenderOptions sender;
  std::optional<SmtpConfig> smtp;  // nullopt: OUTBREAK_SMTP_URL unset, mails are logged
  std::string smtp_url_redacted;   // for logs; empty when smtp is nullopt
};

// Looks a variable up; nullptr when unset.
using Environment = std::function<const char*(const char*)>;

// Reads OUTBREAK_SMTP_URL, OUTBREAK_MAIL_FROM ("addr" or "Name <addr>";
// default: name "outbreak", address outbreak@localhost), OUTBREAK_PUBLIC_URL,
// OUTBREAK_MAIL_RETRY_BASE_MS, OUTBREAK_MAIL_RETRY_MAX_MS, OUTBREAK_MAIL_MAX_ATTEMPTS,
// OUTBREAK_MAIL_POLL_MS, OUTBREAK_SMTP_CONNECT_TIMEOUT_MS, OUTBREAK_SMTP_TIMEOUT_MS,
// OUTBREAK_MAIL_PER_ADDRESS_PER_HOUR (1..100000), OUTBREAK_MAIL_CONFIRM (true or false) and
// OUTBREAK_MAIL_CONFIRM_HOURS (1..8760) (empty values count as unset). Errors: kInvalidInput, every
// bad variable named in Error::fields; messages never contain the SMTP password. Thread-safe if
// `environment` is.
Result<MailSettings> mail_settings_from_environment(const Environment& environment);

// The delay before try `attempts` + 1 after `attempts` failed tries (>= 1).
store::Duration retry_delay(const SenderOptions& options, int attempts);

// What one pass of the loop did.
// kHeld: kept pending until its address is confirmed; kSuppressed: not
// sent, over the per-address limit or never confirmed (marked failed).
enum class SendStep { kIdle, kSent, kLogged, kRetry, kFailed, kHeld, kSuppressed, kStoreError };

// One Sender: one Store (owned), one mail at a time. Not thread-safe: one
// thread runs it; stop it through the stop_token given to run().
class Sender {
 public:
  // `store` must be migrated. `transport` nullptr: mails are logged, not
  // sent. `log` and `counters` must outlive the Sender.
  Sender(std::unique_ptr<store::Store> store, std::unique_ptr<Transport> transport,
         SenderOptions options, jobs::Logger& log, MailCounters& counters);

  // Delivers due mails until `stop` fires; when none is due it waits up to
  // `poll` (less when one of its own retries is due sooner) and returns
  // promptly on stop. Store errors are logged and retried after `poll`, so
  // this returns Ok; the Status leaves room for fatal errors.
  Status run(std::stop_token stop);

  // Claims one due mail and handles it: rendered and sent (or logged), then
  // marked sent, logged, retry or failed. kIdle when none was due;
  // kStoreError when the store failed (logged as store_error).
  SendStep run_once();

 private:
  SendStep deliver(const store::MailRecord& mail);
  SendStep transient(const store::MailRecord& mail, const std::string& error);
  SendStep give_up(const store::MailRecord& mail, const std::string& error);
  // Confirmation mode: nullopt when the address is confirmed; otherwise
  // what was done instead (request sent, mail held or suppressed).
  std::optional<SendStep> await_confirmation(const store::MailRecord& mail);
  SendStep suppress(const store::MailRecord& mail, const std::string& reason);
  // Sends (or logs) the confirmation request for `address`.
  SendResult send_confirmation_request(const store::MailAddressRecord& address,
                                       std::string_view base);
  std::optional<store::Duration> until_next_retry() const;
  // Runs one of the store's mark_mail_* calls, retried after a transient
  // failure (a dropped connection) for up to half the claim's lease, so that
  // the mail is neither lost nor sent again; logs store_error when it fails.
  Status mark(const char* during, const std::function<Status()>& attempt);

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Transport> transport_;
  SenderOptions options_;
  jobs::Logger& log_;
  MailCounters& counters_;
  std::optional<store::TimePoint> next_retry_;  // the soonest retry this sender scheduled
  std::stop_token stop_;                        // run()'s, to end retries on stop
};

// Opens a Store on `database_url` (already migrated by the caller) and runs
// one Sender on it, with an SMTP transport when settings.smtp is set, until
// `stop` fires. Logs mail_sender_started with the SMTP server (without
// credentials) or "none (mails are logged)". Errors: those of open_store.
Status run_sender(std::string_view database_url, const MailSettings& settings, jobs::Logger& log,
                  MailCounters& counters, std::stop_token stop);

}  // namespace outbreak::mail
