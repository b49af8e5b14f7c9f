// lib/content's registration: what the folder contributes (see core/registration.hpp);
// scan/registry gathers every folder's. Built once, constant, thread-safe.
#pragma once

#include <memory>

#include "core/registration.hpp"

namespace postern::auth {
class PublicSuffix;
}

namespace postern::content {

const core::Registration& registration();

// The public suffix list the content stages compare registrable domains with: the
// "auth.psl" service when the snapshot has it, else the process-wide list
// (auth::PublicSuffix::instance(), read once), never a new read per snapshot.
std::shared_ptr<const auth::PublicSuffix> public_suffixes(const core::StageContext& c);

}  // namespace postern::content
