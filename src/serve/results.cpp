#include "results.hpp"

#include <array>

#include <fmt/format.h>

#include "outbreak/io/scenario_json.hpp"

namespace outbreak::serve::detail {
namespace {

// FNV-1a, 64 bits: a short, stable digest for entity tags (not a secret).
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

bool is_final(store::JobStatus status) {
  return status == store::JobStatus::kSucceeded || status == store::JobStatus::kFailed ||
         status == store::JobStatus::kCancelled;
}

}  // namespace

ResultsDocument::ResultsDocument(const store::SimulationRecord& job, io::Format format,
                                 std::optional<std::int64_t> replicate,
                                 std::unique_ptr<engine::Scenario> scenario, bool summary_only)
    : id_(job.id),
      scenario_(std::move(scenario)),
      writer_(format, *scenario_,
              replicate ? 1 : (summary_only ? 0 : static_cast<std::size_t>(job.replicates))) {
  if (replicate) {
    replicates_.push_back(*replicate);
  } else if (!summary_only) {
    for (std::int64_t r = 0; r < job.replicates; ++r) replicates_.push_back(r);
  } else if (!scenario_->timeline().empty()) {
    for (std::int64_t r = 0; r < job.replicates; ++r) active_only_.push_back(r);
  }
}

Result<std::unique_ptr<ResultsDocument>> ResultsDocument::open(
    store::Store& store, const store::SimulationRecord& job, io::Format format,
    std::optional<std::int64_t> replicate, io::SummaryCoverage coverage, bool summary_only) {
  auto scenario = std::make_unique<engine::Scenario>();
  if (Status read = io::read_scenario_json(job.scenario_json, *scenario); !read) {
    return Error::invalid("the stored scenario does not read: " + read.error().message);
  }
  summary_only = summary_only && !replicate && job.replicates > 1 && format == io::Format::kJson;
  if (summary_only && coverage.replicates == 0) {
    coverage.replicates = static_cast<std::size_t>(job.replicates);
  }
  auto document =
      std::make_unique<ResultsDocument>(job, format, replicate, std::move(scenario), summary_only);
  document->writer_.set_summary_coverage(coverage);
  if (!replicate && job.replicates > 1) {
    auto summary = store.summary(job.id);
    if (!summary) return summary.error();
    // Until the worker has written it, JSON has no summary at all and CSV
    // no summary rows.
    if (!summary->mean.empty() || format == io::Format::kCsv) {
      document->summary_ = std::move(summary).value();
    }
  }
  return document;
}

Result<bool> ResultsDocument::next(store::Store& store, std::string& out, std::size_t max_bytes) {
  while (out.size() < max_bytes && stage_ != Stage::kDone) {
    switch (stage_) {
      case Stage::kHead:
        writer_.head(out);
        stage_ = Stage::kReplicates;
        break;
      case Stage::kReplicates: {
        if (replicate_ == replicates_.size()) {
          if (summary_) {
            // The union of the items active each day, from every replicate's
            // days, before the first summary row is written.
            for (const std::int64_t replicate : active_only_) {
              auto rows = store.results(id_, replicate);
              if (!rows) return rows.error();
              for (std::size_t day = 0; day < rows->size(); ++day) {
                writer_.note_active(day, (*rows)[day].totals);
              }
            }
            active_only_.clear();
          }
          stage_ = summary_ ? Stage::kSummary : Stage::kTail;
          if (summary_) writer_.summary_start(out);
          break;
        }
        const std::int64_t replicate = replicates_[replicate_];
        if (!rows_) {
          auto rows = store.results(id_, replicate);
          if (!rows) return rows.error();
          rows_ = std::move(rows).value();
          row_ = 0;
          writer_.replicate_start(out, replicate + 1);
        }
        for (; row_ < rows_->size() && out.size() < max_bytes; ++row_) {
          writer_.day(out, (*rows_)[row_].totals);
        }
        if (row_ == rows_->size()) {
          writer_.replicate_end(out);
          rows_.reset();
          ++replicate_;
        }
        break;
      }
      case Stage::kSummary: {
        const std::array<const std::vector<engine::DayValues>*, 3> series = {
            &summary_->mean, &summary_->p5, &summary_->p95};
        if (series_ == series.size()) {
          summary_.reset();  // no longer needed
          stage_ = Stage::kTail;
          break;
        }
        if (!in_series_) {
          writer_.series_start(out, series_);
          in_series_ = true;
          series_row_ = 0;
        }
        const std::vector<engine::DayValues>& rows = *series[series_];
        for (; series_row_ < rows.size() && out.size() < max_bytes; ++series_row_) {
          writer_.summary_row(out, series_row_, rows[series_row_]);
        }
        if (series_row_ == rows.size()) {
          writer_.series_end(out);
          in_series_ = false;
          series_row_ = 0;
          ++series_;
        }
        break;
      }
      case Stage::kTail:
        writer_.tail(out);
        stage_ = Stage::kDone;
        break;
      case Stage::kDone:
        break;
    }
  }
  return stage_ != Stage::kDone;
}

Result<io::SummaryCoverage> summary_coverage(store::Store& store,
                                             const store::SimulationRecord& job) {
  if (job.status != store::JobStatus::kCancelled && job.status != store::JobStatus::kFailed) {
    return io::SummaryCoverage{};
  }
  auto figures = store.figures(job.id);
  if (!figures) return figures.error();
  const auto complete = static_cast<std::int64_t>(figures->size());
  return io::SummaryCoverage{static_cast<std::size_t>(complete), complete < job.replicates};
}

std::string ResultsCache::key(const store::SimulationRecord& job, io::Format format,
                              std::optional<std::int64_t> replicate, bool summary_only) {
  if (!is_final(job.status) || !job.finished_at) return {};
  return fmt::format("{}/{}/{}/{}{}", job.id, job.finished_at->time_since_epoch().count(),
                     format == io::Format::kCsv ? "csv" : "json", replicate.value_or(-1),
                     summary_only ? "/summary" : "");
}

std::string results_etag(const store::SimulationRecord& job, const std::string& key,
                         io::Format format, std::optional<std::int64_t> replicate,
                         bool summary_only, bool has_summary, Coding coding) {
  const std::string suffix =
      coding == Coding::kIdentity ? std::string() : fmt::format("-{}", coding_name(coding));
  if (!key.empty()) {
    return fmt::format("\"{:016x}{}\"", fnv1a(fmt::format("{}/{}", OUTBREAK_VERSION, key)), suffix);
  }
  const std::string progress =
      fmt::format("{}/{}/{}/{}/{}/{}/{}/{}/{}", OUTBREAK_VERSION, job.id,
                  store::to_string(job.status), job.claims, job.progress_replicate.value_or(-1),
                  job.progress_day.value_or(-1), format == io::Format::kCsv ? "csv" : "json",
                  replicate.value_or(-1), summary_only ? "summary" : "all");
  return fmt::format("W/\"{:016x}{}{}\"", fnv1a(progress), has_summary ? "-s" : "", suffix);
}

std::string finished_etag(const std::string& key, Coding coding) {
  const std::string suffix =
      coding == Coding::kIdentity ? std::string() : fmt::format("-{}", coding_name(coding));
  return fmt::format("\"{:016x}{}\"", fnv1a(fmt::format("{}/{}", OUTBREAK_VERSION, key)), suffix);
}

CachedResults CachedResults::compress(std::string body) {
  CachedResults results;
  results.gzip = gzip_compress(body);
  results.brotli = brotli_compress(body, kBrotliQuality);
  results.identity = std::move(body);
  return results;
}

const std::string& CachedResults::bytes(Coding coding) const {
  switch (coding) {
    case Coding::kBrotli:
      return brotli;
    case Coding::kGzip:
      return gzip;
    case Coding::kIdentity:
      break;
  }
  return identity;
}

std::shared_ptr<const CachedResults> ResultsCache::find(const std::string& key) {
  if (key.empty()) return nullptr;
  const std::lock_guard lock(mu_);
  const auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, found->second);
  return found->second->second;
}

