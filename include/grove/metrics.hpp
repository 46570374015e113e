#pragma once
/// \file metrics module: classification, probabilistic and regression scores (grove::metrics).

#include "grove/metrics/classification.hpp"
#include "grove/metrics/confusion_matrix.hpp"
#include "grove/metrics/labels.hpp"
#include "grove/metrics/log_loss.hpp"
#include "grove/metrics/regression.hpp"
#include "grove/metrics/roc_auc.hpp"
