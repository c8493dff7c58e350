#pragma once
// XGBoost's C API, opened at its first use rather than linked: loading and relocating the
// library (and its OpenMP and dmlc) cost every start of every command about 6 ms of CPU and
// 4 MiB of memory here, and most starts never train or score with a model (docs/performance.md).
#include <xgboost/c_api.h>

namespace de::agents::sales {

// The functions lead_model.cpp calls, with XGBoost's own signatures.
struct XGBoostLibrary {
  decltype(&::XGBGetLastError) get_last_error;
  decltype(&::XGDMatrixCreateFromMat) dmatrix_create_from_mat;
  decltype(&::XGDMatrixSetFloatInfo) dmatrix_set_float_info;
  decltype(&::XGDMatrixFree) dmatrix_free;
  decltype(&::XGBoosterCreate) booster_create;
  decltype(&::XGBoosterFree) booster_free;
  decltype(&::XGBoosterSetParam) booster_set_param;
  decltype(&::XGBoosterUpdateOneIter) booster_update_one_iter;
  decltype(&::XGBoosterEvalOneIter) booster_eval_one_iter;
  decltype(&::XGBoosterSlice) booster_slice;
  decltype(&::XGBoosterPredictFromDMatrix) booster_predict_from_dmatrix;
  decltype(&::XGBoosterFeatureScore) booster_feature_score;
  decltype(&::XGBoosterSaveModelToBuffer) booster_save_model_to_buffer;
  decltype(&::XGBoosterLoadModelFromBuffer) booster_load_model_from_buffer;
};

// The library, opened once (thread-safe); throws core::Error (internal) naming the library and
// what the loader said when it cannot be opened or lacks a function.
const XGBoostLibrary& xgboost();

}  // namespace de::agents::sales
