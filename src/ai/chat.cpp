#include "ai/chat.hpp"

namespace de::ai {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::system: return "system";
    case Role::user: return "user";
    case Role::assistant: return "assistant";
    case Role::tool: return "tool";
  }
  return "user";
}

}  // namespace de::ai
