#include "api/routes.hpp"

namespace de::api {

void add_routes(Context& ctx, http::Router& router) {
  add_system_routes(ctx, router);
  add_auth_routes(ctx, router);
  add_oidc_routes(ctx, router);
  add_user_routes(ctx, router);
  add_api_key_routes(ctx, router);
  add_agent_routes(ctx, router);
  add_task_routes(ctx, router);
  add_analytics_routes(ctx, router);
  add_message_routes(ctx, router);
  add_workflow_routes(ctx, router);
  add_ai_routes(ctx, router);
  add_deal_routes(ctx, router);
  add_lead_routes(ctx, router);
  add_company_routes(ctx, router);
  add_content_routes(ctx, router);
  add_campaign_routes(ctx, router);
  add_requirement_routes(ctx, router);
  add_stakeholder_routes(ctx, router);
  add_webhook_routes(ctx, router);
  add_integration_routes(ctx, router);
  add_sync_routes(ctx, router);
  add_websocket_routes(ctx, router);
  add_audit_routes(ctx, router);
}

}  // namespace de::api
