// Behind a reverse proxy: which peers are trusted (OUTBREAK_TRUSTED_PROXIES),
// the client address X-Forwarded-For gives for the rate limit, the
// connections per client and the logs, and the event stream's headers and
// heartbeat. 127.0.0.1 stands in for the proxy; 127.0.0.2 for a client
// that talks to the server directly.
#include <atomic>
#include <vector>

#include "outbreak/serve/config.hpp"
#include "outbreak/serve/trusted_proxies.hpp"
#include "serve/raw_connection.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

std::string client_of(const TrustedProxies& proxies, std::string_view peer,
                      std::string_view forwarded_for) {
  return proxies.client_address(peer, forwarded_for);
}

TEST(TrustedProxies, CidrsOfBothFamilies) {
  auto proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::1");
  ASSERT_TRUE(proxies) << proxies.error().message;
  EXPECT_TRUE(proxies->trusts("10.255.0.1"));
  EXPECT_FALSE(proxies->trusts("11.0.0.1"));
  EXPECT_TRUE(proxies->trusts("192.168.1.7"));
  EXPECT_FALSE(proxies->trusts("192.168.1.8"));
  EXPECT_TRUE(proxies->trusts("2001:db8:ffff::1"));
  EXPECT_FALSE(proxies->trusts("2001:db9::1"));
  EXPECT_TRUE(proxies->trusts("::1"));
  EXPECT_TRUE(proxies->trusts("::ffff:10.1.2.3")) << "an IPv4-mapped address is the IPv4 one";
  EXPECT_FALSE(proxies->trusts("not an address"));

  auto odd_prefix = parse_cidr("10.1.2.3/12");
  ASSERT_TRUE(odd_prefix);
  EXPECT_TRUE(odd_prefix->contains(*parse_ip("10.15.0.1")));
  EXPECT_FALSE(odd_prefix->contains(*parse_ip("10.16.0.1")));
  auto everything = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(everything);
  EXPECT_TRUE(everything->contains(*parse_ip("203.0.113.9")));
  EXPECT_FALSE(everything->contains(*parse_ip("2001:db8::1"))) << "families never mix";

  auto none = TrustedProxies::parse("  ");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(none->trusts("127.0.0.1"));
}

TEST(TrustedProxies, AnythingNotACidrIsNamed) {
  for (const std::string bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "localhost",
                                "10.0.0.0/8,,::1", "10.0.0.0/-1", "10.0.0.0/8x", "1.2.3.4:80"}) {
    auto proxies = TrustedProxies::parse(bad);
    ASSERT_FALSE(proxies) << bad;
    EXPECT_NE(proxies.error().message.find("is not an address range"), std::string::npos)
        << proxies.error().message;
  }
  auto bad = TrustedProxies::parse("10.0.0.0/8, proxy.example.org");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"proxy.example.org\""), std::string::npos)
      << bad.error().message;
}

TEST(TrustedProxies, TheClientIsTheRightmostUntrustedAddress) {
  auto proxies = TrustedProxies::parse("127.0.0.1/32, 10.0.0.0/8, fd00::/8");
  ASSERT_TRUE(proxies);
  // Through the proxy: the address it appended.
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "203.0.113.7"), "203.0.113.7");
  // What the client itself sent on the left is not believed.
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "1.1.1.1, 203.0.113.7"), "203.0.113.7");
  // Through two trusted proxies.
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "1.1.1.1, 203.0.113.7, 10.0.0.5"), "203.0.113.7");
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "2001:db8::7, fd00::1"), "2001:db8::7");
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "[2001:db8::7]:4711"), "2001:db8::7");
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "203.0.113.7:4711"), "203.0.113.7");
  // All trusted: the leftmost; none: the peer.
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "10.0.0.9, 10.0.0.5"), "10.0.0.9");
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", ""), "127.0.0.1");
  // An entry that is not an address: the proxy right of it.
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "203.0.113.7, unknown, 10.0.0.5"), "10.0.0.5");
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", "<script>"), "127.0.0.1");
  EXPECT_EQ(client_of(*proxies, "127.0.0.1", " , 203.0.113.7 ,"), "203.0.113.7");
  // From a peer that is not trusted the header is ignored.
  EXPECT_EQ(client_of(*proxies, "198.51.100.4", "203.0.113.7"), "198.51.100.4");
  EXPECT_EQ(client_of(TrustedProxies{}, "127.0.0.1", "203.0.113.7"), "127.0.0.1");
}

