// A database that cannot write for lack of space, under a real `outbreak
// serve`: submissions are answered 507 with a message that says so (not
// "not reachable"), /readyz says not ready, reads go on, and everything
// works again once space is back. On SQLite the server's file-size limit
// (RLIMIT_FSIZE) stands in for a full disk; on PostgreSQL triggers raise
// SQLSTATE 53100 (disk_full), on MariaDB error 1114 (the table is full), as
// the servers do when their disk is full.
#include <sys/resource.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class StoreFaultTest : public ServeTest {
 protected:
  // Makes the database's writes fail for lack of space, or (`full` false)
  // succeed again.
  void set_full(bool full) {
    if (GetParam() == "sqlite") {
      rlimit limit{};
      const pid_t pid = server_->process().pid();
      ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, nullptr, &limit), 0) << std::strerror(errno);
      // One byte: every write into the database or its WAL is past it.
      limit.rlim_cur = full ? 1 : RLIM_INFINITY;
      ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
      return;
    }
    if (GetParam() == "mariadb") {
      // 1114 (the table is full): what InnoDB says when its disk is full.
      // A trigger has one event there, and fires per row.
      constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kTriggers = {
          {{"INSERT", "simulations"}, {"UPDATE", "simulations"}, {"UPDATE", "schema_migrations"}}};
      for (const auto& [event, table] : kTriggers) {
        const std::string name = fmt::format("full_{}_{}", table, event);
        database_->exec(full ? fmt::format("CREATE TRIGGER {} BEFORE {} ON {} FOR EACH ROW "
                                           "SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1114, "
                                           "MESSAGE_TEXT = 'The table is full'",
                                           name, event, table)
                             : "DROP TRIGGER " + name);
      }
      return;
    }
    if (full) {
      database_->exec(
          "CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE "
          "EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = "
          "'disk_full'; END $$; "
          "CREATE TRIGGER full_simulations BEFORE INSERT OR UPDATE ON simulations FOR EACH "
          "STATEMENT EXECUTE FUNCTION disk_is_full(); "
          "CREATE TRIGGER full_migrations BEFORE UPDATE ON schema_migrations FOR EACH STATEMENT "
          "EXECUTE FUNCTION disk_is_full()");
    } else {
      database_->exec(
          "DROP TRIGGER full_simulations ON simulations; DROP TRIGGER full_migrations ON "
          "schema_migrations; DROP FUNCTION disk_is_full()");
    }
  }
};

TEST_P(StoreFaultTest, AFullDiskIsReportedAsSuchAndPassesWhenSpaceIsBack) {
  ASSERT_NO_FATAL_FAILURE(start(0));
  const std::string before = submit(scenario(500, 5));
  ASSERT_FALSE(before.empty());
  get_json("/readyz");

  ASSERT_NO_FATAL_FAILURE(set_full(true));
  auto refused = post("/api/v1/simulations",
                      fmt::format(R"({{"name": "full", "scenario": {}}})", scenario(500, 5)));
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 507) << refused->body;
  const json error = json::parse(refused->body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << refused->body;
  EXPECT_EQ(error["error"]["code"], "insufficient_storage") << refused->body;
  EXPECT_NE(refused->body.find("no space left"), std::string::npos) << refused->body;
  EXPECT_EQ(refused->body.find("not reachable"), std::string::npos) << refused->body;
  EXPECT_TRUE(refused->has_header("Retry-After"));
  const json not_ready = get_json("/readyz", 503);
  EXPECT_NE(not_ready.dump().find("no space left"), std::string::npos) << not_ready.dump();
  // Reading needs no space.
  EXPECT_EQ(simulation(before).value("id", ""), before);

  ASSERT_NO_FATAL_FAILURE(set_full(false));
  EXPECT_FALSE(submit(scenario(500, 5)).empty());
  get_json("/readyz");
  EXPECT_EQ(server_->process().wait(milliseconds(0)), std::nullopt) << server_->output();
}

// A fault that is a bug, here a table gone from under the server, is a 500
// whose message gives nothing away; what happened is in the server's log.
TEST_P(StoreFaultTest, AnInternalFaultIsLoggedAndNotSentToTheClient) {
  ASSERT_NO_FATAL_FAILURE(start(0));
  const std::string id = submit(scenario(500, 5));
  ASSERT_FALSE(id.empty());
  database_->exec("DROP TABLE simulation_figures");
  auto response = client().Get("/api/v1/simulations/" + id);
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 500) << response->body;
  const json error = json::parse(response->body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << response->body;
  EXPECT_EQ(error["error"]["code"], "internal") << response->body;
  EXPECT_EQ(error["error"]["message"], "an internal error occurred; it has been logged")
      << response->body;
  EXPECT_EQ(response->body.find("simulation_figures"), std::string::npos) << response->body;
  EXPECT_TRUE(wait_until([&] {
    return server_->output().find("http_handler_failed") != std::string::npos;
  })) << server_->output();
  EXPECT_EQ(server_->process().wait(milliseconds(0)), std::nullopt) << server_->output();
}

INSTANTIATE_TEST_SUITE_P(serve, StoreFaultTest,
                         ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
