## Live oracle for tests/test_competing_risks_oracle.py: runs cmprsk on every cohort of a batch.
## Usage: Rscript cmprsk_oracle.R <input_dir> <output_file>
## <input_dir>/manifest.csv has one row per cohort:
##   id, rho, cencode, failcode, use_strata, use_cengroup, use_tv, n_cov, tp_times (space separated)
## and <input_dir>/<id>.csv the cohort: time, status, group, strata, cengroup, x1..x<n_cov>
## (missing values as NA). Output lines: "<id>|<key> = v1 v2 ..." with %.17g (NA for missing);
## matrices flattened column-major.
suppressMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
indir <- args[1]
out <- file(args[2], "w")
emit <- function(id, key, x) {
  v <- as.numeric(x)
  s <- ifelse(is.na(v), "NA", sprintf("%.17g", v))
  writeLines(paste0(id, "|", key, " = ", paste(s, collapse = " ")), out)
}
man <- read.csv(file.path(indir, "manifest.csv"), stringsAsFactors = FALSE)
for (r in seq_len(nrow(man))) {
  m <- man[r, ]
  id <- m$id
  d <- read.csv(file.path(indir, paste0(id, ".csv")), stringsAsFactors = FALSE)
  tp_times <- as.numeric(strsplit(m$tp_times, " ")[[1]])
  ci <- if (m$use_strata == 1) {
    cuminc(d$time, d$status, d$group, d$strata, rho = m$rho, cencode = m$cencode)
  } else {
    cuminc(d$time, d$status, d$group, rho = m$rho, cencode = m$cencode)
  }
  for (nm in setdiff(names(ci), "Tests")) {
    for (f in c("time", "est", "var")) emit(id, sprintf("curve[%s].%s", nm, f), ci[[nm]][[f]])
  }
  emit(id, "tests.stat", ci$Tests[, "stat"])
  emit(id, "tests.pv", ci$Tests[, "pv"])
  tp <- timepoints(ci, tp_times)
  for (nm in rownames(tp$est)) {
    emit(id, sprintf("tp[%s].est", nm), tp$est[nm, ])
    emit(id, sprintf("tp[%s].var", nm), tp$var[nm, ])
  }
  X <- as.matrix(d[, paste0("x", seq_len(m$n_cov)), drop = FALSE])
  cg <- if (m$use_cengroup == 1) d$cengroup else rep(1, nrow(d))
  if (m$use_tv == 1) {
    fit <- crr(d$time, d$status, X, cov2 = X[, 1, drop = FALSE], tf = function(t) cbind(t / 10),
               cengroup = cg, failcode = m$failcode, cencode = m$cencode)
  } else {
    fit <- crr(d$time, d$status, X, cengroup = cg, failcode = m$failcode, cencode = m$cencode)
  }
  for (f in c("coef", "var", "loglik", "loglik.null", "converged", "uftime", "bfitj")) {
    emit(id, paste0("crr.", f), fit[[f]])
  }
  emit(id, "crr.n.missing", fit$n.missing)
  newx <- rbind(colMeans(X, na.rm = TRUE), X[complete.cases(X), , drop = FALSE][1, ])
  pr <- if (m$use_tv == 1) predict(fit, newx, newx[, 1, drop = FALSE]) else predict(fit, newx)
  emit(id, "crr.predict", pr)
}
close(out)
