// zlib_inflate: the one use of zlib in lib/attach. See zlib_inflate.hpp.
#include "attach/zlib_inflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace postern::attach {
namespace {

// Owns a z_stream set up for inflate; inflateEnd on every path out.
class Inflater {
 public:
  Inflater() { ok_ = inflateInit(&z_) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  bool ok() const { return ok_; }
  z_stream* get() { return &z_; }

 private:
  z_stream z_{};
  bool ok_ = false;
};

}  // namespace

expected<std::string, std::string> zlib_inflate(std::string_view in, size_t max_out,
                                                size_t expect_size) {
  Inflater inf;
  if (!inf.ok()) return unexpected("zlib could not start");
  z_stream* z = inf.get();
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z->avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT_MAX));
  std::string out;
  char buf[16384];
  for (;;) {
    z->next_out = reinterpret_cast<Bytef*>(buf);
    z->avail_out = sizeof buf;
    int rc = inflate(z, Z_NO_FLUSH);
    size_t got = sizeof buf - z->avail_out;
    if (out.size() + got > max_out) return unexpected("inflates past the limit");
    out.append(buf, got);
    if (rc == Z_STREAM_END) return out;
    if (rc == Z_BUF_ERROR && z->avail_in == 0) {
      if (out.size() == expect_size) return out;
      return unexpected("zlib data cut short");
    }
    if (rc != Z_OK) return unexpected("not zlib data");
  }
}

}  // namespace postern::attach
