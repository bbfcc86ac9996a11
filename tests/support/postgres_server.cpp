#include "tests/support/postgres_server.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "tests/support/child_process.hpp"

namespace gridwatch::test {
namespace {

constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
constexpr auto kCommandTimeout = std::chrono::seconds(60);

std::string runuser_binary() {
  for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

std::string postgres_bin_dir() {
  const std::string dir = kBinDir;
  for (const char* tool : {"initdb", "pg_ctl", "postgres", "createdb"}) {
    if (access((dir + "/" + tool).c_str(), X_OK) != 0) return "";
  }
  return dir;
}

PostgresServer::PostgresServer() {
  if (postgres_bin_dir().empty()) {
    why_not_ = std::string("PostgreSQL 15 binaries not found in ") + kBinDir +
               " (initdb, pg_ctl, postgres, createdb; Debian package postgresql-15)";
    return;
  }
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) {
      why_not_ = "running as root and there is no `postgres` user to run initdb and postgres as";
      return;
    }
    if (runuser_binary().empty()) {
      why_not_ = "running as root and runuser (util-linux) is missing";
      return;
    }
    // The data dir (and the socket dir) must belong to the server's user.
    if (chown(dir_.path().c_str(), user->pw_uid, user->pw_gid) != 0) {
      why_not_ = "cannot chown " + dir_.path() + " to postgres";
      return;
    }
    as_postgres_user_ = true;
  }
  const auto began = std::chrono::steady_clock::now();
  started_ = start();
  start_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
}

PostgresServer::~PostgresServer() { stop(); }

namespace {

/// argv for a server-side tool, run as postgres when we are root.
std::vector<std::string> as_server_user(bool as_postgres_user, const std::string& tool,
                                        std::vector<std::string> args) {
  std::vector<std::string> argv;
  if (as_postgres_user) argv = {runuser_binary(), "-u", "postgres", "--"};
  argv.push_back(std::string(kBinDir) + "/" + tool);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

bool PostgresServer::start() {
  const auto data = dir_.file("data");
  auto initdb = run_command(as_server_user(as_postgres_user_, "initdb",
                                           {"--auth=trust", "--no-sync", "--username=postgres", "--encoding=UTF8",
                                            "--locale=C", "-D", data}),
                            kCommandTimeout);
  if (initdb.exit_code != 0) {
    why_not_ = "initdb failed (exit " + std::to_string(initdb.exit_code) + "): " + initdb.output;
    return false;
  }
  // A free port may be taken by someone else before postgres binds it:
  // try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.path() +
                                " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                                " -c full_page_writes=off -c max_connections=50";
    auto started = run_command(as_server_user(as_postgres_user_, "pg_ctl",
                                              {"-w", "-t", "30", "-D", data, "-l", dir_.file("postgres.log"), "-o",
                                               options, "start"}),
                               kCommandTimeout);
    if (started.exit_code == 0) {
      create_database("gridwatch");
      return true;
    }
    why_not_ = "pg_ctl start failed (exit " + std::to_string(started.exit_code) + "): " + started.output + log();
  }
  return false;
}

void PostgresServer::stop() {
  if (!started_) return;
  run_command(as_server_user(as_postgres_user_, "pg_ctl", {"-D", dir_.file("data"), "-m", "immediate", "-w", "stop"}),
              kCommandTimeout);
  started_ = false;
}

std::string PostgresServer::create_database(const std::string& name) {
  auto created = run_command({std::string(kBinDir) + "/createdb", "-h", dir_.path(), "-p", std::to_string(port_), "-U",
                              "postgres", name},
                             kCommandTimeout);
  if (created.exit_code != 0) throw std::runtime_error("createdb " + name + " failed: " + created.output);
  return conninfo(name);
}

std::string PostgresServer::create_database() { return create_database("test_" + std::to_string(++databases_)); }

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + database +
         " connect_timeout=10";
}

std::string PostgresServer::log() const { return read_file(dir_.file("postgres.log")); }

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  static const bool reported = [] {
    if (server.available()) {
      std::fprintf(stderr, "test PostgreSQL 15 on 127.0.0.1:%d, started in %lld ms (initdb, pg_ctl start, createdb)\n",
                   server.port(), static_cast<long long>(server.start_time().count()));
    } else {
      std::fprintf(stderr, "test PostgreSQL unavailable: %s\n", server.why_not().c_str());
    }
    return true;
  }();
  static_cast<void>(reported);
  return server;
}

}  // namespace gridwatch::test
