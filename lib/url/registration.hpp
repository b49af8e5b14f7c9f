// lib/url's registration: the url and uribl stages, the [url] policy section,
// the "url.feeds" service (url::UrlFeeds, url/feeds.hpp: every binary that
// builds a snapshot from the policy gets it by that name), the URL_* and
// URIBL_* symbols and the event's postern.urls[] (see core/registration.hpp);
// scan/registry gathers it. Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::url {

const core::Registration& registration();

}  // namespace postern::url
