// Reading records, and the longer SQL of the PostgreSQL backend (internal).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "outbreak/store/store.hpp"

namespace outbreak::store::postgres {

// Microseconds since the epoch, the form times take as parameters.
std::int64_t micros(TimePoint time);

// SQL: parameter $n (microseconds) as a TIMESTAMPTZ.
std::string ts(int n);

// The record's columns, times as microseconds since the epoch; the row
// layout read_record() expects.
const std::string& record_columns();
SimulationRecord read_record(const pqxx::row& row);

// Array literals for unnest(): "{1,2,3}".
std::string int_array(const std::vector<std::int64_t>& values);
std::string double_array(const std::vector<double>& values);
// The same with NULL for NaN: for the columns where NULL means unknown.
std::string nullable_double_array(const std::vector<double>& values);
// A TEXT[] literal: every element quoted, so that empty strings and commas
// inside them survive: {"0,2",""}.
std::string text_array(const std::vector<std::string>& values);

// The columns of MailRecord (times as microseconds) and a row of them.
const std::string& mail_columns();
MailRecord read_mail(const pqxx::row& row);

// The columns of MailAddressRecord (times as microseconds) and a row of them.
const std::string& address_columns();
MailAddressRecord read_address(const pqxx::row& row);

// requeue_expired(); $1 is now (microseconds). Queues the mails of the jobs
// it fails or cancels; returns the new status of each job it moved.
std::string requeue_expired_sql();

}  // namespace outbreak::store::postgres
