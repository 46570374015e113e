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
# Added for the second round (issue 19; the pool of 16 was drawn into 6 development and 10 fresh
# held-out sets by Python's random.Random(19).shuffle of the sorted names, first 6 = development):
#   arrests        R carData::Arrests (Toronto marijuana arrests, 5226 x 7, released; GPL-2+ package)
#   cps1988        R AER::CPS1988 (March 1988 CPS, 28155 x 6; target log10 wage, r2), 12800 rows drawn
#   lending_club   R modeldata::lending_club (9857 x 22, good/bad loan; MIT package)
#   stackoverflow  R modeldata::stackoverflow (2017 developer survey, 5594 x 20, remote; MIT)
#   titanic        R carData::TitanicSurvival (1309 passengers, complete cases 1046 x 3, survived)
#   wa_churn       R modeldata::wa_churn (IBM Watson telco churn, complete cases 7032 x 19; MIT)
#   concrete       R modeldata::concrete (Yeh 1998 compressive strength, 1030 x 8, r2; MIT)
#   credit_data    R modeldata::credit_data (credit scoring, complete cases 4039 x 13; MIT)
#   dna            R mlbench::DNA (StatLog splice junctions, 3186 x 180 binary, 3 classes; GPL-2)
#   german_credit  R caret::GermanCredit (Statlog German credit, 1000 x 61; GPL-2+ package)
#   health_insurance  R AER::HealthInsurance (1996 MEPS, 8802 x 10, insured; GPL-2/3)
#   hmda           R AER::HMDA (Boston HMDA mortgage denials, 2380 x 13; GPL-2/3)
#   hpc_data       R modeldata::hpc_data (HPC job run-time classes, 4331 x 7, 4 classes; MIT)
#   vehicle        R mlbench::Vehicle (Statlog vehicle silhouettes, 846 x 18, 4 classes; GPL-2)
#   vowel          R mlbench::Vowel (Deterding vowels, 990 x 10, 11 classes; GPL-2)
#   wvs            R carData::WVS (World Values Survey, 5381 x 5, poverty opinion, 3 classes)
# Fashion-MNIST (MIT) is read straight from /usr/share/datasets/fashion-mnist by the curve program.
# Needs: apt-get install r-base-core r-cran-mlbench r-cran-kernlab r-cran-aer r-cran-modeldata
#        r-cran-cardata r-cran-caret python3-sklearn
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
# Second round: complete cases only; ordered factors as their integer codes, text and logical
# columns as factors / 0-1, a factor of "0"/"1" levels as a number.
prep <- function(df, target) {
  df <- as.data.frame(df)
  for (v in names(df)) {
    x <- df[[v]]
    if (is.character(x)) x <- factor(x)
    if (is.logical(x)) x <- as.integer(x)
    if (is.ordered(x)) x <- as.integer(x)
    if (is.factor(x) && all(levels(x) %in% c("0", "1"))) x <- as.integer(as.character(x))
    df[[v]] <- x
  }
  df <- df[complete.cases(df), , drop = FALSE]
  y <- df[[target]]
  df[[target]] <- NULL
  list(df = df, y = y)
}
save2 <- function(df, target, name, rows = NULL, transform = code) {
  p <- prep(df, target)
  if (!is.null(rows) && nrow(p$df) > rows) { i <- sample(nrow(p$df), rows); p$df <- p$df[i, , drop = FALSE]; p$y <- p$y[i] }
  save(p$df, transform(p$y), name)
}
suppressMessages({library(carData); library(caret)})
data(Arrests); save2(Arrests, "released", "arrests")
data(CPS1988); save2(CPS1988, "wage", "cps1988", rows = 12800, transform = log10)
data(lending_club); save2(lending_club, "Class", "lending_club")
data(stackoverflow); save2(stackoverflow, "Remote", "stackoverflow")
data(TitanicSurvival); save2(TitanicSurvival, "survived", "titanic")
data(wa_churn); save2(wa_churn, "churn", "wa_churn")
data(concrete); save2(concrete, "compressive_strength", "concrete", transform = identity)
data(credit_data); save2(credit_data, "Status", "credit_data")
data(DNA); save2(DNA, "Class", "dna")
data(GermanCredit); save2(GermanCredit, "Class", "german_credit")
data(HealthInsurance); save2(HealthInsurance, "insurance", "health_insurance")
data(HMDA); save2(HMDA, "deny", "hmda")
data(hpc_data); save2(hpc_data, "class", "hpc_data")
data(Vehicle); save2(Vehicle, "Class", "vehicle")
data(Vowel); save2(Vowel, "Class", "vowel")
data(WVS); save2(WVS, "poverty", "wvs")
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
