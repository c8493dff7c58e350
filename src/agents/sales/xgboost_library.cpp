#include "agents/sales/xgboost_library.hpp"

#include <dlfcn.h>

#include <string>

#include "core/error.hpp"

namespace de::agents::sales {

namespace {

// DE_XGBOOST_SONAME comes from the build (src/agents/sales/CMakeLists.txt): the library's
// soname, found by the loader as a linked library would be.
[[noreturn]] void fail(const std::string& what) {
  const char* why = dlerror();
  throw core::Error(core::ErrorKind::internal,
                    "XGBoost (" DE_XGBOOST_SONAME "): " + what + (why ? std::string(": ") + why : std::string()));
}

template <typename Function>
void bind(void* library, Function& function, const char* name) {
  void* symbol = dlsym(library, name);
  if (!symbol) fail(std::string("no ") + name);
  function = reinterpret_cast<Function>(symbol);
}

XGBoostLibrary open_library() {
  // Never closed: its functions are used until the process ends.
  void* library = dlopen(DE_XGBOOST_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!library) fail("cannot be opened");
  XGBoostLibrary l;
  bind(library, l.get_last_error, "XGBGetLastError");
  bind(library, l.dmatrix_create_from_mat, "XGDMatrixCreateFromMat");
  bind(library, l.dmatrix_set_float_info, "XGDMatrixSetFloatInfo");
  bind(library, l.dmatrix_free, "XGDMatrixFree");
  bind(library, l.booster_create, "XGBoosterCreate");
  bind(library, l.booster_free, "XGBoosterFree");
  bind(library, l.booster_set_param, "XGBoosterSetParam");
  bind(library, l.booster_update_one_iter, "XGBoosterUpdateOneIter");
  bind(library, l.booster_eval_one_iter, "XGBoosterEvalOneIter");
  bind(library, l.booster_slice, "XGBoosterSlice");
  bind(library, l.booster_predict_from_dmatrix, "XGBoosterPredictFromDMatrix");
  bind(library, l.booster_feature_score, "XGBoosterFeatureScore");
  bind(library, l.booster_save_model_to_buffer, "XGBoosterSaveModelToBuffer");
  bind(library, l.booster_load_model_from_buffer, "XGBoosterLoadModelFromBuffer");
  return l;
}

}  // namespace

const XGBoostLibrary& xgboost() {
  // A failed open throws and is tried again by the next call (a static's initialisation).
  static const XGBoostLibrary library = open_library();
  return library;
}

}  // namespace de::agents::sales
