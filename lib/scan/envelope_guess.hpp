// The envelope `postern scan` uses for a message file when the command line
// gives none: what a mail client would guess from the message itself.
//
// Contract: pure function of the raw message (its first MiB of headers is
// read); the sender is the Return-Path, else the first From address with a
// domain; the recipients are the To and Cc addresses (at most 100), else
// "undisclosed-recipients@localhost". Thread-safe, never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace postern::scan {

struct GuessedEnvelope {
  std::string from;
  std::vector<std::string> rcpts;
};

GuessedEnvelope guess_envelope(std::string_view raw);

}  // namespace postern::scan
