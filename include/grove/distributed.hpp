#pragma once
/// \file Distributed training over MPI (optional: build with GROVE_WITH_MPI=ON and link
/// grove::distributed; grove.hpp never includes this). Boosting on row shards
/// (distributed::fit_boosting), data-parallel SGD for nn (distributed::DataParallel), the
/// Communicator over MPI ranks (MpiCommunicator, MpiSession) or threads (run_in_process, for
/// tests), and the shard reader for CSV files (read_csv_shard).

#include "grove/distributed/bin_edges.hpp"
#include "grove/distributed/boosting.hpp"
#include "grove/distributed/communicator.hpp"
#include "grove/distributed/csv_shard.hpp"
#include "grove/distributed/data_parallel.hpp"
#include "grove/distributed/in_process.hpp"
#include "grove/distributed/mpi_communicator.hpp"
#include "grove/distributed/setup_check.hpp"
