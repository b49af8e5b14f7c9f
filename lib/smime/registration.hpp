// lib/smime's registration: the [smime] config and policy sections, the SMIME_*
// symbols, the smime-verify and smime-encrypt stages, the smime modifier (sign, then
// encrypt; after every other body edit, so before the DKIM signature, a finisher), the
// smime-guard disposer, the smime-results finisher and the event's postern.smime (see
// core/registration.hpp); scan/registry gathers it. Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::smime {

const core::Registration& registration();
// The smime-decrypt stage alone (decrypt.hpp): registered just before lib/mime's, so the
// stages keep their order and it runs right before the mime stage.
const core::Registration& decrypt_registration();

}  // namespace postern::smime
