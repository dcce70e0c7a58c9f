// The mail settings read from the environment
// (mail::mail_settings_from_environment) and the retry schedule they give
// (mail::retry_delay). The input is a list of variables separated by NUL
// bytes; each starts with a byte choosing the variable, the rest is its
// value. Properties: bad settings are kInvalidInput, each naming its
// variable; good ones hold a valid sender address and display name, an
// http(s) public URL, positive intervals, a lease longer than one SMTP try,
// and a retry delay that never shrinks and stays within
// [retry_base, retry_max].
#include <array>
#include <map>
#include <string>

#include "fuzz_support.hpp"
#include "outbreak/mail/address.hpp"
#include "outbreak/mail/sender.hpp"

using namespace outbreak;

namespace {

constexpr std::array<const char*, 9> kVariables = {
    "OUTBREAK_SMTP_URL",          "OUTBREAK_MAIL_FROM",
    "OUTBREAK_PUBLIC_URL",        "OUTBREAK_MAIL_RETRY_BASE_MS",
    "OUTBREAK_MAIL_RETRY_MAX_MS", "OUTBREAK_MAIL_MAX_ATTEMPTS",
    "OUTBREAK_MAIL_POLL_MS",      "OUTBREAK_SMTP_CONNECT_TIMEOUT_MS",
    "OUTBREAK_SMTP_TIMEOUT_MS",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::map<std::string, std::string> variables;
  std::string_view input = fuzz::as_text(data, size);
  while (!input.empty()) {
    const auto nul = input.find('\0');
    const std::string_view item = input.substr(0, nul);
    input = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
    if (item.empty()) continue;
    const auto which = static_cast<unsigned char>(item[0]) % kVariables.size();
    variables[kVariables[which]] = std::string(item.substr(1));
  }
  const mail::Environment environment = [&variables](const char* name) -> const char* {
    const auto it = variables.find(name);
    return it == variables.end() ? nullptr : it->second.c_str();
  };

  auto settings = mail::mail_settings_from_environment(environment);
  if (!settings) {
    fuzz::check(settings.error().code == ErrorCode::kInvalidInput,
                "bad mail settings are kInvalidInput");
    fuzz::check(!settings.error().fields.empty(), "bad mail settings name their variables");
    for (const FieldError& field : settings.error().fields) {
      fuzz::check(variables.contains(field.field), "an error names a variable that was set");
    }
    return 0;
  }
  const mail::SenderOptions& options = settings->sender;
  fuzz::check(mail::validate_address(options.from_address).ok(), "the sender address is valid");
  fuzz::check(mail::validate_header_value(options.from_name).ok(),
              "the sender name is a valid header value");
  fuzz::check(
      options.public_url.starts_with("http://") || options.public_url.starts_with("https://"),
      "the public URL is http(s)");
  fuzz::check(options.poll.count() > 0 && options.retry_base.count() > 0, "intervals are positive");
  fuzz::check(options.retry_max >= options.retry_base, "retry_max is at least retry_base");
  fuzz::check(options.max_attempts >= 1, "at least one attempt");
  if (settings->smtp) {
    fuzz::check(options.lease > settings->smtp->connect_timeout + settings->smtp->transfer_timeout,
                "a claimed mail outlives one SMTP try");
    fuzz::check(settings->smtp_url_redacted.find('@') == std::string::npos,
                "the logged SMTP URL has no credentials");
  }
  store::Duration previous{0};
  for (int attempts = 1; attempts <= std::min(options.max_attempts, 80); ++attempts) {
    const store::Duration delay = mail::retry_delay(options, attempts);
    fuzz::check(delay >= options.retry_base && delay <= options.retry_max,
                "a retry delay lies within [retry_base, retry_max]");
    fuzz::check(delay >= previous, "retry delays never shrink");
    previous = delay;
  }
  return 0;
}
