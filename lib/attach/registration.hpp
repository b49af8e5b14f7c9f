// lib/attach's registration: the attach stage, its [attachments] policy
// section, the "attach.hash_feeds" service, the ATTACH_* symbols and the
// event's postern.attachments[] and email.attachments[] (see
// core/registration.hpp); scan/registry gathers it. Built once, constant,
// thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::attach {

const core::Registration& registration();

}  // namespace postern::attach
