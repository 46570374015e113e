#!/usr/bin/env bash
# Exports real tabular data sets from Debian's R data packages as CSV files (RFC 4180, header,
# "NA" for missing values), for grove-pipeline runs and the categorical-split comparison with
# scikit-learn. Usage: benchmarks/data/export_real_csvs.sh [OUT_DIR]   (default: benchmarks/data/real)
#
# Needs: apt-get install r-base-core r-cran-aer r-cran-palmerpenguins r-cran-mass r-cran-ggplot2
#        r-cran-modeldata r-cran-cardata   (the script skips a package that is not installed)
# Licences (from each package's DESCRIPTION): palmerpenguins CC0; ggplot2, modeldata MIT;
# AER, MASS, carData GPL-2 or later. Only the CC0/MIT files are committed (see README.md there).
set -euo pipefail
out=${1:-$(cd "$(dirname "$0")" && pwd)/real}
mkdir -p "$out"
command -v Rscript >/dev/null || { echo "export_real_csvs: Rscript not found (apt-get install r-base-core)" >&2; exit 1; }
OUT="$out" Rscript --vanilla - <<'R'
out <- Sys.getenv("OUT")
# name, package, data set, task (target column in the README), licence
sets <- list(
  list("penguins", "palmerpenguins", "penguins"),
  list("diamonds", "ggplot2", "diamonds"),
  list("attrition", "modeldata", "attrition"),
  list("credit_data", "modeldata", "credit_data"),
  list("mlc_churn", "modeldata", "mlc_churn"),
  list("ames", "modeldata", "ames"),
  list("sacramento", "modeldata", "Sacramento"),
  list("lending_club", "modeldata", "lending_club"),
  list("car_prices", "modeldata", "car_prices"),
  list("cps1985", "AER", "CPS1985"),
  list("hmda", "AER", "HMDA"),
  list("credit_card", "AER", "CreditCard"),
  list("affairs", "AER", "Affairs"),
  list("swiss_labor", "AER", "SwissLabor"),
  list("house_prices", "AER", "HousePrices"),
  list("boston", "MASS", "Boston"),
  list("salaries", "carData", "Salaries"),
  list("titanic", "carData", "TitanicSurvival")
)
for (s in sets) {
  if (!requireNamespace(s[[2]], quietly = TRUE)) { message("skipped ", s[[1]], ": R package ", s[[2]], " not installed"); next }
  e <- new.env()
  data(list = s[[3]], package = s[[2]], envir = e)
  d <- as.data.frame(get(s[[3]], envir = e))
  # Row names that are text (e.g. passenger names) become a column; numeric row ids do not.
  if (any(is.na(suppressWarnings(as.numeric(rownames(d)))))) d <- cbind(name = rownames(d), d)
  f <- file.path(out, paste0(s[[1]], ".csv"))
  write.csv(d, f, row.names = FALSE)
  message(sprintf("%-14s %6d rows x %3d columns  (%s::%s)", s[[1]], nrow(d), ncol(d), s[[2]], s[[3]]))
}
R