std::string ResultsCache::variant(std::string_view id, io::Format format,
                                  std::optional<std::int64_t> replicate, bool summary_only) {
  return fmt::format("{}/{}/{}{}", id, format == io::Format::kCsv ? "csv" : "json",
                     replicate.value_or(-1), summary_only ? "/summary" : "");
}

std::shared_ptr<const CachedResults> ResultsCache::find_succeeded(const std::string& variant) {
  std::string key;
  {
    const std::lock_guard lock(mu_);
    const auto found = succeeded_.find(variant);
    if (found == succeeded_.end()) return nullptr;
    key = found->second;
  }
  return find(key);
}

void ResultsCache::offer(const std::string& key, std::string body,
                         const store::SimulationRecord& job, io::Format format,
                         std::optional<std::int64_t> replicate, bool summary_only) {
  if (key.empty() || body.size() > max_entry_bytes_ || body.size() > max_bytes_) return;
  {
    const std::lock_guard lock(mu_);
    if (index_.contains(key)) return;  // another request rendered it meanwhile
  }
  // Compressed outside the lock: other documents are read meanwhile.
  CachedResults results = CachedResults::compress(std::move(body));
  results.key = key;
  results.name = job.name;
  auto shared = std::make_shared<const CachedResults>(std::move(results));
  const std::string succeeded = job.status == store::JobStatus::kSucceeded
                                    ? variant(job.id, format, replicate, summary_only)
                                    : std::string();
  const std::lock_guard lock(mu_);
  if (index_.contains(key) || shared->size() > max_bytes_) return;
  bytes_ += shared->size();
  entries_.emplace_front(key, std::move(shared));
  index_.emplace(key, entries_.begin());
  if (!succeeded.empty()) succeeded_[succeeded] = key;
  while (bytes_ > max_bytes_ && !entries_.empty()) {
    const std::string& gone = entries_.back().first;
    bytes_ -= entries_.back().second->size();
    // A succeeded document's variant is the key up to its finishing time.
    const std::size_t id_end = gone.find('/');
    const std::size_t time_end = gone.find('/', id_end + 1);
    if (id_end != std::string::npos && time_end != std::string::npos) {
      const auto it = succeeded_.find(gone.substr(0, id_end) + gone.substr(time_end));
      if (it != succeeded_.end() && it->second == gone) succeeded_.erase(it);
    }
    index_.erase(gone);
    entries_.pop_back();
  }
}

std::size_t ResultsCache::bytes() {
  const std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace outbreak::serve::detail
