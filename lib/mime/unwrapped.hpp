// Unwrapped: the message as its recipient's client shows it once unwrapped (an S/MIME
// message decrypted with a key the gateway holds), for the content stages to scan.
//
// Contract: a stage that runs before the mime stage (it provides "mime.unwrapped") puts
// one on the transaction; the mime stage then analyses `raw` instead of the message as
// received, so every stage that reads the Analysis (content rules and Bayes, attachments
// and their archive members, URLs, DLP) sees the decrypted content: one substitution, no
// stage needs to know about encryption. The header fields other than Content-* are the
// received message's; what is delivered is still the message as received unless a body
// edit says otherwise. The Analysis views `raw`: it lives on the transaction as long as
// the Analysis does. Immutable once put; read by the transaction's thread.
#pragma once

#include <string>

namespace postern::mime {

struct Unwrapped {
  std::string raw;  // the whole message, decrypted
  std::string how;  // one line for logs: "S/MIME, 1 layer"
};

}  // namespace postern::mime
