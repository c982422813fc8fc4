#pragma once
// The scope family: which keys a query sees and how scores become weights
// (see DESIGN.md: score x scope x heads). Multi-head attention takes its scope from here.

#include <memory>

#include "core/registry.h"
#include "modules/scope.h"

namespace attnlab {

using ScopeRegistry = Registry<std::shared_ptr<ScopeImpl>, ScopeDims>;
const ScopeRegistry& scope_registry();

}  // namespace attnlab
