#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "tests/support/test_env.hpp"

namespace gridwatch::test {

/// A throwaway PostgreSQL 15 from Debian's `postgresql` package: initdb in
/// a temp dir (as the `postgres` user when we are root, since initdb and
/// postgres refuse root), pg_ctl start on a free loopback port with its
/// unix socket in the temp dir, fsync off. Never the system service.
/// Destruction stops the server and removes everything.
///
/// When the binaries (or, as root, the `postgres` user) are missing,
/// available() is false and why_not() names what is missing: tests then
/// WARN and return (a SKIP), they do not fail.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool available() const { return started_; }
  const std::string& why_not() const { return why_not_; }
  int port() const { return port_; }
  /// initdb + start + the first createdb, measured.
  std::chrono::milliseconds start_time() const { return start_time_; }

  /// Creates an empty database; returns a libpq conninfo for it (TCP to
  /// 127.0.0.1, user postgres, trust authentication).
  std::string create_database(const std::string& name);
  /// A fresh database with a unique name ("test_1", "test_2", ...).
  std::string create_database();
  std::string conninfo(const std::string& database) const;
  std::string log() const;

  /// One server for the whole test binary run, started on first use and
  /// stopped at exit: starting one costs about a second.
  static PostgresServer& shared();

 private:
  bool start();
  void stop();

  TempDir dir_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool started_ = false;
  int databases_ = 0;
  std::string why_not_;
  std::chrono::milliseconds start_time_{0};
};

/// /usr/lib/postgresql/15/bin, or empty when initdb is not there.
std::string postgres_bin_dir();

}  // namespace gridwatch::test
