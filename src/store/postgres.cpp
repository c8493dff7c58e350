#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/error.hpp"
#include "store/planning.hpp"
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

// A statement's parameters as libpq takes them: text, or a null pointer for NULL.
struct Values {
  explicit Values(std::span<const Param> params) : storage(params.size()), pointers(params.size()) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      storage[i] = param_text(params[i]);
      pointers[i] = storage[i] ? storage[i]->c_str() : nullptr;
    }
  }
  int count() const { return int(pointers.size()); }
  std::vector<std::optional<std::string>> storage;
  std::vector<const char*> pointers;
};

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
    send_held();
    if (!sent_.empty()) {  // in the pipeline after what was sent before it: one round trip for all
      Result result;
      send(sql, params, [&result](const Result& r) { result = r; });
      flush();
      return result;
    }
    if (sql.starts_with(plan_each_time)) {
      Values values(params);
      return collect(PQexecParams(conn_, to_numbered_placeholders(sql).c_str(), values.count(), nullptr,
                                  values.pointers.data(), nullptr, nullptr, 0));
    }
    auto [name, fresh] = statement_name(sql);
    if (fresh) {
      try {
        collect(PQprepare(conn_, name->c_str(), to_numbered_placeholders(sql).c_str(), int(params.size()), nullptr));
      } catch (...) {
        statements_.erase(std::string(sql));
        throw;
      }
    }
    Values values(params);
    return collect(PQexecPrepared(conn_, name->c_str(), values.count(), values.pointers.data(), nullptr, nullptr, 0));
  }

  void execute_script(std::string_view sql) override {
    send_held();
    std::string text(sql);
    // One statement (COMMIT) after statements whose answers send nothing more: in the pipeline.
    if (!sent_.empty() && sql.find(';') == std::string_view::npos &&
        std::none_of(sent_.begin(), sent_.end(), [](const Then& then) { return bool(then); })) {
      if (!PQsendQueryParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) lost();
      sent_.emplace_back();
      return flush();
    }
    flush();
    collect(PQexec(conn_, text.c_str()));
  }

  void send(std::string_view sql, std::span<const Param> params, Then then) override {
    send_held();
    if (sent_.empty() && !PQenterPipelineMode(conn_)) lost();
    Values values(params);
    if (sql.starts_with(plan_each_time)) {
      if (!PQsendQueryParams(conn_, to_numbered_placeholders(sql).c_str(), values.count(), nullptr,
                             values.pointers.data(), nullptr, nullptr, 0))
        lost();
    } else {
      auto [name, fresh] = statement_name(sql);
      if (fresh) {
        if (!PQsendPrepare(conn_, name->c_str(), to_numbered_placeholders(sql).c_str(), int(params.size()), nullptr))
          lost();
        sent_.emplace_back();
      }
      if (!PQsendQueryPrepared(conn_, name->c_str(), values.count(), values.pointers.data(), nullptr, nullptr, 0)) lost();
    }
    sent_.push_back(std::move(then));
    // The server's answers wait in the socket until read: a bounded number of them never fills
    // it, so the server never stops reading while this side is still sending.
    if (sent_.size() >= max_in_flight) flush();
  }

  void send_row(const RowStatement& statement, std::span<const Param> row,
                std::function<void(bool changed)> changed) override {
    auto key = param_text(row[statement.key]).value_or("");
    if (held_.statement && (held_.statement != &statement || held_.keys.contains(key) ||
                            held_.keys.size() >= max_held_rows))
      send_held();
    if (!held_.statement) {
      held_.statement = &statement;
      held_.arrays.assign(row.size(), "{");
      for (const auto& value : row) held_.first.push_back(param_text(value));
    }
    held_.keys.insert(std::move(key));
    for (std::size_t i = 0; i < row.size(); ++i) append_array_element(held_.arrays[i], row[i]);
    held_.changed.push_back(std::move(changed));
  }

  void flush() override {
    send_held();
    while (!sent_.empty()) {  // what the callbacks send too
      if (auto error = end_pipeline(true)) std::rethrow_exception(error);
      send_held();
    }
  }

  void discard_sent() override {
    held_ = {};
    end_pipeline(false);
  }

 private:
  static constexpr std::size_t max_in_flight = 256;
  static constexpr std::size_t max_held_rows = 500;

  // Rows of one RowStatement held by send_row, not sent yet: each value appended to its
  // column's array as it comes, and the first row's values kept in case it stays alone.
  struct Held {
    const RowStatement* statement = nullptr;
    std::vector<std::optional<std::string>> first;
    std::vector<std::string> arrays;
    std::vector<std::function<void(bool)>> changed;
    std::unordered_set<std::string> keys;  // one per row (rows with the same key are not held together)
  };

  // Sends the rows held: a lone row as its statement's `one`, several as `many`.
  void send_held() {
    if (!held_.statement) return;
    auto held = std::exchange(held_, {});
    bool one = held.changed.size() == 1;
    std::vector<Param> params;
    if (one) {
      for (const auto& value : held.first) params.push_back(value ? Param(std::string_view(*value)) : Param(nullptr));
    } else {
      for (auto& array : held.arrays) params.emplace_back(std::string_view(array += '}'));
    }
    Then then;
    if (std::any_of(held.changed.begin(), held.changed.end(), [](const auto& f) { return bool(f); }))
      then = [changed = std::move(held.changed), one, ordinals = held.statement->ordinals](const Result& r) {
        std::vector<char> hit(changed.size(), one ? r.affected == 1 : !ordinals);
        if (!one && ordinals)
          for (const auto& row : r.rows) hit.at(std::size_t(row.integer(0) - 1)) = true;
        for (std::size_t i = 0; i < changed.size(); ++i)
          if (changed[i]) changed[i](hit[i]);
      };
    send(one ? held.statement->one : held.statement->many, params, std::move(then));
  }

  // The name of `sql`'s prepared statement, and whether it is new (still to be prepared). A
  // failed preparation breaks the transaction, whose failure the caller hears of and whose
  // connection the writer opens again (so the name is never used unprepared).
  std::pair<const std::string*, bool> statement_name(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return {&it->second, false};
    std::string name = "s" + std::to_string(statements_.size());
    return {&statements_.emplace(std::string(sql), std::move(name)).first->second, true};
  }

  // Ends the pipeline with a sync and reads every answer in order. With `deliver` and no
  // failure, each result then goes to its statement's callback (once all are read, so that a
  // callback never meets a half-read connection). Returns the first failure.
  std::exception_ptr end_pipeline(bool deliver) {
    if (sent_.empty()) return nullptr;
    auto sent = std::exchange(sent_, {});
    if (!PQpipelineSync(conn_)) return lost_error();
    std::vector<Result> results(sent.size());
    std::exception_ptr failure;
    std::size_t i = 0;  // the statement whose answer comes next: a null result ends each one
    while (true) {
      PGresult* res = PQgetResult(conn_);
      if (!res) {
        if (++i > sent.size()) return lost_error();  // no sync came back
        continue;
      }
      auto status = PQresultStatus(res);
      if (status == PGRES_PIPELINE_SYNC || status == PGRES_PIPELINE_ABORTED) {
        PQclear(res);
        if (status == PGRES_PIPELINE_SYNC) break;
        continue;
      }
      if (PQstatus(conn_) != CONNECTION_OK) {
        PQclear(res);
        return lost_error();
      }
      try {
        auto result = collect(res);
        if (i < results.size()) results[i] = std::move(result);
      } catch (...) {
        if (!failure) failure = std::current_exception();
      }
    }
    if (!PQexitPipelineMode(conn_)) return lost_error();
    if (failure || !deliver) return failure;
    for (std::size_t j = 0; j < sent.size(); ++j)
      if (sent[j]) sent[j](results[j]);
    return nullptr;
  }

  // The connection broke: opened again (out of pipeline mode, nothing prepared), what was
  // sent and not answered forgotten.
  std::exception_ptr lost_error() {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    sent_.clear();
    held_ = {};
    PQreset(conn_);
    statements_.clear();
    return std::make_exception_ptr(core::Error(core::ErrorKind::unavailable, "PostgreSQL connection lost: " + message));
  }

  [[noreturn]] void lost() { std::rethrow_exception(lost_error()); }

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
      if (PQstatus(conn_) != CONNECTION_OK) std::rethrow_exception(lost_error());
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
  std::vector<Then> sent_;  // sent in pipeline mode, answers not read yet
  Held held_;
};

}  // namespace

std::unique_ptr<Connection> open_postgres(const std::string& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace de::store
