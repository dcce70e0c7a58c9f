// `outbreak submit FILE.json`: validate a scenario and enqueue it as a job.
#pragma once

#include <optional>
#include <string>

namespace outbreak::cli {

struct SubmitOptions {
  std::string path;                   // the scenario file
  std::optional<std::string> preset;  // applied before the file
  std::string name;                   // empty: the file name without its extension
  std::string email;                  // empty: none
  std::string database;               // empty: OUTBREAK_DATABASE_URL, else the default
  int max_attempts = 3;
};

// Validates the scenario, on top of the preset if one is named (every
// problem at once, exit 2), migrates the database, enqueues the complete scenario (defaults filled
// in, so a later change of a default does not change the job) and prints the new id.
int submit_command(const SubmitOptions& options);

}  // namespace outbreak::cli
