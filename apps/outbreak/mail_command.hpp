// `outbreak mail list|retry`: the outbox of notification mails from the shell.
#pragma once

#include <cstdint>
#include <string>

namespace outbreak::cli {

struct MailOptions {
  std::string action;    // list | retry
  std::int64_t id = 0;   // retry
  std::string status;    // list: only this status (empty: all)
  int limit = 100;       // list: at most this many, newest first
  std::string database;  // empty: OUTBREAK_DATABASE_URL, else the default
};

// list: one line per mail (id, status, kind, attempts, created, simulation,
// recipient, last error); retry: a failed mail goes back to pending, due at
// once. Exit 2 for an unknown status or id or a mail that is not failed, 1
// for a database failure.
int mail_command(const MailOptions& options);

}  // namespace outbreak::cli
