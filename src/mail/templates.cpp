#include "outbreak/mail/templates.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/mail/message.hpp"

namespace outbreak::mail {
namespace {

using store::SimulationRecord;

// Unicode's Cf (format) characters, plus the separators Zl and Zp.
bool is_format_character(char32_t c) {
  constexpr std::pair<char32_t, char32_t> kRanges[] = {
      {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},
      {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},
      {0x200B, 0x200F},   {0x2028, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
      {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
      {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
      {0xE0020, 0xE007F}};
  return std::any_of(std::begin(kRanges), std::end(kRanges),
                     [c](const auto& range) { return c >= range.first && c <= range.second; });
}

// The length of the well-formed UTF-8 sequence at the start of `text` and
// its code point; length 0 if it is not one.
std::pair<std::size_t, char32_t> decode(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  char32_t c = 0;
  if (lead < 0x80) return {1, lead};
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    c = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    c = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    c = lead & 0x07;
  } else {
    return {0, 0};
  }
  if (text.size() < length) return {0, 0};
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[i]);
    if ((next & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (next & 0x3F);
  }
  constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kSmallest[length] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
  return {length, c};
}

// Every value a submitter typed passes through here on its way into a mail.
std::string clean(std::string_view text) { return without_format_characters(text); }

// What every mail is made of; the text and HTML versions are built from it.
struct Body {
  std::string intro;
  std::vector<std::pair<std::string, std::string>> rows;   // label, value
  std::vector<std::pair<std::string, std::string>> links;  // label, URL
  std::string outro;
};

std::string trimmed_base(std::string_view public_url) {
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  return std::string(public_url);
}

std::string plural(std::int64_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", format_count(static_cast<double>(count)), count == 1 ? one : many);
}

std::string percent(double fraction) { return fmt::format("{:.1f}%", 100.0 * fraction); }

std::string interventions(const engine::Scenario& scenario) {
  std::vector<std::string> parts;
  if (scenario.symptomatic_isolation) parts.emplace_back("symptomatic isolation");
  if (scenario.contact_tracing) {
    parts.push_back(fmt::format("contact tracing ({} coverage, {} delay)",
                                percent(scenario.tracing_coverage),
                                plural(scenario.tracing_delay_days, "day", "days")));
  }
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, "; "));
}

// The scenario in two rows; only days and replicates when the stored JSON
// cannot be read any more.
void add_scenario_rows(const SimulationRecord& record, Body& body) {
  engine::Scenario scenario;
  if (!io::read_scenario_json(record.scenario_json, scenario)) {
    body.rows.emplace_back("Scenario",
                           fmt::format("{}, {}", plural(record.days, "day", "days"),
                                       plural(record.replicates, "replicate", "replicates")));
    return;
  }
  body.rows.emplace_back(
      "Scenario",
      fmt::format("{}, {}, {} (seed {})", plural(scenario.population, "agent", "agents"),
                  plural(scenario.days, "day", "days"),
                  plural(scenario.replicates, "replicate", "replicates"), scenario.seed));
  body.rows.emplace_back("Interventions", interventions(scenario));
}

std::string text_version(const Body& body) {
  std::size_t width = 0;
  for (const auto& [label, value] : body.rows) width = std::max(width, label.size());
  for (const auto& [label, url] : body.links) width = std::max(width, label.size());
  std::string out = body.intro + "\n\n";
  for (const auto& [label, value] : body.rows) {
    out += fmt::format("  {:<{}}  {}\n", label + ":", width + 1, value);
  }
  out += '\n';
  for (const auto& [label, url] : body.links) {
    out += fmt::format("  {:<{}}  {}\n", label + ":", width + 1, url);
  }
  if (!body.outro.empty()) out += '\n' + body.outro + '\n';
  out += "\n-- \noutbreak, the epidemic simulator\n";
  return out;
}

std::string html_version(std::string_view subject, const Body& body) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n"
      "<body style=\"font-family: sans-serif\">\n<p>{}</p>\n<table>\n",
      html_escape(subject), html_escape(body.intro));
  for (const auto& [label, value] : body.rows) {
    out += fmt::format("<tr><th align=\"left\">{}</th><td>{}</td></tr>\n", html_escape(label),
                       html_escape(value));
  }
  out += "</table>\n";
  for (const auto& [label, url] : body.links) {
    out += fmt::format("<p>{}: <a href=\"{}\">{}</a></p>\n", html_escape(label), html_escape(url),
                       html_escape(url));
  }
  if (!body.outro.empty()) out += fmt::format("<p>{}</p>\n", html_escape(body.outro));
  out += "<p style=\"color: #666\">outbreak, the epidemic simulator</p>\n</body>\n</html>\n";
  return out;
}

MailText make(std::string subject, const Body& body) {
  MailText mail;
  mail.text = text_version(body);
  mail.html = html_version(subject, body);
  mail.subject = std::move(subject);
  return mail;
}

