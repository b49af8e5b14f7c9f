// lib/scan: the archive modifier ([archive]: copy or redirect).
#include "scan/registration.hpp"

#include "policy/policy.hpp"
#include "scan/archive.hpp"

namespace postern::scan {

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "scan",
      // After the body edits: the archive receives the message as it leaves.
      .modifiers = {{.name = "archive",
                     .needs = {"body.edited"},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Modifier> {
                       if (c.policy.archive.recipient.empty()) return nullptr;
                       return std::make_shared<ArchiveModifier>(c.policy.archive);
                     }}},
  };
  return r;
}

}  // namespace postern::scan
