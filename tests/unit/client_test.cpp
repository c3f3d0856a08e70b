// Unit tests for the protocol client against a scripted fake server on a
// UNIX socket in a temporary directory: login, replies and bodies, errors,
// the event log, and a server that misbehaves.
#include "client.hpp"

#include "crypto.hpp"
#include "error.hpp"
#include "fd.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using namespace disorder;
using V = std::vector<std::string>;

namespace {

const std::string kChallenge = from_hex("00112233445566778899aabbccddeeff");

// The server end of one connection, for the script to talk through.
class Peer {
public:
  explicit Peer(Fd fd) : fd_(std::move(fd)) {}

  // The next line the client sent, or "<EOF>".
  std::string read_line() {
    while (true) {
      if (auto line = reader_.next_line()) return *line;
      char buffer[4096];
      ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
      if (n <= 0) return "<EOF>";
      reader_.append(std::string_view(buffer, static_cast<size_t>(n)));
    }
  }
  // MSG_NOSIGNAL: the client may have hung up, which must not kill the
  // test program.
  void write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void greet() { write("231 2 sha1 " + to_hex(kChallenge) + "\n"); }
  void close() { fd_.reset(); }

private:
  Fd fd_;
  LineReader reader_;
};

// Listens on `path`, accepts one connection and runs the script on it in a
// thread.  Deadlines (not sleeps) keep a broken test from hanging.
class FakeServer {
public:
  FakeServer(std::string path, std::function<void(Peer&)> script) : path_(std::move(path)) {
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    path_.copy(sun.sun_path, sizeof sun.sun_path - 1);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0 ||
        ::listen(listener_.get(), 1) < 0)
      throw_errno("fake server " + path_);
    thread_ = std::thread([this, script = std::move(script)] {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 10000) != 1) return;
      Fd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      timeval tv{10, 0};
      ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      Peer peer(std::move(conn));
      script(peer);
    });
  }
  ~FakeServer() {
    thread_.join();
    ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
  Fd listener_;
  std::thread thread_;
};

// A fresh directory, removed with everything in it afterwards.
class TempDir {
public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path() / "disorder-client-test.XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw_errno("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// The client logs in as fred with "secret"; check the response and accept.
void expect_login(Peer& peer) {
  peer.greet();
  EXPECT_EQ(peer.read_line(), "user fred " + auth_response("sha1", "secret", kChallenge));
  peer.write("230 OK\n");
}

} // namespace

TEST(Client, LoginAndValueReply) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    expect_login(peer);
    EXPECT_EQ(peer.read_line(), "version");
    peer.write("251 \"0.1.0 (test)\"\n");
    EXPECT_EQ(peer.read_line(), "enabled");
    peer.write("252 yes\n");
    EXPECT_EQ(peer.read_line(), "random-enabled");
    peer.write("252 no\n");
    EXPECT_EQ(peer.read_line(), "<EOF>");
  });
  auto c = Client::open_unix(server.path());
  c.login("fred", "secret");
  EXPECT_EQ(c.user(), "fred");
  EXPECT_EQ(c.version(), "0.1.0 (test)");
  EXPECT_TRUE(c.enabled());
  EXPECT_FALSE(c.random_enabled());
}

TEST(Client, QuotesFieldsAndDecodesBodies) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    expect_login(peer);
    EXPECT_EQ(peer.read_line(), "set-global \"two words\" \"\"");
    peer.write("250 OK\n");
    EXPECT_EQ(peer.read_line(), "users");
    peer.write("253 Users follow\nalice\n..dotty\n\n.\n");
    EXPECT_EQ(peer.read_line(), "playlist-set mine");
    EXPECT_EQ(peer.read_line(), "..a");
    EXPECT_EQ(peer.read_line(), "b");
    EXPECT_EQ(peer.read_line(), ".");
    peer.write("250 OK\n");
  });
  auto c = Client::open_unix(server.path());
  c.login("fred", "secret");
  c.set_global("two words", "");
  EXPECT_EQ(c.users(), (V{"alice", ".dotty", ""}));
  EXPECT_EQ(c.command({"playlist-set", "mine"}, {".a", "b"}).code, 250);
}

TEST(Client, CommandErrorsLeaveTheConnectionUsable) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    expect_login(peer);
    EXPECT_EQ(peer.read_line(), "shutdown");
    peer.write("510 Prohibited\n");
    EXPECT_EQ(peer.read_line(), "get-global nothing");
    peer.write("555 not found\n");
    EXPECT_EQ(peer.read_line(), "userinfo fred email");
    peer.write("252 fred@example.org\n");
  });
  auto c = Client::open_unix(server.path());
  c.login("fred", "secret");
  try {
    c.shutdown();
    FAIL() << "no CommandError";
  } catch (const CommandError& e) {
    EXPECT_EQ(e.code(), 510);
    EXPECT_EQ(e.text(), "Prohibited");
    EXPECT_STREQ(e.what(), "Prohibited");
  }
  EXPECT_EQ(c.get_global("nothing"), std::nullopt);
  EXPECT_EQ(c.userinfo("fred", "email"), "fred@example.org");
}

TEST(Client, LoginRefused) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    peer.greet();
    peer.read_line();
    peer.write("530 authentication failed\n");
  });
  auto c = Client::open_unix(server.path());
  try {
    c.login("fred", "wrong");
    FAIL() << "no CommandError";
  } catch (const CommandError& e) {
    EXPECT_EQ(e.code(), 530);
    EXPECT_EQ(e.text(), "authentication failed");
  }
  EXPECT_EQ(c.user(), "");
}

