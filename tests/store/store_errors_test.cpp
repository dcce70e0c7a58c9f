// One mapping from database faults to Error codes: the mapping itself, each
// backend's classification of its driver's exceptions, and the same fault
// raised on every backend giving the same code.
#include <sqlite3.h>

#include <pqxx/pqxx>

#include "outbreak/store/url.hpp"
#include "store/conformance_fixture.hpp"
#include "store/core/errors.hpp"
#include "store/postgres/postgres_faults.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace outbreak::store::testing {
namespace {

using core::FaultKind;

TEST(store_errors, EachFaultKindHasOneCode) {
  EXPECT_EQ(core::error_code_for(FaultKind::kUnavailable), ErrorCode::kIo);
  EXPECT_EQ(core::error_code_for(FaultKind::kRetry), ErrorCode::kIo);
  EXPECT_EQ(core::error_code_for(FaultKind::kNoSpace), ErrorCode::kResource);
  EXPECT_EQ(core::error_code_for(FaultKind::kConstraint), ErrorCode::kInvalidInput);
  EXPECT_EQ(core::error_code_for(FaultKind::kData), ErrorCode::kInternal);
  EXPECT_EQ(core::error_code_for(FaultKind::kInternal), ErrorCode::kInternal);
}

TEST(store_errors, MessageNamesTheDatabaseAndHidesThePassword) {
  const Error error =
      core::to_error(FaultKind::kUnavailable, "PostgreSQL at", "postgresql://me:***@db/x",
                     "connection to postgresql://me:hunter2@db/x failed\n", "hunter2");
  EXPECT_EQ(error.code, ErrorCode::kIo);
  EXPECT_EQ(error.message,
            "PostgreSQL at postgresql://me:***@db/x: connection to postgresql://me:***@db/x "
            "failed");
}

TEST(store_errors, NoSpaceSaysSo) {
  const Error error =
      core::to_error(FaultKind::kNoSpace, "SQLite database", "sqlite:///tmp/x.db", "disk I/O", "");
  EXPECT_EQ(error.code, ErrorCode::kResource);
  EXPECT_EQ(error.message,
            "SQLite database sqlite:///tmp/x.db: no space left to write (the disk or a size limit "
            "is full): disk I/O");
}

TEST(store_errors, SqliteFaultsAreClassifiedByResultCode) {
  using sqlite::SqliteError;
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_FULL)), FaultKind::kNoSpace);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_IOERR_WRITE, true)), FaultKind::kNoSpace);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_IOERR_WRITE)), FaultKind::kUnavailable);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_CONSTRAINT_UNIQUE)), FaultKind::kConstraint);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_CONSTRAINT_TRIGGER)), FaultKind::kConstraint);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_MISMATCH)), FaultKind::kData);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_BUSY)), FaultKind::kUnavailable);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_CANTOPEN)), FaultKind::kUnavailable);
  EXPECT_EQ(sqlite::classify(SqliteError("x", SQLITE_ERROR)), FaultKind::kInternal);
  EXPECT_EQ(sqlite::classify(core::Fault(FaultKind::kData, "x")), FaultKind::kData);
  EXPECT_EQ(sqlite::classify(std::runtime_error("x")), FaultKind::kInternal);
  EXPECT_THROW(sqlite::parse_time("not a time"), core::Fault);
}

