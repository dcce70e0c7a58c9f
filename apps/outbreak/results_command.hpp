// `outbreak results ID`: the stored results of a finished job.
#pragma once

#include <string>

namespace outbreak::cli {

struct ResultsOptions {
  std::string id;
  std::string format = "csv";  // csv | json | table
  std::string database;        // empty: OUTBREAK_DATABASE_URL, else the default
};

// Writes the results of a succeeded job exactly as `outbreak run` would
// have for the same scenario. Exit 2 for an unknown id or a job that has not
// succeeded (yet), 1 for a database failure.
int results_command(const ResultsOptions& options);

}  // namespace outbreak::cli
