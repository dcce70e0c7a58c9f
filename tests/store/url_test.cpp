// Database URLs, password redaction, and open_store()'s errors.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "outbreak/store/open.hpp"
#include "outbreak/store/url.hpp"

namespace outbreak::store {
namespace {

constexpr std::string_view kSecret = "s3cr%40t";  // decodes to "s3cr@t"

TEST(store_url, ParsesSqliteForms) {
  auto absolute = parse_database_url("sqlite:///var/lib/outbreak.db");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->backend, Backend::kSqlite);
  EXPECT_EQ(absolute->path, "/var/lib/outbreak.db");
  auto relative = parse_database_url(kDefaultDatabaseUrl);
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(relative->path, "./outbreak.db");
}

TEST(store_url, ParsesPostgresForms) {
  auto full =
      parse_database_url("postgresql://me:s3cr%40t@db.example.org:6543/sims?sslmode=require");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->backend, Backend::kPostgres);
  EXPECT_EQ(full->user, "me");
  EXPECT_EQ(full->password, "s3cr@t");
  EXPECT_EQ(full->host, "db.example.org");
  EXPECT_EQ(full->port, 6543);
  EXPECT_EQ(full->database, "sims");
  ASSERT_EQ(full->params.size(), 1u);
  EXPECT_EQ(full->params[0].second, "require");

  auto minimal = parse_database_url("postgres://localhost/sims");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->host, "localhost");
  EXPECT_FALSE(minimal->port);
  auto v6 = parse_database_url("postgresql://u@[::1]:5432/db");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 5432);
}

TEST(store_url, ParsesMysqlForms) {
  auto full = parse_database_url("mysql://me:s3cr%40t@db.example.org:3307/sims?connect_timeout=5");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->backend, Backend::kMysql);
  EXPECT_EQ(full->user, "me");
  EXPECT_EQ(full->password, "s3cr@t");
  EXPECT_EQ(full->host, "db.example.org");
  EXPECT_EQ(full->port, 3307);
  EXPECT_EQ(full->database, "sims");
  ASSERT_EQ(full->params.size(), 1u);
  EXPECT_EQ(full->params[0].first, "connect_timeout");
  EXPECT_EQ(full->params[0].second, "5");

  auto mariadb = parse_database_url("mariadb://me@127.0.0.1/outbreak");
  ASSERT_TRUE(mariadb.ok()) << mariadb.error().message;
  EXPECT_EQ(mariadb->backend, Backend::kMysql);
  EXPECT_EQ(mariadb->password, "");
  EXPECT_EQ(mariadb->port, kMysqlDefaultPort) << "the port defaults to 3306";
  EXPECT_EQ(mariadb->database, "outbreak");

  auto socket = parse_database_url("mysql://me:pw@/outbreak?socket=%2Frun%2Fmysqld%2Fmysqld.sock");
  ASSERT_TRUE(socket.ok()) << socket.error().message;
  EXPECT_EQ(socket->host, "");
  ASSERT_EQ(socket->params.size(), 1u);
  EXPECT_EQ(socket->params[0].second, "/run/mysqld/mysqld.sock");

  auto v6 = parse_database_url("mysql://u:p%2Fw@[::1]:3306/my%20db");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->password, "p/w");
  EXPECT_EQ(v6->database, "my db");
}

TEST(store_url, MalformedMysqlUrlsNameThePartAtFault) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"mysql://me:s3cr%40t@host:0/db", "port '0'"},
      {"mariadb://me:s3cr%40t@host:70000/db", "port '70000'"},
      {"mysql://me:s3cr%40t@host:3306", "no database name"},
      {"mysql://me:s3cr%40t@host/", "no database name"},
      {"mysql://me:s3cr%zz@host/db", "percent escape"},
      {"mysql://:s3cr%40t@host/db", "no user name"},
      {"mysql://host/db", "no user name"},
      {"mysql://me:s3cr%40t@/db", "no host"},
      {"mysql://me:s3cr%40t@host/db?sslmode=require", "unknown query parameter 'sslmode'"},
      {"mysql://me:s3cr%40t@host/db?socket=", "'socket' is empty"},
      {"mysql://me:s3cr%40t@host/db?connect_timeout=0", "connect_timeout '0'"},
      {"mysql://me:s3cr%40t@host/db?connect_timeout=5s", "connect_timeout '5s'"},
      {"mysql://me:s3cr%40t@host/db?connect_timeout=3601", "1..3600"},
      {"mysql://me:s3cr?t@host/db", "%3F"},
  };
  for (const auto& [url, problem] : cases) {
    auto parsed = parse_database_url(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidInput) << url;
    EXPECT_NE(parsed.error().message.find(problem), std::string::npos) << parsed.error().message;
    EXPECT_EQ(parsed.error().message.find("s3cr"), std::string::npos) << parsed.error().message;
  }
}

