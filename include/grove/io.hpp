#pragma once
/// \file grove io: atomic file writes, the versioned binary container, its header reader and the SVG writer.

#include "grove/io/binary.hpp"
#include "grove/io/file.hpp"
#include "grove/io/model_file.hpp"
#include "grove/io/svg.hpp"