TEST(Client, CookieLogin) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    peer.greet();
    EXPECT_EQ(peer.read_line(), "cookie \"abc def\"");
    peer.write("232 fred\n");
  });
  auto c = Client::open_unix(server.path());
  EXPECT_EQ(c.login_cookie("abc def"), "fred");
  EXPECT_EQ(c.user(), "fred");
}

TEST(Client, FollowsTheLogUntilTheServerGoes) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    expect_login(peer);
    EXPECT_EQ(peer.read_line(), "log");
    peer.write("254 OK\n6543a1b0 state enable_play\n..odd\n6543a1b1 volume 50 50\n");
    peer.close();
  });
  auto c = Client::open_unix(server.path());
  c.login("fred", "secret");
  V events;
  c.follow_log([&](std::string_view line) {
    events.emplace_back(line);
    return true;
  });
  EXPECT_EQ(events, (V{"6543a1b0 state enable_play", ".odd", "6543a1b1 volume 50 50"}));
  EXPECT_THROW(c.nop(), ProtocolError);
}

TEST(Client, FollowLogStopsWhenTheCallbackSaysSo) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    expect_login(peer);
    peer.read_line();
    peer.write("254 OK\none\ntwo\nthree\n");
    peer.read_line(); // until the client hangs up
  });
  V events;
  {
    auto c = Client::open_unix(server.path());
    c.login("fred", "secret");
    c.follow_log([&](std::string_view line) {
      events.emplace_back(line);
      return events.size() < 2;
    });
  }
  EXPECT_EQ(events, (V{"one", "two"}));
}

TEST(Client, PrivilegedSocketWhenNoPassword) {
  TempDir home;
  std::filesystem::create_directory(home.path() + "/private");
  FakeServer server(home.path() + "/private/socket", [](Peer& peer) {
    peer.greet();
    EXPECT_EQ(peer.read_line(), "user root -");
    peer.write("230 OK\n");
  });
  Config config;
  config.home = home.path();
  config.username = "root";
  config.password = "";
  auto c = Client::connect(config);
  EXPECT_EQ(c.user(), "root");
}

TEST(Client, PasswordOnThePublicSocket) {
  TempDir home;
  FakeServer server(home.path() + "/socket", [](Peer& peer) { expect_login(peer); });
  Config config;
  config.home = home.path();
  config.username = "fred";
  config.password = "secret";
  auto c = Client::connect(config);
  EXPECT_EQ(c.user(), "fred");
}

TEST(Client, TcpNeedsAPassword) {
  Config config;
  config.connect = NetAddress{AF_INET, "127.0.0.1", "9"};
  config.username = "fred";
  config.password = "";
  try {
    Client::connect(config);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no password"), std::string::npos) << e.what();
  }
}

TEST(Client, NoServerIsASystemError) {
  TempDir home;
  EXPECT_THROW(Client::open_unix(home.path() + "/socket"), SystemError);
}

// A server that breaks the protocol gives an exception, never a crash, and
// the Client refuses further use rather than reading out of step.
struct Misbehaviour {
  const char* name;
  std::string greeting; // sent instead of a proper greeting, if not empty
  std::string reply;    // sent in reply to "nop", then the server hangs up
};

class ClientMisbehaviour : public ::testing::TestWithParam<Misbehaviour> {};

TEST_P(ClientMisbehaviour, ThrowsProtocolError) {
  const Misbehaviour m = GetParam();
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [&m](Peer& peer) {
    if (!m.greeting.empty()) {
      peer.write(m.greeting);
      peer.close();
      return;
    }
    peer.greet();
    peer.read_line();
    peer.write(m.reply);
    peer.close();
  });
  if (!m.greeting.empty()) {
    EXPECT_THROW(Client::open_unix(server.path()), ProtocolError);
    return;
  }
  auto c = Client::open_unix(server.path());
  EXPECT_THROW(c.nop(), ProtocolError);
  EXPECT_THROW(c.nop(), ProtocolError);
}

INSTANTIATE_TEST_SUITE_P(
    Garbage, ClientMisbehaviour,
    ::testing::Values(Misbehaviour{"GreetingNotAResponse", "hello there\n", ""},
                      Misbehaviour{"GreetingWrongCode", "250 hi\n", ""},
                      Misbehaviour{"GreetingOldGeneration", "231 1 sha1 00ff\n", ""},
                      Misbehaviour{"GreetingUnknownAlgorithm", "231 2 md5 00ff\n", ""},
                      Misbehaviour{"GreetingBadHex", "231 2 sha1 xyz\n", ""},
                      Misbehaviour{"GreetingTooFewFields", "231 2\n", ""},
                      Misbehaviour{"GreetingBadQuoting", "231 2 \"sha1\n", ""},
                      Misbehaviour{"GreetingClosedMidLine", "231 2 sh", ""},
                      Misbehaviour{"GreetingNulBytes", std::string("\0\0\0\n", 4), ""},
                      Misbehaviour{"NoReply", "", ""},
                      Misbehaviour{"ReplyClosedMidLine", "", "250 O"},
                      Misbehaviour{"ReplyGarbage", "", "\xff\xfe garbage\n"},
                      Misbehaviour{"BodyWithoutTerminator", "", "253 body\na\nb\n"},
                      Misbehaviour{"EndlessBodyForACommand", "", "254 forever\n"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Client, OverlongLineIsRefused) {
  TempDir dir;
  FakeServer server(dir.path() + "/socket", [](Peer& peer) {
    peer.greet();
    peer.read_line();
    peer.write("250 " + std::string(max_line_length + 10, 'x'));
  });
  auto c = Client::open_unix(server.path());
  EXPECT_THROW(c.nop(), ProtocolError);
}
