#pragma once
// The SQL connection seam under every repository: one interface, a SQLite and a PostgreSQL
// implementation. SQL is written once with `?` placeholders; PostgreSQL rewrites them to $n.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace de::store {

enum class Dialect { sqlite, postgres };

using Param = std::variant<std::nullptr_t, std::int64_t, double, std::string_view>;

// Optional values bind as NULL.
inline Param nullable(const std::optional<std::string>& s) {
  return s ? Param(std::string_view(*s)) : Param(nullptr);
}
inline Param nullable(const std::optional<std::int64_t>& n) { return n ? Param(*n) : Param(nullptr); }
inline Param nullable(const std::optional<int>& n) { return n ? Param(std::int64_t(*n)) : Param(nullptr); }

// "?, ?, ?" for `n` values: an IN list.
std::string placeholders(std::size_t n);
// The texts as parameters: views into `texts`, which must outlive them.
std::vector<Param> text_params(std::span<const std::string> texts);

// "INSERT INTO table (columns) VALUES (?, ...), (?, ...)" for `rows` rows of `width` values,
// then `tail` (an ON CONFLICT clause, say): one statement for many rows.
std::string insert_sql(std::string_view head, std::size_t width, std::size_t rows, std::string_view tail = {});

// A parameter as PostgreSQL takes it in text: nothing for NULL.
std::optional<std::string> param_text(const Param& value);
// Appends `value` to a PostgreSQL array literal being built: "{", then the elements, each
// quoted (NULL bare); the caller closes it with "}".
void append_array_element(std::string& array, const Param& value);

// One result row, every column as text (NULL as nullopt), parsed on access.
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> columns) : columns_(std::move(columns)) {}
  bool is_null(std::size_t i) const { return !columns_.at(i).has_value(); }
  const std::string& text(std::size_t i) const;
  std::optional<std::string> optional_text(std::size_t i) const { return columns_.at(i); }
  std::int64_t integer(std::size_t i) const;
  std::optional<std::int64_t> optional_integer(std::size_t i) const;
  double real(std::size_t i) const;
  bool boolean(std::size_t i) const;  // SQLite 1/0, PostgreSQL t/f

 private:
  std::vector<std::optional<std::string>> columns_;
};

struct Result {
  std::vector<Row> rows;
  std::int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
  std::int64_t inserted_rowid = 0;  // SQLite: the rowid of the last row inserted (PostgreSQL: RETURNING)
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  virtual Result query(std::string_view sql, std::span<const Param> params) = 0;
  Result query(std::string_view sql, std::initializer_list<Param> params = {}) {
    return query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Several statements, no parameters (migrations).
  virtual void execute_script(std::string_view sql) = 0;

  // A statement whose result is needed later or never, so that a batch's writes share round
  // trips: PostgreSQL sends it at once without waiting (libpq pipeline mode) and hands its
  // result to `then` at the next query, flush or single-statement script, in the order sent;
  // the first failure among them is thrown there. SQLite runs it now. What `then` sends goes
  // after everything sent before it was called.
  using Then = std::function<void(const Result&)>;
  virtual void send(std::string_view sql, std::span<const Param> params, Then then = {}) {
    auto result = query(sql, params);
    if (then) then(result);
  }
  void send(std::string_view sql, std::initializer_list<Param> params, Then then = {}) {
    send(sql, std::span<const Param>(params.begin(), params.size()), std::move(then));
  }
  // One row of a statement written for one row (`one`) and for many (`many`), so that a batch
  // whose jobs each write a row sends one statement for all of them: PostgreSQL holds the row
  // while the next ones sent are rows of the same statement, and sends them together (as `one`
  // if alone) before anything else is sent or waited for. `many` takes one parameter per value
  // of `one`, in the same order: an array of that value in every row, read with unnest(...)
  // WITH ORDINALITY; it returns the ordinals of the rows it changed if `ordinals`, or nothing
  // (every row changed once it succeeded). A row whose value at `key` is among the rows held
  // goes in the next statement: two changes of one row stay in their order. `changed` (if any)
  // hears whether the row was changed, like a callback of send. SQLite runs `one` now.
  struct RowStatement {
    std::string_view one, many;
    std::size_t key = 0;
    bool ordinals = false;
  };
  virtual void send_row(const RowStatement& statement, std::span<const Param> row,
                        std::function<void(bool changed)> changed = {}) {
    Then then;
    if (changed) then = [changed = std::move(changed)](const Result& r) { changed(r.affected == 1); };
    send(statement.one, row, std::move(then));
  }
  void send_row(const RowStatement& statement, std::initializer_list<Param> row,
                std::function<void(bool changed)> changed = {}) {
    send_row(statement, std::span<const Param>(row.begin(), row.size()), std::move(changed));
  }
  // Waits for every statement sent (and those their callbacks send): results handed on, the
  // first failure thrown.
  virtual void flush() {}
  // Waits for every statement sent and drops their results and failures (before a rollback).
  virtual void discard_sent() {}
};

// Serialises, across processes, the transactions that take the same `key`, until the caller's
// transaction ends: PostgreSQL's advisory transaction lock. On SQLite nothing: a write
// transaction there (BEGIN IMMEDIATE) already holds the database's only write lock.
void lock_until_commit(Connection& connection, std::int64_t key);

// `path` for SQLite; a libpq URL (postgres://...) for PostgreSQL. Throw core::Error on failure.
std::unique_ptr<Connection> open_sqlite(const std::string& path);
std::unique_ptr<Connection> open_postgres(const std::string& url);

}  // namespace de::store
