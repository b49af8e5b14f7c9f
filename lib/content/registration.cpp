// lib/content: the header_sanity stage, the HEADER_* symbols.
#include "content/registration.hpp"

#include "content/header_sanity.hpp"
#include "content/symbols.hpp"

namespace postern::content {

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "content",
      .symbols = symbols(),
      .stages = {{.name = "header_sanity",
                  .provides = {"headers.checked"},
                  .needs = {"limits"},
                  .make = [](const core::StageContext&) -> std::unique_ptr<core::Stage> {
                    return std::make_unique<HeaderSanityStage>();
                  }}},
  };
  return r;
}

}  // namespace postern::content
