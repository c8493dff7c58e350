// The requirement analyser's routes (docs/product.md). Analysis alone stores nothing, so it is a
// read: every role that may read the platform's data may analyse (agents' keys may not).
// Prioritisation may ask a model (it costs), so it needs run_tasks. Saved analyses keep every
// version of their document; writing them needs manage_requirements.
#include <fmt/format.h>

#include "agents/product/analyzer.hpp"
#include "agents/product/product_services.hpp"
#include "agents/product/text.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/product_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
using store::requirement_analyses::Analysis;
using store::requirement_analyses::Version;

struct Saved {
  Analysis analysis;
  Version version;
};

Saved find_saved(store::Connection& c, const std::string& id, std::optional<std::int64_t> version = std::nullopt) {
  auto analysis = store::requirement_analyses::find(c, id);
  if (!analysis) throw core::not_found("requirements analysis", id);
  auto wanted = version.value_or(analysis->version);
  auto stored = store::requirement_analyses::find_version(c, id, wanted);
  if (!stored) throw core::not_found("version of requirements analysis " + id, std::to_string(wanted));
  return {*analysis, std::move(*stored)};
}

std::optional<std::int64_t> version_query(const Request& request) {
  auto text = request.query("version");
  if (!text) return std::nullopt;
  try {
    std::size_t used = 0;
    auto n = std::stoll(*text, &used);
    if (used == text->size() && n >= 1) return n;
  } catch (const std::exception&) {
  }
  throw core::Error(core::ErrorKind::bad_request, "version must be a positive integer");
}

// The person's values of the stored items, by the requirement's text: an unchanged requirement
// keeps them in a new version.
std::vector<product::PriorityValues> carried_values(const json::array& stored_items,
                                                    const std::vector<product::RequirementText>& requirements) {
  std::map<std::string, product::PriorityValues> by_text;
  for (const auto& item : stored_items) {
    const auto& o = item.as_object();
    auto priority = o.contains("priority") ? product::priority_from_json(o.at("priority")) : std::nullopt;
    if (priority && !priority->overridden.empty())
      by_text[std::string(o.at("text").as_string())] = product::person_values(*priority);
  }
  std::vector<product::PriorityValues> out;
  for (const auto& r : requirements) {
    auto it = by_text.find(r.text);
    out.push_back(it == by_text.end() ? product::PriorityValues() : it->second);
  }
  return out;
}

json::object event_data(const Analysis& a, std::int64_t version, const json::object& summary) {
  json::object o;
  o["id"] = a.id;
  o["title"] = a.title;
  o["version"] = version;
  o["summary"] = summary;
  return o;
}

// {"title","text"}: `title` required for a new analysis.
struct DocumentInput {
  std::optional<std::string> title;
  product::PrioritizeRequest request;
  std::string document;
};

DocumentInput read_document(const json::object& body, bool title_required) {
  core::ObjectReader r(body);
  DocumentInput in;
  in.title = r.string("title", title_required, 200);
  if (in.title && product::trim(*in.title).empty()) r.error("title", "must not be empty");
  auto text = r.string("text", true, product::max_document_bytes);
  r.finish();
  json::object document;
  document["text"] = *text;
  in.request = product::read_prioritize_request(document);
  in.document = *text;
  return in;
}

Version new_version(const Analysis& a, std::int64_t number, std::string document, json::object analysed,
                    const auth::Principal& who) {
  Version v;
  v.analysis_id = a.id;
  v.version = number;
  v.document = std::move(document);
  v.items = std::move(analysed["items"].as_array());
  v.summary = std::move(analysed["summary"].as_object());
  v.created_by = who.user_id;
  v.created_at = core::now_ms();
  return v;
}

// The new version must follow the one it was made from: another person's edit in between is a conflict.
void check_latest(store::Connection& c, const std::string& id, std::int64_t from_version) {
  auto now = store::requirement_analyses::find(c, id);
  if (!now) throw core::not_found("requirements analysis", id);
  if (now->version != from_version)
    throw core::Error(core::ErrorKind::conflict,
                      fmt::format("the analysis changed meanwhile (now version {}); read it again", now->version));
}