TEST(TrustedProxies, EveryForwardedForLineOfAHeadInOrder) {
  const std::string head =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\nAccept: */*\r\n"
      "x-forwarded-for:  2.2.2.2, 3.3.3.3 \r\nX-Forwarded-Forwarded: 9.9.9.9\r\n"
      "X-Forwarded-Host: example.org\r\n\r\n";
  EXPECT_EQ(forwarded_for_in_head(head), "1.1.1.1, 2.2.2.2, 3.3.3.3");
  EXPECT_EQ(forwarded_for_in_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "");
  EXPECT_EQ(forwarded_for_in_head("X-Forwarded-For: 1.1.1.1\r\n\r\n"), "")
      << "the request line is not a header";
}

TEST(TrustedProxies, ForwardedProtoAndHostGiveALinkBase) {
  EXPECT_EQ(forwarded_link_base("https", "outbreak.example.org"), "https://outbreak.example.org");
  EXPECT_EQ(forwarded_link_base(" HTTPS , http", "example.org:8443, inner:8080"),
            "https://example.org:8443");
  EXPECT_EQ(forwarded_link_base("http", "[2001:db8::1]:8080"), "http://[2001:db8::1]:8080");
  // Anything that could carry a path, a user, markup or another scheme.
  for (const auto& [proto, host] :
       std::vector<std::pair<std::string, std::string>>{{"ftp", "example.org"},
                                                        {"https", ""},
                                                        {"https", "evil.example/phish"},
                                                        {"https", "user@example.org"},
                                                        {"https", "example.org\"><script>"},
                                                        {"https", "exa mple.org"},
                                                        {"", "example.org"},
                                                        {"javascript", "alert(1)"},
                                                        {"https", std::string(256, 'a')}}) {
    EXPECT_EQ(forwarded_link_base(proto, host), std::nullopt) << proto << " " << host;
  }
}

TEST(TrustedProxies, SettingsNameTheBadValue) {
  const auto env = [](std::map<std::string, std::string> values) {
    return [values = std::move(values)](const char* name) -> const char* {
      const auto it = values.find(name);
      return it == values.end() ? nullptr : it->second.c_str();
    };
  };
  auto defaults = config_from_environment(env({}));
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->trusted_proxies.empty());
  EXPECT_EQ(defaults->event_keepalive, milliseconds(15'000));

  auto set = config_from_environment(env(
      {{"OUTBREAK_TRUSTED_PROXIES", "127.0.0.1/32,::1"}, {"OUTBREAK_STREAM_HEARTBEAT_MS", "250"}}));
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_TRUE(set->trusted_proxies.trusts("::1"));
  EXPECT_EQ(set->event_keepalive, milliseconds(250));

  auto bad = config_from_environment(env({{"OUTBREAK_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.300"},
                                          {"OUTBREAK_STREAM_HEARTBEAT_MS", "60000"}}));
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().fields.size(), 2U);
  for (const FieldError& field : bad.error().fields) {
    if (field.field == "OUTBREAK_TRUSTED_PROXIES") {
      EXPECT_NE(field.message.find("\"10.0.0.300\""), std::string::npos) << field.message;
    } else {
      EXPECT_EQ(field.field, "OUTBREAK_STREAM_HEARTBEAT_MS");
      EXPECT_NE(field.message.find("between 100 and 50000"), std::string::npos) << field.message;
    }
  }
}

class ProxyTest : public ServeTest {
 protected:
  // One request on a fresh connection from `source`, with `extra_headers`.
  std::optional<std::string> request(const std::string& source, const std::string& head_start,
                                     const std::string& extra_headers, const std::string& body = "",
                                     milliseconds timeout = seconds(10)) {
    RawConnection connection(server_->port(), source);
    std::string bytes = head_start + "\r\nHost: test\r\n" + extra_headers;
    if (!body.empty()) {
      bytes += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
    }
    bytes += "\r\n" + body;
    if (!connection.send(bytes)) return std::nullopt;
    return connection.read_response(timeout);
  }
  int submit_from(const std::string& source, const std::string& forwarded_for) {
    const std::string body = fmt::format(R"({{"name": "p", "scenario": {}}})", scenario(100, 5));
    const auto response = request(source, "POST /api/v1/simulations HTTP/1.1",
                                  "X-Forwarded-For: " + forwarded_for + "\r\n", body);
    return response ? status_of_response(*response) : -1;
  }
};

TEST_P(ProxyTest, ABadTrustedProxySettingStopsTheServerNamingTheValue) {
  ChildProcess process({"serve", "--listen", "127.0.0.1:0", "--database", database_->url()},
                       {{"OUTBREAK_TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.0/40"}},
                       path("bad.log"));
  EXPECT_EQ(process.wait(seconds(30)), 2);
  const std::string output = process.output();
  EXPECT_NE(output.find("OUTBREAK_TRUSTED_PROXIES"), std::string::npos) << output;
  EXPECT_NE(output.find("10.0.0.0/40"), std::string::npos) << output;
}

TEST_P(ProxyTest, SubmissionsAreLimitedPerForwardedClient) {
  start(0,
        {{"OUTBREAK_SUBMISSIONS_PER_MINUTE", "1"}, {"OUTBREAK_TRUSTED_PROXIES", "127.0.0.1/32"}});
  // Two clients behind the proxy each get their own bucket...
  EXPECT_EQ(submit_from("127.0.0.1", "203.0.113.7"), 201);
  EXPECT_EQ(submit_from("127.0.0.1", "203.0.113.8"), 201);
  // ...and the first one's is empty, whatever it puts left of its address.
  EXPECT_EQ(submit_from("127.0.0.1", "203.0.113.7"), 429);
  EXPECT_EQ(submit_from("127.0.0.1", "198.51.100.1, 203.0.113.7"), 429);

  // A peer that is not a trusted proxy cannot choose its address.
  EXPECT_EQ(submit_from("127.0.0.2", "203.0.113.9"), 201);
  EXPECT_EQ(submit_from("127.0.0.2", "203.0.113.10"), 429) << "a spoofed header is ignored";

  // The access log names the client, not the proxy.
  EXPECT_TRUE(wait_until([&] {
    return server_->output().find("remote=203.0.113.8") != std::string::npos;
  })) << server_->output();
}

// The base of the links in a job's mails, as the submitter reached the
// server: kept from a trusted proxy's X-Forwarded-Proto/Host while
// OUTBREAK_PUBLIC_URL is unset, never from anyone else.
TEST_P(ProxyTest, ForwardedProtoAndHostGiveTheJobsLinkBaseOnlyFromATrustedProxy) {
  const std::string body = fmt::format(R"({{"name": "p", "scenario": {}}})", scenario(100, 5));
  const std::string forwarded =
      "X-Forwarded-Proto: https\r\nX-Forwarded-Host: outbreak.example.org\r\n";
  const auto submit = [&](const std::string& source) {
    const auto response = request(source, "POST /api/v1/simulations HTTP/1.1", forwarded, body);
    return response ? status_of_response(*response) : -1;
  };
  const auto link_bases = [&] {
    return database_->query(
        "SELECT COUNT(*) || ':' || COUNT(link_base) || ':' || COALESCE(MAX(link_base), '') "
        "FROM simulations");
  };

  start(0, {{"OUTBREAK_TRUSTED_PROXIES", "127.0.0.1/32"}});
  ASSERT_EQ(submit("127.0.0.2"), 201);
  EXPECT_EQ(link_bases(), "1:0:") << "a peer that is not trusted cannot choose the links";
  ASSERT_EQ(submit("127.0.0.1"), 201);
  EXPECT_EQ(link_bases(), "2:1:https://outbreak.example.org");

  start(0, {{"OUTBREAK_TRUSTED_PROXIES", "127.0.0.1/32"},
            {"OUTBREAK_PUBLIC_URL", "https://configured.example.org"}});
  ASSERT_EQ(submit("127.0.0.1"), 201);
  EXPECT_EQ(link_bases(), "3:1:https://outbreak.example.org") << "OUTBREAK_PUBLIC_URL wins";
}

TEST_P(ProxyTest, WithoutTrustedProxiesForwardedForIsIgnored) {
  start(0, {{"OUTBREAK_SUBMISSIONS_PER_MINUTE", "1"}});
  EXPECT_EQ(submit_from("127.0.0.1", "203.0.113.7"), 201);
  EXPECT_EQ(submit_from("127.0.0.1", "203.0.113.8"), 429);
}

TEST_P(ProxyTest, ConnectionsAreCountedPerForwardedClientWhileInUse) {
  start(0, {{"OUTBREAK_MAX_CONNECTIONS_PER_CLIENT", "2"},
            {"OUTBREAK_TRUSTED_PROXIES", "127.0.0.1/32"}});
  const std::string id = submit(scenario(100, 5));  // stays queued: no worker
  ASSERT_FALSE(id.empty());
  // More idle connections from the proxy than one client may have.
  std::vector<RawConnection> idle;
  for (int i = 0; i < 4; ++i) idle.emplace_back(server_->port(), "127.0.0.1");

  // Two event streams held open for one client through the proxy.
  std::vector<RawConnection> streams;
  for (int i = 0; i < 2; ++i) {
    streams.emplace_back(server_->port(), "127.0.0.1");
    ASSERT_TRUE(streams.back().send(
        fmt::format("GET /api/v1/simulations/{}/events HTTP/1.1\r\nHost: test\r\n"
                    "X-Forwarded-For: 203.0.113.7\r\n\r\n",
                    id)));
    ASSERT_TRUE(streams.back().readable(seconds(10))) << "the stream did not start";
  }
  const auto third =
      request("127.0.0.1", "GET /healthz HTTP/1.1", "X-Forwarded-For: 203.0.113.7\r\n");
  ASSERT_TRUE(third);
  EXPECT_EQ(status_of_response(*third), 429) << *third;
  EXPECT_EQ(error_code_of_response(*third), "too_many_connections") << *third;

  const auto other =
      request("127.0.0.1", "GET /healthz HTTP/1.1", "X-Forwarded-For: 203.0.113.8\r\n");
  ASSERT_TRUE(other);
  EXPECT_EQ(status_of_response(*other), 200) << "another client behind the proxy is not affected";

  // An idle proxy connection, reused for the limited client, is refused too;
  // reused for another, it is served.
  ASSERT_TRUE(
      idle[0].send("GET /healthz HTTP/1.1\r\nHost: test\r\nX-Forwarded-For: 203.0.113.8\r\n\r\n"));
  const auto reused = idle[0].read_response(seconds(10));
  ASSERT_TRUE(reused);
  EXPECT_EQ(status_of_response(*reused), 200) << *reused;
}

TEST_P(ProxyTest, TheEventStreamIsNotBufferedAndSendsAHeartbeat) {
  start(0, {{"OUTBREAK_STREAM_HEARTBEAT_MS", "200"}});
  const std::string id = submit(scenario(100, 5));  // stays queued: nothing else to send
  ASSERT_FALSE(id.empty());
  httplib::Client client("127.0.0.1", server_->port());
  client.set_read_timeout(seconds(5));
  std::string accel;
  std::string text;
  int heartbeats = 0;
  auto response = client.Get(
      fmt::format("/api/v1/simulations/{}/events", id), httplib::Headers{},
      [&](const httplib::Response& head) {
        accel = head.get_header_value("X-Accel-Buffering");
        return true;
      },
      [&](const char* data, std::size_t length) {
        text.append(data, length);
        std::size_t at = 0;
        heartbeats = 0;
        while ((at = text.find(": keep-alive\n\n", at)) != std::string::npos) {
          ++heartbeats;
          ++at;
        }
        return heartbeats < 2;  // two in a row: they repeat
      });
  EXPECT_EQ(heartbeats, 2) << "got: " << text;
  EXPECT_EQ(accel, "no");
}

INSTANTIATE_TEST_SUITE_P(serve, ProxyTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
