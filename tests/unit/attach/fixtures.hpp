// Test helpers of unit_attach: fixture files read whole (support/files.hpp).
#pragma once

#include "support/files.hpp"
