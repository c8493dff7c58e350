#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <string>
#include <unordered_map>

#include "core/error.hpp"
#include "store/sql.hpp"

namespace de::store {

namespace {

// `?` placeholders to `$1, $2, ...` (our SQL has no `?` inside literals).
std::string to_numbered_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      throw core::Error(core::ErrorKind::unavailable, "cannot connect to PostgreSQL: " + message);
    }
    execute_script("SET client_min_messages = warning; SET TIME ZONE 'UTC';");
  }

  ~PostgresConnection() override {
    if (conn_) PQfinish(conn_);
  }

  Dialect dialect() const override { return Dialect::postgres; }

  Result query(std::string_view sql, std::span<const Param> params) override {
    const std::string& name = prepare(sql, int(params.size()));
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              values[i] = nullptr;
            } else {
              if constexpr (std::is_same_v<T, std::string_view>) storage[i].assign(v);
              else storage[i] = std::to_string(v);
              values[i] = storage[i].c_str();
            }
          },
          params[i]);
    }
    PGresult* res = PQexecPrepared(conn_, name.c_str(), int(params.size()), values.data(), nullptr,
                                   nullptr, 0);
    return collect(res);
  }

  void execute_script(std::string_view sql) override {
    std::string text(sql);
    collect(PQexec(conn_, text.c_str()));
  }

 private:
  const std::string& prepare(std::string_view sql, int param_count) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    std::string name = "s" + std::to_string(statements_.size());
    std::string numbered = to_numbered_placeholders(sql);
    collect(PQprepare(conn_, name.c_str(), numbered.c_str(), param_count, nullptr));
    return statements_.emplace(std::string(sql), std::move(name)).first->second;
  }

  Result collect(PGresult* res) {
    struct Clear {
      PGresult* r;
      ~Clear() { PQclear(r); }
    } clear{res};
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
      while (!message.empty() && message.back() == '\n') message.pop_back();
      const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
      std::string sqlstate = state ? state : "";
      if (sqlstate.starts_with("23"))
        throw core::Error(core::ErrorKind::conflict, "constraint violated: " + message);
      if (PQstatus(conn_) != CONNECTION_OK) {
        PQreset(conn_);
        statements_.clear();
        throw core::Error(core::ErrorKind::unavailable, "PostgreSQL connection lost: " + message);
      }
      throw core::Error(core::ErrorKind::internal, "PostgreSQL: " + message);
    }
    Result result;
    int rows = PQntuples(res), columns = PQnfields(res);
    result.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
      std::vector<std::optional<std::string>> row;
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(res, r, c)) row.emplace_back(std::nullopt);
        else row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
      result.rows.emplace_back(std::move(row));
    }
    const char* affected = PQcmdTuples(res);
    if (affected && *affected) std::from_chars(affected, affected + std::strlen(affected), result.affected);
    return result;
  }

  PGconn* conn_;
  std::unordered_map<std::string, std::string> statements_;
};

}  // namespace

std::unique_ptr<Connection> open_postgres(const std::string& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace de::store
