// ServerConfig: everything `outbreak serve` can be told, typed and checked
// once at start (environment variables, then command-line flags), then
// passed as const& to the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "outbreak/serve/trusted_proxies.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::serve {

// What a submission may ask for on this server, on top of the engine's own
// ranges (engine/scenario.hpp).
struct Limits {
  std::int64_t population = 10'000'000;
  std::int64_t days = 3650;
  std::int64_t replicates = 100;
  // Largest days x replicates (the rows a job stores, whatever its
  // population): 36,500 is ten years of one replicate or a year of a
  // hundred, about 16 MB of results JSON.
  std::int64_t rows_per_job = 36'500;
  // Largest population x replicates whose line list the server re-runs for
  // GET .../line-list (the CLI has no limit); 0: never.
  std::int64_t line_list_agents = 1'000'000;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (Server::port() tells which)
  std::string database_url;
  int workers = 1;         // in-process workers (0: API only)
  int worker_threads = 1;  // engine threads per in-process job
  int max_streams = 256;   // concurrent event streams; more get 429
  int http_threads = 0;    // 0: max_streams + 16 (each open stream holds one)
  int store_connections = 4;
  std::size_t max_body_bytes = 1 << 20;
  Limits limits;
  int submissions_per_minute = 30;            // per client address; 0: unlimited
  std::int64_t max_queued = 1000;             // queued jobs beyond which submissions get 429
  std::chrono::milliseconds event_poll{200};  // how often a watched job is read
  // A comment line on an idle event stream, well within a proxy's read
  // timeout (nginx: 60 s).
  std::chrono::milliseconds event_keepalive{15'000};
  // Peers whose X-Forwarded-For gives the client address (rate limit,
  // connections per client, logs); nobody by default. While public_url_set
  // is false, their X-Forwarded-Proto and X-Forwarded-Host give the base of
  // the links in a new job's mails (store::NewSimulation::link_base).
  TrustedProxies trusted_proxies;
  bool public_url_set = false;  // OUTBREAK_PUBLIC_URL is set (not empty)
  // Slow and hostile clients (docs/reliability.md): a request head (request
  // line, headers, blank line) of at most max_head_bytes and max_headers
  // header lines (else 431), arriving within head_timeout (else 408); a
  // body within body_timeout; an idle kept-alive connection closed after
  // keep_alive_timeout; at most max_connections_per_client open
  // connections per client address (else 429).
  std::size_t max_head_bytes = 32 << 10;
  int max_headers = 100;
  std::chrono::milliseconds head_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  int max_connections_per_client = 64;
  // Event text a viewer may be behind a running job by before it is
  // dropped (it resumes with Last-Event-ID); also what one job's watcher keeps.
  std::size_t stream_buffer_bytes = 1 << 20;

  // http_threads, or its default.
  int effective_http_threads() const { return http_threads > 0 ? http_threads : max_streams + 16; }
};

// Looks up one environment variable; nullptr when unset. Injected so that
// tests need not touch the process environment.
using Environment = std::function<const char*(const char* name)>;

// The process environment (std::getenv).
Environment process_environment();

// Defaults, overridden by OUTBREAK_LISTEN, OUTBREAK_DATABASE_URL,
// OUTBREAK_WORKERS, OUTBREAK_WORKER_THREADS, OUTBREAK_HTTP_THREADS,
// OUTBREAK_MAX_STREAMS, OUTBREAK_STORE_CONNECTIONS, OUTBREAK_MAX_BODY_BYTES,
// OUTBREAK_MAX_POPULATION, OUTBREAK_MAX_DAYS, OUTBREAK_MAX_REPLICATES,
// OUTBREAK_MAX_ROWS_PER_JOB, OUTBREAK_MAX_LINE_LIST_AGENTS,
// OUTBREAK_SUBMISSIONS_PER_MINUTE, OUTBREAK_MAX_QUEUED,
// OUTBREAK_STREAM_BUFFER_BYTES, OUTBREAK_MAX_HEAD_BYTES, OUTBREAK_MAX_HEADERS,
// OUTBREAK_HEAD_TIMEOUT_MS, OUTBREAK_BODY_TIMEOUT_MS,
// OUTBREAK_KEEP_ALIVE_TIMEOUT_MS, OUTBREAK_MAX_CONNECTIONS_PER_CLIENT,
// OUTBREAK_STREAM_HEARTBEAT_MS and OUTBREAK_TRUSTED_PROXIES where set and not
// empty. The database URL defaults to store::kDefaultDatabaseUrl. Errors
// (kInvalidInput): every bad variable at once, each a FieldError naming it.
Result<ServerConfig> config_from_environment(const Environment& env);

// Sets host and port from "host:port" ("[::1]:8080" for IPv6; port 0 =
// any free port). Errors: kInvalidInput naming the value.
Status set_listen_address(std::string_view listen, ServerConfig& config);

// Checks the ranges that flags can break after config_from_environment
// (workers >= 0, threads >= 1, ...). Errors: kInvalidInput with every field.
Status check(const ServerConfig& config);

}  // namespace outbreak::serve