Body ended(const SimulationRecord& record, std::string_view intro, std::string_view reason,
           std::string_view public_url) {
  Body body;
  body.intro = fmt::format("Your simulation \"{}\" {}.", clean(record.name), intro);
  body.rows.emplace_back("Id", record.id);
  body.rows.emplace_back("Name", clean(record.name));
  body.rows.emplace_back("Reason", std::string(reason));
  body.links.emplace_back("Results page", results_page_url(public_url, record.id));
  return body;
}

// The note on runs still spreading at the end, when there are any.
void add_spreading_note(const RunCounts& runs, Body& body) {
  if (runs.still_spreading <= 0) return;
  body.rows.emplace_back(
      "Note",
      fmt::format("Still spreading at the end of the run ({} of {} {}): the totals are "
                  "not final.",
                  runs.still_spreading, runs.complete, runs.complete == 1 ? "run" : "runs"));
}

// A job that stopped early with complete runs: how many.
void add_partial_rows(const SimulationRecord& record, const RunCounts& runs, Body& body) {
  if (runs.complete <= 0) return;
  body.rows.emplace_back(
      "Runs", fmt::format("partial: {} of {} {} complete", runs.complete, record.replicates,
                          record.replicates == 1 ? "run" : "runs"));
  add_spreading_note(runs, body);
}

double column(const engine::DayValues& values, std::int64_t engine::DayTotals::*member) {
  for (std::size_t i = 0; i < engine::kDayColumns.size(); ++i) {
    if (engine::kDayColumns[i].member == member) return values[i];
  }
  return 0;
}

}  // namespace

std::string results_page_url(std::string_view public_url, std::string_view id) {
  return fmt::format("{}/simulations/{}", trimmed_base(public_url), id);
}

std::string results_csv_url(std::string_view public_url, std::string_view id) {
  return fmt::format("{}/api/v1/simulations/{}/results?format=csv", trimmed_base(public_url), id);
}

std::string without_format_characters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto [length, c] = decode(text);
    if (length == 0) {
      out += text[0];
      text.remove_prefix(1);
      continue;
    }
    if (!is_format_character(c)) out.append(text.substr(0, length));
    text.remove_prefix(length);
  }
  return out;
}

std::string confirm_url(std::string_view public_url, std::string_view token) {
  return fmt::format("{}/mail/confirm/{}", trimmed_base(public_url), token);
}

MailText confirmation_text(std::string_view address, std::string_view token,
                           std::string_view public_url) {
  Body body;
  body.intro = fmt::format(
      "Someone asked this outbreak service to send notices about simulations to {}. Before it "
      "sends any, it asks you to confirm that you want them.",
      address);
  body.links.emplace_back("Confirm", confirm_url(public_url, token));
  body.outro =
      "Open the link and press the button to confirm. If you did not ask for this, ignore this "
      "mail: nothing else will be sent to this address.";
  return make("Confirm mails from outbreak", body);
}

std::string format_count(double value, int decimals) {
  const std::string plain = fmt::format("{:.{}f}", std::abs(value), std::max(decimals, 0));
  const auto point = plain.find('.');
  const std::string whole = plain.substr(0, point);
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  const bool negative = value < 0 && plain.find_first_not_of("0.") != std::string::npos;
  return (negative ? "-" : "") + grouped + (point == std::string::npos ? "" : plain.substr(point));
}

std::optional<KeyFigures> key_figures(std::span<const engine::DayTotals> days) {
  if (days.empty()) return std::nullopt;
  KeyFigures figures;
  const engine::DayTotals& last = days.back();
  figures.population =
      static_cast<double>(last.susceptible + last.currently_infected + last.recovered + last.dead);
  figures.total_infected = static_cast<double>(last.total_infected);
  figures.deaths = static_cast<double>(last.dead);
  for (const engine::DayTotals& totals : days) {
    figures.hospitalizations += static_cast<double>(totals.new_hospitalizations);
  }
  figures.last_day = last.day;
  const auto peak = std::max_element(days.begin(), days.end(), [](const auto& a, const auto& b) {
    return a.currently_infected < b.currently_infected;
  });
  figures.peak_currently_infected = static_cast<double>(peak->currently_infected);
  figures.peak_day = peak->day;
  figures.attack_rate = figures.population > 0 ? figures.total_infected / figures.population : 0;
  return figures;
}

