// The nginx configuration of docs/deploy.md under test: Debian's nginx
// started on loopback by scripts/test-nginx in front of a real
// `outbreak serve`, on a fresh SQLite database per test.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "serve/event_reader.hpp"
#include "serve/raw_connection.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {

class NginxTest : public ServeTest {
 protected:
  void TearDown() override {
    if (nginx_started_) {
      if (HasFailure()) {
        for (const char* name : {"error.log", "access.log"}) {
          std::ifstream in(dir_ / "nginx" / name);
          std::cout << "--- nginx " << name << ":\n" << in.rdbuf() << '\n';
        }
      }
      script("stop " + quoted(dir_.string()));
    }
    ServeTest::TearDown();
  }

  // Starts nginx in front of the server started by start(); with `bind`,
  // nginx connects to the server from that loopback address.
  void start_nginx(const std::string& bind = "") {
    nginx_started_ = true;  // stopped in TearDown even if starting fails half-way
    ASSERT_EQ(script(fmt::format("start {} {} {}", quoted(dir_.string()), server_->port(), bind)),
              0)
        << "scripts/test-nginx start failed:\n"
        << read(path("test-nginx.log"));
    nginx_port_ = std::stoi(read(path("port")));
  }

  httplib::Client proxy() const {
    httplib::Client client("127.0.0.1", nginx_port_);
    client.set_connection_timeout(seconds(10));
    client.set_read_timeout(seconds(60));
    client.set_decompress(false);
    return client;
  }

  // A finished job: submitted and run to its end by the server's worker.
  std::string finished_job() {
    const std::string id = submit(scenario(2000, 30, 2));
    EXPECT_TRUE(wait_for_status(id, "succeeded")) << status_of(id);
    return id;
  }

  // POSTs a submission to `port` over a connection from `source`, with an
  // X-Forwarded-For header if `forwarded_for` is not empty; the status.
  static int submit_from(int port, const std::string& source,
                         const std::string& forwarded_for = "") {
    RawConnection connection(port, source);
    const std::string body = R"({"scenario": {"population": 100, "days": 5}})";
    std::string request = fmt::format(
        "POST /api/v1/simulations HTTP/1.1\r\nHost: outbreak.test\r\n"
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.size());
    if (!forwarded_for.empty()) request += "X-Forwarded-For: " + forwarded_for + "\r\n";
    request += "\r\n" + body;
    if (!connection.send(request)) return -1;
    const auto response = connection.read_to_end(seconds(30));
    return response ? status_of_response(*response) : -1;
  }

  int nginx_port_ = 0;

 private:
  bool nginx_started_ = false;
  static std::string quoted(const std::string& text) { return "'" + text + "'"; }
  static std::string read(const std::string& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  int script(const std::string& arguments) const {
    const std::string command = fmt::format("{} {} >>{} 2>&1", quoted(OUTBREAK_TEST_NGINX_SCRIPT),
                                            arguments, quoted(path("test-nginx.log")));
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

}  // namespace outbreak::serve::testing