TEST(store_errors, PostgresFaultsAreClassifiedBySqlstate) {
  const auto sql = [](const char* state) {
    return postgres::classify(pqxx::sql_error("x", "SELECT 1", state));
  };
  EXPECT_EQ(sql("53100"), FaultKind::kNoSpace);
  EXPECT_EQ(sql("53300"), FaultKind::kUnavailable);
  EXPECT_EQ(sql("23505"), FaultKind::kConstraint);
  EXPECT_EQ(sql("23514"), FaultKind::kConstraint);
  EXPECT_EQ(sql("22003"), FaultKind::kData);
  EXPECT_EQ(sql("40001"), FaultKind::kRetry);
  EXPECT_EQ(sql("40P01"), FaultKind::kRetry);
  EXPECT_EQ(sql("57P01"), FaultKind::kUnavailable);
  EXPECT_EQ(sql("25006"), FaultKind::kUnavailable);
  EXPECT_EQ(sql("55P03"), FaultKind::kUnavailable);
  EXPECT_EQ(sql("08006"), FaultKind::kUnavailable);
  EXPECT_EQ(sql("3D000"), FaultKind::kUnavailable);
  EXPECT_EQ(sql("28P01"), FaultKind::kUnavailable);
  EXPECT_EQ(sql("42601"), FaultKind::kInternal);
  EXPECT_EQ(sql(nullptr), FaultKind::kUnavailable);  // raised by libpq: the server went away
  EXPECT_EQ(postgres::classify(pqxx::broken_connection("x")), FaultKind::kUnavailable);
  EXPECT_EQ(postgres::classify(pqxx::serialization_failure("x")), FaultKind::kRetry);
  EXPECT_EQ(postgres::classify(pqxx::conversion_error("x")), FaultKind::kData);
  EXPECT_EQ(postgres::classify(std::runtime_error("x")), FaultKind::kInternal);
}

// The same fault, raised on each backend through its own SQL, gives the
// same code.
class StoreFaults : public StoreConformance {
 protected:
  // A trigger that refuses every new simulation as a CHECK would.
  void refuse_inserts() {
    if (GetParam() == "postgresql") {
      database_->exec(
          "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE "
          "EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END $$; "
          "CREATE TRIGGER refuse BEFORE INSERT ON simulations FOR EACH ROW EXECUTE FUNCTION "
          "refuse()");
    } else if (GetParam() == "mariadb") {
      // 4025: the error number of a failed CHECK constraint.
      database_->exec(
          "CREATE TRIGGER refuse BEFORE INSERT ON simulations FOR EACH ROW SIGNAL SQLSTATE "
          "'23000' SET MYSQL_ERRNO = 4025, MESSAGE_TEXT = 'refused'");
    } else if (GetParam() == "sqlite") {
      database_->exec(
          "CREATE TRIGGER refuse BEFORE INSERT ON simulations BEGIN SELECT RAISE(ABORT, "
          "'refused'); END");
    } else {
      FAIL() << "no refusing trigger written for " << GetParam();
    }
  }
};

TEST_P(StoreFaults, ABrokenConstraintIsInvalidInput) {
  refuse_inserts();
  auto id = store_->enqueue(new_simulation("refused"), kT0);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kInvalidInput) << id.error().message;
  EXPECT_NE(id.error().message.find("refused"), std::string::npos) << id.error().message;
  EXPECT_NE(id.error().message.find(redact_url(database_->url())), std::string::npos)
      << id.error().message;
}

TEST_P(StoreFaults, AMissingTableIsInternal) {
  const auto id = enqueue("job");
  database_->exec("DROP TABLE simulation_figures");
  auto figures = store_->figures(id);
  ASSERT_FALSE(figures.ok());
  EXPECT_EQ(figures.error().code, ErrorCode::kInternal) << figures.error().message;
  // The store goes on working for everything else.
  EXPECT_TRUE(store_->get(id).ok());
}

TEST_P(StoreFaults, AnUnknownLeaseIsLeaseLostNotNotFound) {
  const auto id = enqueue("job");
  auto renewed = store_->renew_lease(id, "nobody", kLease, kT0);
  ASSERT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.error().code, ErrorCode::kLeaseLost);
  auto finished = store_->finish("missing", "nobody", JobStatus::kSucceeded, {}, kT0);
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().code, ErrorCode::kLeaseLost);
}

INSTANTIATE_TEST_SUITE_P(store, StoreFaults, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::store::testing
