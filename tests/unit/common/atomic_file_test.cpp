// replace_file_atomically: the content, the caller's mode despite the
// umask, and (as root) the owner and group the caller asks to keep.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/atomic_file.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;

namespace {

struct stat stat_of(const std::string& path) {
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status;
}

}  // namespace

TEST_CASE("an atomic replace writes the content with the caller's mode and leaves no temporary file",
          "[atomic-file]") {
  test::TempDir dir;
  const auto path = dir.file("edge.yaml");
  std::ofstream(path) << "old\n";
  const mode_t saved_umask = ::umask(077);
  const auto problem = replace_file_atomically(path, "new\n", 0640);
  ::umask(saved_umask);
  REQUIRE(problem.empty());
  CHECK(test::read_file(path) == "new\n");
  CHECK((stat_of(path).st_mode & 07777) == 0640);
  std::size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("an atomic replace into a missing directory fails and names the file", "[atomic-file]") {
  test::TempDir dir;
  const auto problem = replace_file_atomically(dir.file("missing/edge.yaml"), "x", 0644);
  CHECK(problem.find("missing/edge.yaml") != std::string::npos);
}

TEST_CASE("an atomic replace keeps the owner and group it is given", "[atomic-file]") {
  if (::geteuid() != 0) {
    WARN("SKIP: giving a file to another owner needs root");
    return;
  }
  test::TempDir dir;
  const auto path = dir.file("edge.yaml");
  std::ofstream(path) << "old\n";
  // 65534 is nobody/nogroup on Debian; any id other than root's shows it.
  REQUIRE(replace_file_atomically(path, "new\n", 0640, FileOwner{65534, 65534}).empty());
  const auto status = stat_of(path);
  CHECK(status.st_uid == 65534);
  CHECK(status.st_gid == 65534);
  CHECK((status.st_mode & 07777) == 0640);
  CHECK(test::read_file(path) == "new\n");
}