TEST(store_url, RedactHidesMysqlPasswords) {
  EXPECT_EQ(redact_url("mysql://me:pw@host:3306/db"), "mysql://me:***@host:3306/db");
  EXPECT_EQ(redact_url("mariadb://me:p%40w@host/db?socket=/run/x.sock"),
            "mariadb://me:***@host/db?socket=/run/x.sock");
  EXPECT_EQ(scrub("cannot connect to MySQL at mysql://me:pw@h/db: Access denied", "pw"),
            "cannot connect to MySQL at mysql://me:***@h/db: Access denied");
}

TEST(store_url, MalformedUrlsNameTheProblemWithoutThePassword) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"mongodb://me:s3cr%40t@host/db", "unknown scheme 'mongodb'"},
      {"me:s3cr%40t@host/db", "no scheme"},
      {"sqlite://", "path is empty"},
      {"sqlite://./x.db?mode=ro", "no ?query"},
      {"postgresql://me:s3cr%40t@host:99999/db", "port '99999'"},
      {"postgresql://me:s3cr%40t@host:abc/db", "port 'abc'"},
      {"postgresql://me:s3cr%40t@host:5432", "no database name"},
      {"postgresql://me:s3cr%40t@host/", "no database name"},
      {"postgresql://me:s3cr%zz@host/db", "percent escape"},
  };
  for (const auto& [url, problem] : cases) {
    auto parsed = parse_database_url(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidInput) << url;
    EXPECT_NE(parsed.error().message.find(problem), std::string::npos) << parsed.error().message;
    EXPECT_EQ(parsed.error().message.find("s3cr"), std::string::npos) << parsed.error().message;
  }
}

