#include "outbreak/serve/config.hpp"

#include <charconv>
#include <cstdlib>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "outbreak/store/open.hpp"

namespace outbreak::serve {
namespace {

// One integer setting: its variable, where it goes, and its allowed range.
struct IntegerSetting {
  const char* name;
  std::int64_t min;
  std::int64_t max;
  std::function<void(ServerConfig&, std::int64_t)> apply;
};

std::vector<IntegerSetting> integer_settings() {
  constexpr std::int64_t kBig = std::numeric_limits<std::int32_t>::max();
  return {
      {"OUTBREAK_WORKERS", 0, 1024, [](auto& c, auto v) { c.workers = static_cast<int>(v); }},
      {"OUTBREAK_WORKER_THREADS", 1, 1024,
       [](auto& c, auto v) { c.worker_threads = static_cast<int>(v); }},
      {"OUTBREAK_HTTP_THREADS", 1, 65'536,
       [](auto& c, auto v) { c.http_threads = static_cast<int>(v); }},
      {"OUTBREAK_MAX_STREAMS", 0, 65'536,
       [](auto& c, auto v) { c.max_streams = static_cast<int>(v); }},
      {"OUTBREAK_STORE_CONNECTIONS", 1, 256,
       [](auto& c, auto v) { c.store_connections = static_cast<int>(v); }},
      {"OUTBREAK_MAX_BODY_BYTES", 64, kBig,
       [](auto& c, auto v) { c.max_body_bytes = static_cast<std::size_t>(v); }},
      {"OUTBREAK_MAX_POPULATION", 1, std::numeric_limits<std::int64_t>::max(),
       [](auto& c, auto v) { c.limits.population = v; }},
      {"OUTBREAK_MAX_DAYS", 1, std::numeric_limits<std::int64_t>::max(),
       [](auto& c, auto v) { c.limits.days = v; }},
      {"OUTBREAK_MAX_REPLICATES", 1, std::numeric_limits<std::int64_t>::max(),
       [](auto& c, auto v) { c.limits.replicates = v; }},
      {"OUTBREAK_MAX_ROWS_PER_JOB", 1, std::numeric_limits<std::int64_t>::max(),
       [](auto& c, auto v) { c.limits.rows_per_job = v; }},
      {"OUTBREAK_MAX_LINE_LIST_AGENTS", 0, std::numeric_limits<std::int64_t>::max(),
       [](auto& c, auto v) { c.limits.line_list_agents = v; }},
      {"OUTBREAK_SUBMISSIONS_PER_MINUTE", 0, kBig,
       [](auto& c, auto v) { c.submissions_per_minute = static_cast<int>(v); }},
      {"OUTBREAK_MAX_QUEUED", 0, std::numeric_limits<std::int64_t>::max(),
       [](auto& c, auto v) { c.max_queued = v; }},
      // The whole head is peeked in the socket's receive buffer, which
      // holds 64 KiB on any Linux default.
      {"OUTBREAK_MAX_HEAD_BYTES", 1024, 65'536,
       [](auto& c, auto v) { c.max_head_bytes = static_cast<std::size_t>(v); }},
      {"OUTBREAK_MAX_HEADERS", 1, 10'000,
       [](auto& c, auto v) { c.max_headers = static_cast<int>(v); }},
      {"OUTBREAK_HEAD_TIMEOUT_MS", 100, 600'000,
       [](auto& c, auto v) { c.head_timeout = std::chrono::milliseconds(v); }},
      {"OUTBREAK_BODY_TIMEOUT_MS", 100, 3'600'000,
       [](auto& c, auto v) { c.body_timeout = std::chrono::milliseconds(v); }},
      {"OUTBREAK_KEEP_ALIVE_TIMEOUT_MS", 100, 600'000,
       [](auto& c, auto v) { c.keep_alive_timeout = std::chrono::milliseconds(v); }},
      {"OUTBREAK_MAX_CONNECTIONS_PER_CLIENT", 1, 65'536,
       [](auto& c, auto v) { c.max_connections_per_client = static_cast<int>(v); }},
      {"OUTBREAK_STREAM_BUFFER_BYTES", 4096, 1LL << 30,
       [](auto& c, auto v) { c.stream_buffer_bytes = static_cast<std::size_t>(v); }},
      // At most 50 s: under the 60 s a proxy such as nginx waits for a byte.
      {"OUTBREAK_STREAM_HEARTBEAT_MS", 100, 50'000,
       [](auto& c, auto v) { c.event_keepalive = std::chrono::milliseconds(v); }},
  };
}

Result<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return Error::invalid(fmt::format("must be a whole number, got \"{}\"", text));
  }
  if (value < min || value > max) {
    return Error::invalid(fmt::format("must be between {} and {}, got {}", min, max, value));
  }
  return value;
}

