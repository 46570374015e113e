#pragma once
/// \file grove io: the versioned binary container and the SVG writer.

#include "grove/io/binary.hpp"
#include "grove/io/svg.hpp"
