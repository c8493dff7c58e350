#pragma once
// The offline copywriter (docs/marketing.md, "The offline writer"): what the built-in offline
// provider answers for a content request when no model is configured. It writes from the brief
// alone: the product, audience, goal and call to action, the facts it is given (never a fact
// of its own), the recipient's name and company, and the brand voice (tone, words to use; a
// sentence holding a word to avoid is not used). Each variant draws its structure (opening,
// facts as prose or a list, the call to action's lead-in, the subject or headline) from a
// generator seeded with the seed and the variant number: the same input gives the same piece.
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "agents/marketing/content.hpp"

namespace de::agents::marketing {

// What a writer (the offline one or a model, through the prompt) is given for one piece.
struct WriterInput {
  ContentSpec spec;
  BrandVoice voice;
  int variant = 0;
  std::vector<std::string> fix;  // the hard checks an earlier draft failed
};

boost::json::object to_json(const WriterInput& input);
WriterInput writer_input_from(const boost::json::object& object);

// The piece's fields: "body" (the whole text) and the kind's own (subject, preheader,
// headline, description, title, sections, subheadline, hashtags).
boost::json::object write_offline(const WriterInput& input);

}  // namespace de::agents::marketing
