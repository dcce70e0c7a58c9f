// `outbreak jobs list|show|cancel|retry|prune`: the queue from the shell.
#pragma once

#include <string>

namespace outbreak::cli {

struct JobsOptions {
  std::string action;           // list | show | cancel | retry | prune
  std::string id;               // show, cancel, retry
  std::string status;           // list: only this status (empty: all)
  int limit = 100;              // list: at most this many, newest first
  std::string older_than_days;  // prune: days (empty: OUTBREAK_RETENTION_DAYS)
  std::string database;         // empty: OUTBREAK_DATABASE_URL, else the default
};

// list: one line per job (id, status, progress, attempts, name); show: every
// field as "key: value"; cancel: prints the status after the request;
// retry: requeues a failed or cancelled job; prune: deletes the jobs that
// finished more than --older-than (or OUTBREAK_RETENTION_DAYS) days ago and
// prints how many. Exit 2 for an unknown id or a
// transition that is not allowed, 1 for a database failure.
int jobs_command(const JobsOptions& options);

}  // namespace outbreak::cli
