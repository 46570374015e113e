#pragma once
/// \file grove core: errors, checks, number formatting, Rng, threads, Shape.

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/memory.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/progress.hpp"
#include "grove/core/rng.hpp"
#include "grove/core/shape.hpp"
