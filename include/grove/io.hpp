#pragma once
/// \file grove io: atomic file writes, the versioned binary container and the SVG writer.

#include "grove/io/binary.hpp"
#include "grove/io/file.hpp"
#include "grove/io/svg.hpp"
