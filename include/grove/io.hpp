#pragma once
/// \file grove io: the versioned binary container (and, with diagnostics, the SVG writer).

#include "grove/io/binary.hpp"
