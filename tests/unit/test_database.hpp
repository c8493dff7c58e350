#pragma once
// Databases for tests: a fresh SQLite file, or a fresh database on the throwaway PostgreSQL
// that script/test starts (DE_TEST_POSTGRES_URL). Parametrised tests run on both.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/ids.hpp"
#include "store/database.hpp"

namespace de::testing {

struct TestDatabase {
  std::unique_ptr<store::Database> db;
  std::string cleanup;  // SQLite folder or PostgreSQL database name

  static std::string postgres_url() {
    const char* url = std::getenv("DE_TEST_POSTGRES_URL");
    return url ? url : "";
  }

  explicit TestDatabase(const std::string& backend) {
    if (backend == "sqlite") {
      auto dir = std::filesystem::temp_directory_path() / ("de-unit-" + core::new_id());
      std::filesystem::create_directories(dir);
      cleanup = dir.string();
      db = store::Database::open("sqlite:" + (dir / "test.db").string());
    } else {
      auto admin = store::open_postgres(postgres_url());
      cleanup = "de_unit_" + core::new_id().substr(24);
      admin->execute_script("CREATE DATABASE " + cleanup);
      auto base = postgres_url();
      db = store::Database::open(base.substr(0, base.rfind('/') + 1) + cleanup);
    }
    db->migrate();
  }

  ~TestDatabase() {
    db.reset();
    if (cleanup.starts_with("de_unit_")) {
      auto admin = store::open_postgres(postgres_url());
      admin->execute_script("DROP DATABASE IF EXISTS " + cleanup + " WITH (FORCE)");
    } else {
      std::error_code ec;
      std::filesystem::remove_all(cleanup, ec);
    }
  }
};

// Base for tests parametrised by backend name; skips PostgreSQL when none is configured
// (script/test always configures one and sets DE_TEST_REQUIRE_POSTGRES=1).
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres" && TestDatabase::postgres_url().empty()) {
      if (std::getenv("DE_TEST_REQUIRE_POSTGRES")) FAIL() << "DE_TEST_POSTGRES_URL is not set";
      GTEST_SKIP() << "DE_TEST_POSTGRES_URL is not set";
    }
    database = std::make_unique<TestDatabase>(GetParam());
  }
  void TearDown() override { database.reset(); }
  store::Database& db() { return *database->db; }
  std::unique_ptr<TestDatabase> database;
};

#define DE_BACKENDS(suite)                                                                   \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("sqlite", "postgres"),         \
                           [](const auto& info) { return info.param; })

}  // namespace de::testing
