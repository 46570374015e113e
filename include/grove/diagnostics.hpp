#pragma once
/// \file grove diagnostics: History, early stopping, learning curves, diagnose, reports.

#include "grove/diagnostics/history.hpp"
