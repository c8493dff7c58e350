#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/error.hpp"
#include "integrations/webhooks.hpp"

namespace de::integrations {

// The test vector of the Standard Webhooks specification (standard-webhooks/standard-webhooks).
TEST(WebhookSignature, MatchesTheStandardWebhooksVector) {
  EXPECT_EQ(sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                         R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, ChangesWithEveryPartAndRefusesAMalformedSecret) {
  auto secret = new_webhook_secret();
  ASSERT_TRUE(secret.starts_with("whsec_"));
  EXPECT_NE(secret, new_webhook_secret());
  auto base = sign_webhook(secret, "msg_1", 100, "{}");
  EXPECT_NE(base, sign_webhook(secret, "msg_2", 100, "{}"));
  EXPECT_NE(base, sign_webhook(secret, "msg_1", 101, "{}"));
  EXPECT_NE(base, sign_webhook(secret, "msg_1", 100, "{ }"));
  EXPECT_NE(base, sign_webhook(new_webhook_secret(), "msg_1", 100, "{}"));
  EXPECT_THROW(sign_webhook("secret", "msg_1", 100, "{}"), core::Error);
  EXPECT_THROW(sign_webhook("whsec_***", "msg_1", 100, "{}"), core::Error);
}

TEST(WebhookRetrySchedule, ReadsWaitsWithUnitsAndRefusesOthers) {
  auto config = core::load_config(std::nullopt, {{"DE_WEBHOOK_RETRY_SCHEDULE", "200ms, 5s,2m,1h"}});
  EXPECT_EQ(config.webhook_retry_ms, (std::vector<std::int64_t>{200, 5'000, 120'000, 3'600'000}));
  EXPECT_EQ(core::load_config(std::nullopt, {}).webhook_retry_ms.size(), 10u);
  for (const char* bad : {"", "5", "5d", "0s", "25h", "5s,,1m", "-1s"})
    EXPECT_THROW(core::load_config(std::nullopt, {{"DE_WEBHOOK_RETRY_SCHEDULE", bad}}), core::Error) << bad;
}

}  // namespace de::integrations
