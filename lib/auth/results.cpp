// Names of the shared authentication results (see results.hpp).
#include "auth/results.hpp"

namespace postern::auth {

std::string_view to_string(DkimStatus s) {
  switch (s) {
    case DkimStatus::None:
      return "none";
    case DkimStatus::Pass:
      return "pass";
    case DkimStatus::Fail:
      return "fail";
    case DkimStatus::Neutral:
      return "neutral";
    case DkimStatus::Policy:
      return "policy";
    case DkimStatus::TempError:
      return "temperror";
    case DkimStatus::PermError:
      return "permerror";
  }
  return "none";
}

std::string_view to_string(ArcStatus s) {
  switch (s) {
    case ArcStatus::None:
      return "none";
    case ArcStatus::Pass:
      return "pass";
    case ArcStatus::Fail:
      return "fail";
  }
  return "none";
}

}  // namespace postern::auth
