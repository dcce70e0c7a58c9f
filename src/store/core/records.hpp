// The select lists of the store's records and reading them from Rows
// (internal to the store core).
#pragma once

#include <string>

#include "outbreak/store/store.hpp"
#include "store/core/dialect.hpp"

namespace outbreak::store::core {

// SimulationRecord's columns, in the order read_record() reads them, times
// through dialect.select_time().
std::string record_columns(const Dialect& dialect);
SimulationRecord read_record(const Rows& row);

// MailRecord's columns and a row of them.
std::string mail_columns(const Dialect& dialect);
MailRecord read_mail(const Rows& row);

// MailAddressRecord's columns and a row of them.
std::string address_columns(const Dialect& dialect);
MailAddressRecord read_address(const Rows& row);

}  // namespace outbreak::store::core