std::optional<KeyFigures> key_figures(const engine::Summary& summary, std::int64_t replicates) {
  if (summary.mean.empty()) return std::nullopt;
  using engine::DayTotals;
  KeyFigures figures;
  figures.replicates = replicates;
  const engine::DayValues& last = summary.mean.back();
  figures.population = column(last, &DayTotals::susceptible) +
                       column(last, &DayTotals::currently_infected) +
                       column(last, &DayTotals::recovered) + column(last, &DayTotals::dead);
  figures.total_infected = column(last, &DayTotals::total_infected);
  figures.deaths = column(last, &DayTotals::dead);
  // The mean of the replicates' sums is the sum of the daily means.
  for (const engine::DayValues& values : summary.mean) {
    figures.hospitalizations += column(values, &DayTotals::new_hospitalizations);
  }
  figures.last_day = std::llround(column(last, &DayTotals::day));
  const auto peak =
      std::max_element(summary.mean.begin(), summary.mean.end(), [](const auto& a, const auto& b) {
        return column(a, &DayTotals::currently_infected) <
               column(b, &DayTotals::currently_infected);
      });
  figures.peak_currently_infected = column(*peak, &DayTotals::currently_infected);
  figures.peak_day = std::llround(column(*peak, &DayTotals::day));
  figures.attack_rate = figures.population > 0 ? figures.total_infected / figures.population : 0;
  return figures;
}

Result<std::optional<KeyFigures>> load_key_figures(store::Store& store,
                                                   const SimulationRecord& record) {
  if (record.replicates > 1) {
    auto summary = store.summary(record.id);
    if (!summary) return summary.error();
    if (auto figures = key_figures(*summary, record.replicates)) return figures;
  }
  auto rows = store.results(record.id, 0);
  if (!rows) return rows.error();
  std::vector<engine::DayTotals> days;
  days.reserve(rows->size());
  for (const auto& row : *rows) days.push_back(row.totals);
  return key_figures(days);
}

Result<RunCounts> load_run_counts(store::Store& store, const SimulationRecord& record) {
  auto figures = store.figures(record.id);
  if (!figures) return figures.error();
  RunCounts runs;
  runs.complete = static_cast<std::int64_t>(figures->size());
  for (const store::RunFigures& run : *figures) runs.still_spreading += run.still_spreading ? 1 : 0;
  return runs;
}

MailText accepted_text(const SimulationRecord& record, std::string_view public_url) {
  Body body;
  body.intro =
      fmt::format("Your simulation \"{}\" has been accepted and is queued.", clean(record.name));
  body.rows.emplace_back("Id", record.id);
  body.rows.emplace_back("Name", clean(record.name));
  add_scenario_rows(record, body);
  body.links.emplace_back("Results page", results_page_url(public_url, record.id));
  body.outro =
      "The results page charts the run while it goes. You will get another mail when it ends.";
  return make(fmt::format("Simulation accepted: {}", clean(record.name)), body);
}

MailText finished_text(const SimulationRecord& record, const std::optional<KeyFigures>& figures,
                       std::string_view public_url, RunCounts runs) {
  Body body;
  body.intro = fmt::format("Your simulation \"{}\" has finished.", clean(record.name));
  body.rows.emplace_back("Id", record.id);
  body.rows.emplace_back("Name", clean(record.name));
  if (figures) {
    const int decimals = figures->replicates > 1 ? 1 : 0;
    body.rows.emplace_back("Total infected", format_count(figures->total_infected, decimals));
    body.rows.emplace_back("Attack rate", fmt::format("{} of {}", percent(figures->attack_rate),
                                                      format_count(figures->population)));
    body.rows.emplace_back(
        "Peak infected",
        fmt::format("{} on day {}", format_count(figures->peak_currently_infected, decimals),
                    figures->peak_day));
    body.rows.emplace_back("Hospital admissions",
                           format_count(figures->hospitalizations, decimals));
    body.rows.emplace_back("Deaths", format_count(figures->deaths, decimals));
    if (figures->replicates > 1) {
      body.rows.emplace_back("Figures", fmt::format("means over {} replicates, at day {}",
                                                    figures->replicates, figures->last_day));
    } else {
      body.rows.emplace_back("Figures", fmt::format("at day {}", figures->last_day));
    }
  } else {
    body.rows.emplace_back("Figures", "no results were stored");
  }
  add_spreading_note(runs, body);
  body.links.emplace_back("Results page", results_page_url(public_url, record.id));
  body.links.emplace_back("CSV", results_csv_url(public_url, record.id));
  return make(fmt::format("Simulation finished: {}", clean(record.name)), body);
}

MailText failed_text(const SimulationRecord& record, std::string_view public_url, RunCounts runs) {
  const std::string reason = clean(record.error.value_or("no reason was recorded"));
  Body body = ended(record, "failed", reason, public_url);
  add_partial_rows(record, runs, body);
  return make(fmt::format("Simulation failed: {}", clean(record.name)), body);
}

MailText cancelled_text(const SimulationRecord& record, std::string_view public_url,
                        RunCounts runs) {
  const std::string reason = clean(record.error.value_or("cancelled on request"));
  Body body = ended(record, "was cancelled", reason, public_url);
  add_partial_rows(record, runs, body);
  return make(fmt::format("Simulation cancelled: {}", clean(record.name)), body);
}

}  // namespace outbreak::mail
