// Internal to lib/html: the nesting bound that keeps gumbo's tree construction linear
// (used by body_content_offset, the one gumbo parse left in the product path).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/cpu_budget.hpp"

namespace postern::html::detail {

// Models gumbo's stack of open elements over `html` and drops the start tags that would
// nest deeper than `cap`: true, with the bounded document in `out`, when one was dropped;
// false when nothing was (or `budget` ran out).
bool bound_nesting(std::string_view html, size_t cap, std::string& out, core::CpuBudget* budget);

}  // namespace postern::html::detail