json::object saved_json(store::Connection& c, const Saved& s) {
  auto o = store::requirement_analyses::to_json(s.analysis, s.version);
  o["versions"] = store::requirement_analyses::versions(c, s.analysis.id);
  return o;
}

// Analysed on the CPU pool (up to 1 MiB of text), then prioritised (perhaps asking a model).
asio::awaitable<json::object> prioritized(Context& ctx, const product::PrioritizeRequest& request) {
  auto items = co_await on_cpu(ctx, [&request] { return product::RequirementAnalyzer::shared().analyze(request.requirements); });
  co_return co_await agents::prioritize_requirements(ctx.ai, std::move(items), request.given);
}

json::object& find_item(json::array& items, const std::string& item_id) {
  for (auto& item : items)
    if (item.as_object().at("id").as_string() == item_id) return item.as_object();
  throw core::not_found("requirement", item_id);
}

}  // namespace

void add_requirement_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "POST", "/api/v1/requirements/analyze", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto body = json_body(request);
            // Splitting, classifying and comparing up to 1 MiB of text is CPU work: off the I/O threads.
            auto items = co_await on_cpu(ctx, [&body] {
              return product::RequirementAnalyzer::shared().analyze(product::read_analysis_request(body));
            });
            auto model_error = co_await agents::review_with_model(ctx.ai, items);
            auto text = co_await on_cpu(ctx, [&] { return core::to_text(agents::analysis_answer(items, model_error)); });
            co_return Response::json_text(200, std::move(text));
          });

  secured(ctx, router, "POST", "/api/v1/requirements/prioritize", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto body = json_body(request);
            auto input = product::read_prioritize_request(body);
            auto answer = co_await prioritized(ctx, input);
            co_return Response::json(200, answer);
          });

  secured(ctx, router, "GET", "/api/v1/requirements", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::requirement_analyses::list(c, page); });
            co_return Response::json(200, page_json(list, [](const Analysis& a) { return store::requirement_analyses::to_json(a); }));
          });

  secured(ctx, router, "POST", "/api/v1/requirements", Permission::manage_requirements,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto input = read_document(json_body(request), true);
            auto analysed = co_await prioritized(ctx, input.request);
            Analysis a;
            a.id = core::new_id();
            a.title = *input.title;
            a.created_by = who.user_id;
            auto v = new_version(a, 1, std::move(input.document), std::move(analysed), who);
            a.created_at = a.updated_at = v.created_at;
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::requirement_analyses::insert(tx.connection, a);
              store::requirement_analyses::add_version(tx.connection, a, v);
              tx.emit("requirements.created", event_data(a, 1, v.summary));
            });
            auto saved = ctx.db.read([&](store::Connection& c) { return saved_json(c, {a, v}); });
            co_return created(saved, "/api/v1/requirements/" + a.id);
          });

  secured(ctx, router, "GET", "/api/v1/requirements/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "requirements analysis");
            auto version = version_query(request);
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return saved_json(c, find_saved(c, id, version)); }));
          });

  // The edited document analysed again: a new version; requirements whose text is unchanged keep
  // the priorities a person gave them.
  secured(ctx, router, "POST", "/api/v1/requirements/{id}/versions", Permission::manage_requirements,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "requirements analysis");
            auto input = read_document(json_body(request), false);
            auto latest = ctx.db.read([&](store::Connection& c) { return find_saved(c, id); });
            input.request.given = carried_values(latest.version.items, input.request.requirements);
            auto analysed = co_await prioritized(ctx, input.request);
            auto a = latest.analysis;
            if (input.title) a.title = *input.title;
            auto v = new_version(a, latest.analysis.version + 1, std::move(input.document), std::move(analysed), who);
            co_await write(ctx.db, [&](store::Tx& tx) {
              check_latest(tx.connection, id, latest.analysis.version);
              store::requirement_analyses::add_version(tx.connection, a, v);
              tx.emit("requirements.versioned", event_data(a, v.version, v.summary));
            });
            a.version = v.version;
            a.updated_at = v.created_at;
            auto saved = ctx.db.read([&](store::Connection& c) { return saved_json(c, {a, v}); });
            co_return created(saved, "/api/v1/requirements/" + a.id + "?version=" + std::to_string(v.version));
          });

  // One requirement of the latest version: new text (a new version, the whole document analysed
  // again so that duplicates and conflicts follow) and/or a person's priority values (kept in place).
  secured(ctx, router, "PATCH", "/api/v1/requirements/{id}/items/{item_id}", Permission::manage_requirements,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "requirements analysis");
            const auto& item_id = request.param("item_id");
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto text = r.string("text", false, product::max_document_bytes);
            const auto* given_json = r.object("priority", false);
            if (text && product::trim(*text).empty()) r.error("text", "must not be empty");
            if (!text && !given_json) r.error("text", "give text or priority (or both)");
            product::PriorityValues given;
            if (given_json) given = product::read_priority_values(*given_json, "priority", r.errors());
            r.finish();
            auto latest = ctx.db.read([&](store::Connection& c) { return find_saved(c, id); });
            auto& item = find_item(latest.version.items, item_id);
            Saved saved = latest;
            if (!text) {
              // A person's values, in place: the other items and the document are unchanged.
              auto priority = product::priority_from_json(item["priority"]);
              if (!priority) throw core::Error(core::ErrorKind::conflict, "the requirement has no priority to change");
              product::apply_values(*priority, given, "a person", true);
              item["priority"] = product::to_json(*priority);
              auto event = event_data(latest.analysis, latest.analysis.version, latest.version.summary);
              event["item_id"] = item_id;
              event["priority"] = item["priority"];
              co_await write(ctx.db, [&](store::Tx& tx) {
                check_latest(tx.connection, id, latest.analysis.version);
                store::requirement_analyses::set_items(tx.connection, id, latest.analysis.version, latest.version.items);
                tx.emit("requirements.prioritized", event);
              });
              saved.version.items = latest.version.items;
            } else {
              product::PrioritizeRequest edited;
              for (const auto& stored : latest.version.items) {
                const auto& o = stored.as_object();
                product::RequirementText requirement;
                requirement.id = o.at("id").as_string();
                requirement.text = o.at("text").as_string();
                edited.requirements.push_back(std::move(requirement));
              }
              auto old_text = std::string(item.at("text").as_string());
              for (auto& requirement : edited.requirements)
                if (requirement.id == item_id) requirement.text = *text;
              edited.given = carried_values(latest.version.items, edited.requirements);
              // The edited requirement keeps its person's values, the new ones over them.
              auto old_priority = product::priority_from_json(item["priority"]);
              for (std::size_t i = 0; i < edited.requirements.size(); ++i)
                if (edited.requirements[i].id == item_id) {
                  if (old_priority) edited.given[i] = product::person_values(*old_priority);
                  edited.given[i].overlay(given);
                }
              auto analysed = co_await prioritized(ctx, edited);
              auto document = latest.version.document;
              if (auto at = document.find(old_text); at != std::string::npos) document.replace(at, old_text.size(), *text);
              auto v = new_version(latest.analysis, latest.analysis.version + 1, std::move(document), std::move(analysed), who);
              auto event = event_data(latest.analysis, v.version, v.summary);
              event["item_id"] = item_id;
              event["text"] = *text;
              event["conflicts"] = find_item(v.items, item_id).at("conflicts");
              co_await write(ctx.db, [&](store::Tx& tx) {
                check_latest(tx.connection, id, latest.analysis.version);
                store::requirement_analyses::add_version(tx.connection, latest.analysis, v);
                tx.emit("requirements.item_updated", event);
              });
              saved.analysis.version = v.version;
              saved.analysis.updated_at = v.created_at;
              saved.version = std::move(v);
            }
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return saved_json(c, saved); }));
          });

  secured(ctx, router, "DELETE", "/api/v1/requirements/{id}", Permission::manage_requirements,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "requirements analysis");
            co_await write(ctx.db, [&](store::Tx& tx) {
              auto a = store::requirement_analyses::find(tx.connection, id);
              if (!a || !store::requirement_analyses::remove(tx.connection, id)) throw core::not_found("requirements analysis", id);
              json::object event;
              event["id"] = id;
              event["title"] = a->title;
              tx.emit("requirements.deleted", std::move(event));
              audit(tx, request, who, "requirements.deleted", "requirements_analysis", id);
            });
            co_return Response::no_content();
          });
}

}  // namespace de::api
