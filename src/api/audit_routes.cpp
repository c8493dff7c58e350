// The audit log for admins (docs/security.md, "Audit log"): a page at a time, newest first, and
// an export as JSON lines, oldest first, that continues where the last one ended.
#include <boost/url/url.hpp>

#include <charconv>

#include "api/audit.hpp"
#include "core/json.hpp"

namespace de::api {

namespace {
using auth::Permission;

// ?actor= (a user id, an email or an API key id), ?action= (exact), ?action_prefix= ("users."),
// ?target_type=, ?target_id=, ?since= and ?until= (RFC 3339; since inclusive, until exclusive).
store::audit::Filter read_filter(const Request& request) {
  store::audit::Filter f;
  f.actor = request.query("actor");
  f.action = request.query("action");
  f.action_prefix = request.query("action_prefix");
  f.target_type = request.query("target_type");
  f.target_id = request.query("target_id");
  if (request.query("since")) f.since = time_query(request, "since", 0);
  if (request.query("until")) f.until = time_query(request, "until", 0);
  return f;
}

// An entry id given as a cursor (`key`): a positive integer, as the answers give it.
std::optional<std::int64_t> entry_id_query(const Request& request, const char* key) {
  auto text = request.query(key);
  if (!text || text->empty()) return std::nullopt;
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), id);
  if (ec != std::errc() || end != text->data() + text->size() || id < 1)
    throw core::Error(core::ErrorKind::bad_request, std::string(key) + " is not valid");
  return id;
}

// The export's answers at most, and what one read takes.
constexpr std::int64_t export_default = 10000, export_max = 100000, export_read = 1000;
}  // namespace

void add_audit_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/audit", Permission::admin,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto filter = read_filter(request);
            auto limit = integer_query(request, "limit", 1, 500).value_or(50);
            auto before = entry_id_query(request, "cursor");
            auto rows = ctx.db.read(
                [&](store::Connection& c) { return store::audit::newest(c, filter, before, limit + 1); });
            json::array items;
            for (std::size_t i = 0; i < rows.size() && std::int64_t(i) < limit; ++i)
              items.push_back(store::audit::to_json(rows[i]));
            json::value next = nullptr;
            if (std::int64_t(rows.size()) > limit) next = json::string(std::to_string(rows[limit - 1].id));
            co_return Response::json(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
          });

  // JSON lines (application/x-ndjson), oldest first, after ?after= (an entry id); when more
  // follow than ?limit= (default 10000, at most 100000), Link: <...&after=N>; rel="next".
  secured(ctx, router, "GET", "/api/v1/audit/export", Permission::admin,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto filter = read_filter(request);
            auto limit = integer_query(request, "limit", 1, export_max).value_or(export_default);
            auto after = entry_id_query(request, "after");
            std::string body;
            std::int64_t written = 0;
            bool more = false;
            ctx.db.read([&](store::Connection& c) {
              while (written < limit) {
                auto want = std::min(export_read, limit - written);
                auto rows = store::audit::oldest(c, filter, after, want + 1);
                for (std::size_t i = 0; i < rows.size() && std::int64_t(i) < want; ++i) {
                  body += core::to_text(store::audit::to_json(rows[i]));
                  body += '\n';
                  after = rows[i].id;
                  ++written;
                }
                if (std::int64_t(rows.size()) <= want) return;
              }
              more = true;
            });
            Response response;
            response.status = 200;
            response.content_type = "application/x-ndjson";
            response.body = std::move(body);
            if (more) {
              boost::urls::url next(request.target);
              next.params().set("after", std::to_string(*after));
              response.set_header("Link", "<" + std::string(next.buffer()) + ">; rel=\"next\"");
            }
            co_return response;
          });
}

}  // namespace de::api
