#include "training/matmul_flops.h"

#include <cstring>

#include "training/task.h"

namespace attnlab {

namespace {

// The counter's state for this thread. RecordFunction takes plain function pointers, so the
// callbacks reach it through a thread_local; a MatmulFlopCounter owns it for its lifetime.
struct CounterState {
  bool active = false;
  int64_t flops = 0;
  int depth = 0;  // matrix products open on this thread (a nested one is not counted again)
};
thread_local CounterState counter_state;

bool is_matrix_product(const char* name) {
  static const char* const kNames[] = {"aten::mm",     "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::addbmm",
                                       "aten::mv",     "aten::addmv", "aten::dot", "aten::vdot",    "aten::mm_",
                                       "aten::addmm_", "aten::baddbmm_", "aten::addbmm_", "aten::addmv_"};
  for (const char* known : kNames)
    if (std::strcmp(name, known) == 0) return true;
  return false;
}

int64_t size_at(const c10::IValue& value, int64_t dim) {
  return value.isTensor() ? value.toTensor().size(dim) : 0;
}

int64_t product_flops(const at::RecordFunction& fn) {
  const std::string name = fn.name();
  const auto inputs = fn.inputs();
  auto tensor_dims = [&](size_t i) { return i < inputs.size() && inputs[i].isTensor() ? inputs[i].toTensor().dim() : -1; };
  // The two operands: the first two tensor inputs of mm/bmm/mv/dot, the 2nd and 3rd of the add-forms.
  const bool add_form = name.rfind("aten::add", 0) == 0 || name.rfind("aten::baddbmm", 0) == 0;
  const size_t a = add_form ? 1 : 0, b = a + 1;
  const int64_t da = tensor_dims(a), db = tensor_dims(b);
  if (da < 0 || db < 0) return 0;
  if (da == 2 && db == 2) return 2 * size_at(inputs[a], 0) * size_at(inputs[a], 1) * size_at(inputs[b], 1);
  if (da == 3 && db == 3)  // bmm, baddbmm, addbmm
    return 2 * size_at(inputs[a], 0) * size_at(inputs[a], 1) * size_at(inputs[a], 2) * size_at(inputs[b], 2);
  if (da == 2 && db == 1) return 2 * size_at(inputs[a], 0) * size_at(inputs[a], 1);
  if (da == 1 && db == 1) return 2 * size_at(inputs[a], 0);
  return 0;
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  CounterState& state = counter_state;
  if (!state.active || !is_matrix_product(fn.name())) return nullptr;
  if (state.depth++ == 0) state.flops += product_flops(fn);
  return nullptr;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext*) {
  CounterState& state = counter_state;
  if (state.active && is_matrix_product(fn.name()) && state.depth > 0) --state.depth;
}

}  // namespace

MatmulFlopCounter::MatmulFlopCounter() {
  counter_state = CounterState{true, 0, 0};
  handle_ = at::addThreadLocalCallback(
      at::RecordFunctionCallback(on_start, on_end).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
}

MatmulFlopCounter::~MatmulFlopCounter() {
  at::removeCallback(handle_);
  counter_state = CounterState{};
}

int64_t MatmulFlopCounter::flops() const { return counter_state.flops; }

TrainingStepFlops count_training_step_flops(Task& task, const std::vector<int64_t>& examples) {
  auto model = task.model();
  TrainingStepFlops step;
  {
    MatmulFlopCounter counter;
    auto loss = task.train_loss(examples, /*draw_seed=*/0);
    loss.loss.backward();
    step.flops = counter.flops();
    step.tokens = loss.tokens;
  }
  model->zero_grad();
  return step;
}

}  // namespace attnlab