const char* set(const Environment& env, const char* name) {
  const char* value = env(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

Environment process_environment() {
  return [](const char* name) { return static_cast<const char*>(std::getenv(name)); };
}

Status set_listen_address(std::string_view listen, ServerConfig& config) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error::invalid(
        fmt::format("listen address must be host:port, e.g. 127.0.0.1:8080, got \"{}\"", listen));
  }
  std::string_view host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto port = parse_integer(listen.substr(colon + 1), 0, 65'535);
  if (host.empty() || !port) {
    return Error::invalid(fmt::format(
        "listen address must be host:port with a port from 0 to 65535, got \"{}\"", listen));
  }
  config.host = std::string(host);
  config.port = static_cast<int>(*port);
  return Ok{};
}

Result<ServerConfig> config_from_environment(const Environment& env) {
  ServerConfig config;
  config.database_url = std::string(store::kDefaultDatabaseUrl);
  std::vector<FieldError> errors;
  if (const char* listen = set(env, "OUTBREAK_LISTEN")) {
    if (Status ok = set_listen_address(listen, config); !ok) {
      errors.push_back({"OUTBREAK_LISTEN", ok.error().message});
    }
  }
  if (const char* url = set(env, "OUTBREAK_DATABASE_URL")) config.database_url = url;
  for (const IntegerSetting& setting : integer_settings()) {
    const char* text = set(env, setting.name);
    if (text == nullptr) continue;
    auto value = parse_integer(text, setting.min, setting.max);
    if (value) {
      setting.apply(config, *value);
    } else {
      errors.push_back({setting.name, value.error().message});
    }
  }
  config.public_url_set = set(env, "OUTBREAK_PUBLIC_URL") != nullptr;
  if (const char* list = set(env, "OUTBREAK_TRUSTED_PROXIES")) {
    if (auto proxies = TrustedProxies::parse(list); proxies) {
      config.trusted_proxies = std::move(proxies).value();
    } else {
      errors.push_back({"OUTBREAK_TRUSTED_PROXIES", proxies.error().message});
    }
  }
  if (!errors.empty()) {
    return Error::invalid("invalid server settings in the environment", std::move(errors));
  }
  return config;
}

Status check(const ServerConfig& config) {
  std::vector<FieldError> errors;
  if (config.workers < 0) {
    errors.push_back({"workers", fmt::format("must be at least 0, got {}", config.workers)});
  }
  if (config.worker_threads < 1) {
    errors.push_back(
        {"worker threads", fmt::format("must be at least 1, got {}", config.worker_threads)});
  }
  if (config.store_connections < 1) {
    errors.push_back(
        {"store connections", fmt::format("must be at least 1, got {}", config.store_connections)});
  }
  if (config.max_streams < 0) {
    errors.push_back(
        {"max streams", fmt::format("must be at least 0, got {}", config.max_streams)});
  }
  if (config.http_threads > 0 && config.http_threads <= config.max_streams) {
    // Each open stream holds a thread; with no thread left over, one more
    // viewer would stall every other request.
    errors.push_back({"http threads", fmt::format("must exceed the stream limit ({}), got {}",
                                                  config.max_streams, config.http_threads)});
  }
  if (config.database_url.empty()) errors.push_back({"database", "must not be empty"});
  if (!errors.empty()) return Error::invalid("invalid server settings", std::move(errors));
  return Ok{};
}

}  // namespace outbreak::serve
