// Services: reuse what did not change, make the rest, swap on commit.
#include "scan/services.hpp"

#include "scan/registry.hpp"

namespace postern::scan {
namespace {

std::vector<const core::ServiceEntry*> registered() {
  std::vector<const core::ServiceEntry*> out;
  for (const auto* r : registrations())
    for (const auto& s : r->services) out.push_back(&s);
  return out;
}

}  // namespace

Services::Services() : Services(registered()) {}

Services::Services(std::vector<const core::ServiceEntry*> entries) : entries_(std::move(entries)) {}

Services::Prepared Services::prepare(const policy::Config& config,
                                     const policy::Policy& policy) const {
  std::shared_ptr<const State> now = state_.load();
  auto set = std::make_shared<core::ServiceSet>();
  policy::Errors errs;
  for (const auto* e : entries_) {
    std::shared_ptr<void> current = now ? now->set->get<void>(e->name) : std::shared_ptr<void>();
    if (now && !e->changed(current.get(), now->config, config, policy)) {
      if (current) set->put(std::string(e->name), std::move(current));
      continue;
    }
    std::string error;
    std::shared_ptr<void> made = e->make(config, policy, error);
    if (!error.empty()) errs.push_back(policy::Error{config.path, 0, 0, std::move(error)});
    if (made) set->put(std::string(e->name), std::move(made));
  }
  return Prepared{std::move(set), std::move(errs)};
}

void Services::commit(std::shared_ptr<const core::ServiceSet> set, const policy::Config& config) {
  state_.store(std::make_shared<const State>(State{std::move(set), config}));
}

std::shared_ptr<const core::ServiceSet> Services::current() const {
  auto now = state_.load();
  return now ? now->set : nullptr;
}

}  // namespace postern::scan
