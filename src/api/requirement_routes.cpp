// The requirement analyser's route (docs/product.md): analysis only, nothing is stored, so it
// is a read: every role that may read the platform's data may analyse (agents' keys may not).
#include "agents/product/analyzer.hpp"
#include "api/context.hpp"

namespace de::api {

void add_requirement_routes(Context& ctx, http::Router& router) {
  // Trains the classifier now, on the CPU pool, rather than in the first request.
  asio::post(ctx.cpu, [] { product::RequirementAnalyzer::shared(); });
  secured(ctx, router, "POST", "/api/v1/requirements/analyze", auth::Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto body = json_body(request);
            // Splitting, classifying and comparing up to 1 MiB of text is CPU work: off the I/O threads.
            auto text = co_await on_cpu(ctx, [&body] {
              const auto& analyzer = product::RequirementAnalyzer::shared();
              return core::to_text(product::analysis_json(analyzer.analyze(product::read_analysis_request(body))));
            });
            co_return Response::json_text(200, std::move(text));
          });
}

}  // namespace de::api
