// Message: the buffered raw message and its RFC 5322 header fields.
//
// Contract: a Message owns its raw bytes and parses the header block once, at
// construction. Parsing never fails: it follows what Postfix's cleanup does
// (a line that is neither a field nor a continuation ends the header block and
// starts the body), tolerates obsolete syntax (whitespace before the colon),
// keeps raw 8-bit bytes, and reports oddities through flags that stages turn
// into findings. Both CRLF and bare LF line ends are understood; messages built
// by MessageBuilder always have CRLF.
//
// Two readings of the header block. `headers()` is the MTA's: the fields as it
// handed them over (MessageBuilder keeps each field's bounds, so a name no
// parser would accept, such as one with a DEL byte, is still a field and the
// fields after it are still seen), or, for a message read from bytes, lines
// ended by LF as Postfix's cleanup splits them. A reader that also ends lines
// at a bare CR or LF (Python's email package, some clients) can see a field
// hidden inside another's value: those are `hidden_fields()`, each with the
// field that carries it, and that carrier's own value under that reading is
// its `split_value`. Checks that must hold for every reader (forged verdicts,
// the author domain) look at both.
//
// MessageBuilder is how both front ends (milter callbacks and `postern scan`)
// feed a message: headers as the MTA sends them, then body chunks. It stores at
// most `max_bytes` and counts the rest, so an oversized message is bounded in
// memory and reported, never a crash. Neither type is thread-safe; a Message is
// immutable after construction and may be read from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::core {

struct HeaderField {
  std::string name;                 // as written, trailing whitespace before the colon removed
  std::string value;                // unfolded, leading/trailing whitespace removed, raw bytes kept
  size_t offset = 0;                // start of the field in Message::raw()
  size_t length = 0;                // bytes of the field including its final line break
  size_t value_offset = 0;          // first byte after the colon
  size_t value_length = 0;          // raw value up to (excluding) the final line break
  size_t longest_line = 0;          // longest physical line of the field, without its line break
  bool eight_bit = false;           // a byte >= 0x80 anywhere in the field
  bool space_before_colon = false;  // obsolete syntax: "Subject : x"
  bool name_invalid = false;        // a name byte outside RFC 5322 ftext (only an MTA hands such)
  // A CR or LF in the value that is not a CRLF fold (CRLF + WSP): readers split the
  // field differently. `value` reads each such break as one space; `split_value` is
  // the value as a reader that ends the field there sees it (set only when true).
  bool bare_line_break = false;
  std::string split_value;
};

// A field that a reader ending lines at every CR, LF or CRLF sees inside another field.
struct HiddenField {
  std::string name;
  std::string value;   // unfolded
  size_t carrier = 0;  // index in Message::headers() of the field whose value holds it
};

// Where the MTA put one field in the raw bytes (MessageBuilder records them).
struct FieldSpan {
  size_t offset = 0;       // first byte of the name
  size_t name_length = 0;  // the colon follows the name
  size_t length = 0;       // through the final line break
};

class Message {
 public:
  Message() : Message(std::string{}) {}
  explicit Message(std::string raw, size_t declared_size = 0, bool truncated = false);
  // The fields exactly where the MTA's callbacks put them; the body starts at `body_offset`.
  Message(std::string raw, std::vector<FieldSpan> fields, size_t body_offset, size_t declared_size,
          bool truncated);

  const std::string& raw() const { return raw_; }
  const std::vector<HeaderField>& headers() const { return headers_; }
  const std::vector<HiddenField>& hidden_fields() const { return hidden_; }
  // True when some field holds a bare CR or LF (see HeaderField::bare_line_break).
  bool bare_line_breaks() const;
  std::string_view raw_value(const HeaderField& f) const {
    return std::string_view(raw_).substr(f.value_offset, f.value_length);
  }
  // The whole field as written: name, colon, value, final line break.
  std::string_view raw_field(const HeaderField& f) const {
    return std::string_view(raw_).substr(f.offset, f.length);
  }
  size_t body_offset() const { return body_offset_; }
  std::string_view body() const { return std::string_view(raw_).substr(body_offset_); }

  // First field with this name (case-insensitive), or nullptr.
  const HeaderField* find(std::string_view name) const;
  // Every field with this name, in message order.
  std::vector<const HeaderField*> find_all(std::string_view name) const;
  size_t count(std::string_view name) const;

  // Size the MTA delivered to us, which exceeds raw().size() when truncated.
  size_t total_size() const { return total_size_; }
  // True when the builder stopped storing at its byte limit.
  bool truncated() const { return truncated_; }
  // True when a blank line ended the header block (false: end of data or a non-field line).
  bool blank_line_after_headers() const { return blank_line_; }
  // True when a line that is neither a field nor a continuation ended the header
  // block (it became the first line of the body).
  bool non_field_line_in_headers() const { return non_field_line_; }

 private:
  void parse();
  void parse_spans(const std::vector<FieldSpan>& fields);
  void finish_fields();

  std::string raw_;
  std::vector<HeaderField> headers_;
  std::vector<HiddenField> hidden_;
  size_t body_offset_ = 0;
  size_t total_size_ = 0;
  bool truncated_ = false;
  bool blank_line_ = false;
  bool non_field_line_ = false;
};

// Case-insensitive ASCII comparison of header names and the like.
bool iequals(std::string_view a, std::string_view b);

// Removes leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view s);

// Turns bare LF into CRLF, as an MTA does on the wire; CRLF and lone CR stay as they are.
std::string to_crlf(std::string_view in);

class MessageBuilder {
 public:
  explicit MessageBuilder(size_t max_bytes) : max_bytes_(max_bytes) {}

  // `value` as the MTA passes it: no leading space after the colon, folds as "\n" or "\r\n".
  void add_header(std::string_view name, std::string_view value);
  void end_headers();
  void add_body(std::string_view chunk);
  size_t header_count() const { return header_count_; }
  size_t total_size() const { return total_; }

  // Builds the message; the builder is empty afterwards.
  Message finish();

 private:
  void append(std::string_view bytes);

  size_t max_bytes_;
  std::string raw_;
  std::vector<FieldSpan> fields_;  // offsets in the canonical stream (may pass raw_'s end)
  size_t body_offset_ = 0;
  size_t total_ = 0;
  size_t header_count_ = 0;
  bool headers_ended_ = false;
  bool pending_cr_ = false;  // a chunk ended in CR: do not double it if LF follows
};

// Splits a whole raw message (as read from a file) into what an MTA would pass a
// milter: each header field (name, value without the leading space), then the
// body. Line ends are left as they are: MessageBuilder makes them CRLF.
void split_raw_message(std::string_view raw,
                       const std::function<void(std::string_view, std::string_view)>& on_header,
                       const std::function<void(std::string_view)>& on_body);

// The message as an MTA hands `raw` to a milter (split_raw_message into a
// MessageBuilder of `max_bytes`): what the session sees for the same file.
Message build_message(std::string_view raw, size_t max_bytes);

}  // namespace postern::core