TEST(store_url, RedactHidesPasswordsEverywhere) {
  EXPECT_EQ(redact_url("postgresql://me:pw@host:5432/db"), "postgresql://me:***@host:5432/db");
  EXPECT_EQ(redact_url("postgresql://me@host/db"), "postgresql://me@host/db");
  EXPECT_EQ(redact_url("postgresql://me:p/w@rd@host/db"), "postgresql://me:***@host/db");
  EXPECT_EQ(redact_url("postgresql://host/db?user=me&password=pw&sslmode=require"),
            "postgresql://host/db?user=me&password=***&sslmode=require");
  EXPECT_EQ(redact_url("me:pw@host/db"), "me:***@host/db");
  EXPECT_EQ(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
  EXPECT_EQ(redact_url("postgresql://me:p%40ss%3Aw@host/db"), "postgresql://me:***@host/db");
  EXPECT_EQ(redact_url("postgresql://me:a?b@host/db"), "postgresql://me:***@host/db");
  EXPECT_EQ(redact_url("postgresql://me:pw@host/db?application_name=a@b"),
            "postgresql://me:***@host/db?application_name=a@b");
}

TEST(store_url, ScrubHidesThePasswordOnlyWhereItStandsAsOne) {
  EXPECT_EQ(scrub("a pw b pw", "pw"), "a pw b pw") << "a word that is not a password";
  EXPECT_EQ(scrub("at postgresql://me:pw@host/db failed", "pw"),
            "at postgresql://me:***@host/db failed");
  EXPECT_EQ(scrub("user='me' password='pw' host=h", "pw"), "user='me' password='***' host=h");
  EXPECT_EQ(scrub("password=p w", "p w"), "password=***");
  EXPECT_EQ(scrub("text", ""), "text");
}

TEST(store_url, ScrubLeavesWordsThatEqualThePassword) {
  const std::string refused =
      "cannot connect to PostgreSQL at postgresql://admin:***@127.0.0.1:1/db: connection to "
      "server at \"127.0.0.1\", port 1 failed: Connection refused";
  EXPECT_EQ(scrub(refused, "refused"), refused);
  const std::string scheme = "PostgreSQL at postgresql://postgres:***@host/db: gone";
  EXPECT_EQ(scrub(scheme, "postgres"), scheme);
  const std::string smtp = "the SMTP server at smtp://mail:25 replied: 535 bad";
  EXPECT_EQ(scrub(smtp, "smtp"), smtp);
}

TEST(store_url, ScrubHidesAnEscapedPasswordInAUrl) {
  EXPECT_EQ(scrub("url postgresql://me:p%40ss%20w%3Ard@host/db: no", "p@ss w:rd"),
            "url postgresql://me:***@host/db: no");
  EXPECT_EQ(scrub("at smtp://me:p%2Fw@mail:25", "p/w"), "at smtp://me:***@mail:25");
}

// Found by fuzzing (tests/fuzz/database_url.cpp): a word holding "://"
// twice was redacted again and again, so scrub() never returned. It runs on
// a thread of its own here so that a hang fails the test at the deadline.
TEST(store_url, ScrubReturnsForAWordWithTwoSchemes) {
  auto promise = std::make_shared<std::promise<std::string>>();
  std::future<std::string> scrubbed = promise->get_future();
  std::thread([promise] {
    promise->set_value(scrub("failed: postgresql://me:pw@h/db?x=sqlite://y, again", "pw"));
  }).detach();
  ASSERT_EQ(scrubbed.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "scrub() did not return";
  EXPECT_EQ(scrubbed.get(), "failed: postgresql://me:***@h/db?x=sqlite://y, again");
}

TEST(store_url, ConninfoQuotesValues) {
  auto url = parse_database_url("postgresql://me:it%27s@host:1/db");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(postgres_conninfo(*url),
            "host='host' port='1' user='me' password='it\\'s' dbname='db' connect_timeout='10'");
}

TEST(store_open, MalformedUrlIsInvalidInput) {
  auto store = open_store("postgresql://me:s3cr%40t@host:0/db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(store.error().message.find("s3cr"), std::string::npos);
}

TEST(store_open, UnreachableServerIsAnIoErrorWithoutThePassword) {
  // Port 1 on loopback: nothing listens there, so the connection is refused.
  auto store =
      open_store(std::string("postgresql://me:") + std::string(kSecret) + "@127.0.0.1:1/db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find("postgresql://me:***@127.0.0.1:1/db"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cr"), std::string::npos) << store.error().message;
}

// Port 1 on loopback: nothing listens there, so libpq says "Connection
// refused". A password that is also a word of that message, or a part of the
// scheme, must leave the message readable and still not appear in the URL.
TEST(store_open, PasswordThatIsAWordOfTheMessageLeavesTheMessageIntact) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"refused", "refused"}, {"postgres", "postgres"}, {"p%40ss%20w%3Ard", "p@ss w:rd"}};
  for (const auto& [written, decoded] : cases) {
    auto store = open_store("postgresql://admin:" + written + "@127.0.0.1:1/db");
    ASSERT_FALSE(store.ok()) << written;
    const std::string& message = store.error().message;
    EXPECT_TRUE(message.starts_with(
        "cannot connect to PostgreSQL at postgresql://admin:***@127.0.0.1:1/db: "))
        << message;
    EXPECT_NE(message.find("Connection refused"), std::string::npos) << message;
    EXPECT_EQ(message.find("***", message.find("@127.0.0.1")), std::string::npos) << message;
    EXPECT_EQ(message.find(written + "@"), std::string::npos) << message;
    EXPECT_EQ(message.find(decoded + "@"), std::string::npos) << message;
  }
}

TEST(store_open, RawQuestionMarkInThePasswordIsNotShown) {
  auto store = open_store("postgresql://me:s3cr?t@host/db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(store.error().message.find("%3F"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cr"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("t@host"), std::string::npos) << store.error().message;
}

TEST(store_open, MalformedMysqlUrlIsInvalidInput) {
  auto store = open_store("mysql://me:s3cr%40t@host:0/db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(store.error().message.find("port '0'"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cr"), std::string::npos) << store.error().message;
}

TEST(store_open, SqliteFileInAMissingFolderIsAnIoError) {
  auto store = open_store("sqlite:///nonexistent-folder-for-outbreak/x.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find("/nonexistent-folder-for-outbreak/x.db"), std::string::npos)
      << store.error().message;
}

TEST(store_job_status, NamesRoundTrip) {
  for (auto status : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kSucceeded,
                      JobStatus::kFailed, JobStatus::kCancelled}) {
    EXPECT_EQ(job_status_from_string(to_string(status)), status);
  }
  EXPECT_EQ(job_status_from_string("Queued"), std::nullopt);
}

}  // namespace
}  // namespace outbreak::store
