#include "results.hpp"

#include <iterator>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/io/scenario_json.hpp"

namespace outbreak::serve::detail {
namespace {

// The document io::write_results prints for JSON, for the replicates in
// `series` (each with its 1-based number) and no summary: for one replicate
// of a job, and for a job whose summary is not written yet.
std::string partial_json(
    const engine::Scenario& scenario,
    const std::vector<std::pair<std::int64_t, const std::vector<engine::DayTotals>*>>& series) {
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const auto& column : engine::kDayColumns) columns.push_back(column.name);
  std::string out =
      fmt::format("{{\n  \"scenario\": {},\n  \"columns\": {},\n  \"replicates\": [\n",
                  io::scenario_to_json(scenario).dump(), columns.dump());
  for (std::size_t s = 0; s < series.size(); ++s) {
    const auto& [number, days] = series[s];
    fmt::format_to(std::back_inserter(out), "    {{\"replicate\": {}, \"seed\": {}, \"days\": [\n",
                   number, scenario.seed + number - 1);
    for (std::size_t d = 0; d < days->size(); ++d) {
      out += "      " + io::json_day_row((*days)[d]);
      out += d + 1 < days->size() ? ",\n" : "\n";
    }
    out += s + 1 < series.size() ? "    ]},\n" : "    ]}\n";
  }
  out += "  ]\n}\n";
  return out;
}

}  // namespace

Result<std::string> render_results(store::Store& store, const store::SimulationRecord& job,
                                   io::Format format, std::optional<std::int64_t> replicate) {
  engine::Scenario scenario;
  if (Status read = io::read_scenario_json(job.scenario_json, scenario); !read) {
    return Error::invalid("the stored scenario does not read: " + read.error().message);
  }
  auto rows = store.results(job.id, replicate);
  if (!rows) return rows.error();
  engine::EnsembleResult result;
  result.replicates.resize(replicate ? 1 : static_cast<std::size_t>(job.replicates));
  for (store::DayRow& row : *rows) {
    const auto index = replicate ? 0 : static_cast<std::size_t>(row.replicate);
    if (index < result.replicates.size()) result.replicates[index].push_back(row.totals);
  }
  if (replicate) {
    if (format == io::Format::kJson)
      return partial_json(scenario, {{*replicate + 1, &result.replicates[0]}});
    std::ostringstream out;
    io::write_results(out, format, scenario, result);  // one replicate: no replicate column
    return std::move(out).str();
  }
  if (result.replicates.size() > 1) {
    auto summary = store.summary(job.id);
    if (!summary) return summary.error();
    result.summary = std::move(summary).value();
    if (result.summary.mean.empty() && format == io::Format::kJson) {
      std::vector<std::pair<std::int64_t, const std::vector<engine::DayTotals>*>> series;
      for (std::size_t r = 0; r < result.replicates.size(); ++r) {
        series.emplace_back(static_cast<std::int64_t>(r) + 1, &result.replicates[r]);
      }
      return partial_json(scenario, series);
    }
  }
  std::ostringstream out;
  io::write_results(out, format, scenario, result);
  return std::move(out).str();
}

Result<std::shared_ptr<const std::string>> ResultsCache::get(
    store::Store& store, const store::SimulationRecord& job, io::Format format,
    std::optional<std::int64_t> replicate) {
  const bool final = job.status == store::JobStatus::kSucceeded ||
                     job.status == store::JobStatus::kFailed ||
                     job.status == store::JobStatus::kCancelled;
  std::string key;
  if (final && job.finished_at) {
    key = fmt::format("{}/{}/{}/{}", job.id, job.finished_at->time_since_epoch().count(),
                      format == io::Format::kCsv ? "csv" : "json", replicate.value_or(-1));
    const std::lock_guard lock(mu_);
    if (auto found = index_.find(key); found != index_.end()) {
      entries_.splice(entries_.begin(), entries_, found->second);
      return found->second->second;
    }
  }
  auto text = render_results(store, job, format, replicate);
  if (!text) return text.error();
  auto body = std::make_shared<const std::string>(std::move(text).value());
  if (key.empty() || body->size() > max_bytes_) return body;
  const std::lock_guard lock(mu_);
  if (index_.contains(key)) return body;  // another request rendered it meanwhile
  entries_.emplace_front(key, body);
  index_.emplace(std::move(key), entries_.begin());
  bytes_ += body->size();
  while (bytes_ > max_bytes_ && !entries_.empty()) {
    bytes_ -= entries_.back().second->size();
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
  return body;
}

}  // namespace outbreak::serve::detail
