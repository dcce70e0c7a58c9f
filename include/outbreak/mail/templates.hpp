// The texts of the notification mails: accepted, finished (with the key
// figures of the results), failed and cancelled. Each is rendered at send
// time from the simulation's record and its stored results; nothing of the
// text is stored.
//
// Every function here is pure (load_key_figures reads the store) and
// thread-safe. Values a person typed (the name, an error) are HTML-escaped in
// the HTML version.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::mail {

// The links in mails use this base when OUTBREAK_PUBLIC_URL is not set.
inline constexpr std::string_view kDefaultPublicUrl = "http://127.0.0.1:8080";

// {public_url}/simulations/{id}: the results page (a trailing '/' of
// public_url is dropped).
std::string results_page_url(std::string_view public_url, std::string_view id);
// {public_url}/api/v1/simulations/{id}/results?format=csv
std::string results_csv_url(std::string_view public_url, std::string_view id);

// The figures a finished mail reports, from one replicate's days or from the
// mean over replicates (then counts may have fractions).
struct KeyFigures {
  double population = 0;      // susceptible + currently infected + recovered + dead
  double total_infected = 0;  // on the last day, the initial cases included
  double attack_rate = 0;     // total_infected / population, 0..1
  double peak_currently_infected = 0;
  std::int64_t peak_day = 0;    // the first day with that peak
  double deaths = 0;            // on the last day
  double hospitalizations = 0;  // admissions to hospital up to the last day
  std::int64_t last_day = 0;
  std::int64_t replicates = 1;  // > 1: the figures are means over this many
};

// From one replicate's days in day order; nullopt when `days` is empty.
std::optional<KeyFigures> key_figures(std::span<const engine::DayTotals> days);
// From the per-day mean of a summary over `replicates` runs; nullopt when
// the summary is empty.
std::optional<KeyFigures> key_figures(const engine::Summary& summary, std::int64_t replicates);

// The key figures of a stored simulation: the mean summary when it has
// several replicates, else replicate 0's days (replicates are numbered from
// 0, as `outbreak results` does). nullopt when nothing is stored. Errors:
// those of Store::results / Store::summary (kNotFound, kIo).
Result<std::optional<KeyFigures>> load_key_figures(store::Store& store,
                                                   const store::SimulationRecord& record);

// What the stored key figures of each run (Store::figures()) say about a
// job: how many runs are complete and how many of those were still
// spreading at the end (their totals are not final).
struct RunCounts {
  std::int64_t complete = 0;
  std::int64_t still_spreading = 0;
};
// Errors: those of Store::figures (kNotFound, kIo).
Result<RunCounts> load_run_counts(store::Store& store, const store::SimulationRecord& record);

// The subject and the two versions of one mail's body.
struct MailText {
  std::string subject;
  std::string text;  // plain text, lines separated by "\n"
  std::string html;  // a complete HTML document
};

// {public_url}/mail/confirm/{token}: the page that confirms an address.
std::string confirm_url(std::string_view public_url, std::string_view token);

// The request to confirm `address` (OUTBREAK_MAIL_CONFIRM): why it came, the
// link, and that nothing more is sent there until it is followed. It holds
// nothing a submitter typed.
MailText confirmation_text(std::string_view address, std::string_view token,
                           std::string_view public_url);

// "accepted": id, name, a summary of the scenario, the results page.
MailText accepted_text(const store::SimulationRecord& record, std::string_view public_url);
// "finished": the results page, the key figures (when any results are
// stored) and the CSV link; with runs still spreading at the end, a "Note"
// that says so: "Still spreading at the end of the run (N of M runs): the
// totals are not final."
MailText finished_text(const store::SimulationRecord& record,
                       const std::optional<KeyFigures>& figures, std::string_view public_url,
                       RunCounts runs = {});
// "failed": the reason is the simulation's error. With complete runs, a
// row "Runs": "partial: K of M runs complete" (and the note above).
MailText failed_text(const store::SimulationRecord& record, std::string_view public_url,
                     RunCounts runs = {});
// "cancelled": the reason is the simulation's error, if any; runs as failed.
MailText cancelled_text(const store::SimulationRecord& record, std::string_view public_url,
                        RunCounts runs = {});

// `text` without Unicode format characters (general category Cf: the bidi
// embeddings, overrides and isolates U+202A..U+202E and U+2066..U+2069,
// zero-width spaces and joiners U+200B..U+200F, U+2060..U+2064, U+FEFF,
// U+061C, U+00AD, tag characters ...) and without the line and paragraph
// separators U+2028 and U+2029: a submitter's text must not reorder or hide
// what a mail says around it. Bytes that are not valid UTF-8 are kept as they
// are (the message layer checks them). Pure; thread-safe.
std::string without_format_characters(std::string_view text);

// `value` with thousands separators and `decimals` digits after the point:
// format_count(1234567.0, 0) == "1,234,567".
std::string format_count(double value, int decimals = 0);

}  // namespace outbreak::mail
