#pragma once
/// \file grove diagnostics: History, early stopping, learning curves, diagnose, reports
/// (text tables, CSV, JSON, SVG charts).

#include "grove/diagnostics/diagnose.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/diagnostics/plot.hpp"
#include "grove/diagnostics/power_law.hpp"
#include "grove/diagnostics/print.hpp"
#include "grove/diagnostics/report.hpp"
#include "grove/diagnostics/scoring.hpp"
