#!/usr/bin/env bash
# Exports the real tables of the curve-extrapolation benchmark as numeric CSVs (features first,
# integer-coded class or numeric target in the last column "target") into DIR.
# Sources (Debian packages; licences as shipped by them):
#   letter     R mlbench::LetterRecognition (UCI letter recognition, 20000 x 16, 26 classes; GPL-2 package)
#   satellite  R mlbench::Satellite (UCI Statlog Landsat, 6435 x 36, 6 classes; GPL-2 package)
#   shuttle    R mlbench::Shuttle (UCI Statlog shuttle, 58000 x 9, 7 classes; GPL-2 package), 12800 rows drawn
#   spam       R kernlab::spam (UCI spambase, 4601 x 57, 2 classes; GPL-2 package)
#   fertility  R AER::Fertility (1980 US census, Angrist & Evans; 254654 x 7, "more kids"; GPL-2/3 package), 12800 rows drawn
#   churn      R modeldata::mlc_churn (telecom churn, 5000 x 19, categorical columns one-hot; MIT package)
#   cells      R modeldata::cells (Hill et al. 2007 cell segmentation, 2019 x 56, 2 classes; MIT package)
#   ames       R modeldata::ames (De Cock 2011 Ames housing, 2930 rows, numeric columns; target log10 price; MIT package)
#   digits     scikit-learn load_digits (UCI optdigits test set, 1797 x 64, 10 classes; BSD-3 package)
# Fashion-MNIST (MIT) is read straight from /usr/share/datasets/fashion-mnist by the curve program.
# Needs: apt-get install r-base-core r-cran-mlbench r-cran-kernlab r-cran-aer r-cran-modeldata python3-sklearn
set -euo pipefail
out=${1:?usage: export_data.sh DIR}
mkdir -p "$out"
Rscript --vanilla - "$out" <<'REOF'
out <- commandArgs(trailingOnly = TRUE)[1]
suppressMessages({library(mlbench); library(kernlab); library(AER); library(modeldata)})
set.seed(20261127)
save <- function(df, y, name) {
  X <- model.matrix(~ . - 1, data = df)  # factors one-hot (the first factor keeps all levels)
  colnames(X) <- make.names(colnames(X), unique = TRUE)
  d <- data.frame(X, target = y)
  write.csv(d, file.path(out, paste0(name, ".csv")), row.names = FALSE)
  cat(sprintf("%-10s %6d rows %4d features\n", name, nrow(d), ncol(X)))
}
code <- function(f) as.integer(factor(f)) - 1L
data(LetterRecognition); save(LetterRecognition[, -1], code(LetterRecognition$lettr), "letter")
data(Satellite); save(Satellite[, -37], code(Satellite$classes), "satellite")
data(Shuttle); s <- Shuttle[sample(nrow(Shuttle), 12800), ]; save(s[, -10], code(s$Class), "shuttle")
data(spam); save(spam[, -58], code(spam$type), "spam")
data(Fertility); f <- Fertility[sample(nrow(Fertility), 12800), ]; save(f[, -1], code(f$morekids), "fertility")
data(mlc_churn); ch <- as.data.frame(mlc_churn); save(ch[, !(names(ch) %in% c("state", "churn"))], code(ch$churn), "churn")
data(cells); ce <- as.data.frame(cells); save(ce[, !(names(ce) %in% c("case", "class"))], code(ce$class), "cells")
data(ames); a <- as.data.frame(ames); num <- a[, sapply(a, is.numeric)]; num$Sale_Price <- NULL
save(num, log10(a$Sale_Price), "ames")
REOF
/usr/bin/python3 - "$out" <<'PEOF'
import sys, csv
from sklearn.datasets import load_digits
d = load_digits()
with open(sys.argv[1] + "/digits.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow([f"px{i}" for i in range(d.data.shape[1])] + ["target"])
    for row, t in zip(d.data, d.target):
        w.writerow([int(v) for v in row] + [int(t)])
print(f"digits     {len(d.target):6d} rows {d.data.shape[1]:4d} features")
PEOF
