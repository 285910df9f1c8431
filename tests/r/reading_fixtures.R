# Golden values for nlrstats.data.reading: the corpus files as base R reads them.
# Run from the repository root:  Rscript tests/r/reading_fixtures.R
# Writes tests/fixtures/reading_r.json; tests/test_reading.py compares load_cohort's values with it.
# Each file is read with the read.csv / read.csv2 / read.delim call a careful R user would write
# (encoding, separator, decimal mark, skipped lines, NA spellings given explicitly), so that the
# comparison checks that nlrstats' detection finds the same settings and the same values.
suppressPackageStartupMessages(library(jsonlite))
dir <- file.path("tests", "corpus", "files")
f <- function(name) file.path(dir, name)
na_default <- c("", "NA", "na", "N/A", "n/a", "#N/A", "NaN", "nan", "NULL", "null", ".", "-", "--")
cols <- c("patient_id", "age", "sex", "neutrophils_d0", "lymphocytes_d0", "best_response", "pfs_months",
          "pfs_event", "os_months", "os_event")
rd <- list(
  latin1_windows_export.csv = read.csv(f("latin1_windows_export.csv"), fileEncoding = "cp1252", na.strings = na_default),
  utf8_bom.csv = read.csv(f("utf8_bom.csv"), fileEncoding = "UTF-8-BOM", na.strings = na_default),
  utf16_excel_unicode_text.txt = read.delim(f("utf16_excel_unicode_text.txt"), fileEncoding = "UTF-16",
                                            na.strings = na_default),
  semicolon_decimal_comma.csv = read.csv2(f("semicolon_decimal_comma.csv"), na.strings = na_default),
  excel_sep_hint.csv = read.csv2(f("excel_sep_hint.csv"), skip = 1, na.strings = na_default),
  tabs_in_a_csv.csv = read.delim(f("tabs_in_a_csv.csv"), na.strings = na_default),
  pipes.txt = read.table(f("pipes.txt"), sep = "|", header = TRUE, na.strings = na_default),
  crlf_line_ends.csv = read.csv(f("crlf_line_ends.csv"), na.strings = na_default),
  gzipped.csv.gz = read.csv(gzfile(f("gzipped.csv.gz")), na.strings = na_default),
  title_rows_above_header.csv = read.csv(f("title_rows_above_header.csv"), skip = 2, na.strings = na_default),
  trailing_blank_and_empty_rows.csv = {
    d <- read.csv(f("trailing_blank_and_empty_rows.csv"), na.strings = na_default)
    d[rowSums(!is.na(d) & d != "") > 0, ]
  },
  na_spellings.csv = read.csv(f("na_spellings.csv"), na.strings = na_default),
  quoted_newline_then_error.csv = read.csv(f("quoted_newline_then_error.csv"), na.strings = na_default),
  stray_quote_in_value.csv = read.csv(f("stray_quote_in_value.csv"), quote = "", na.strings = na_default),
  file_section_data.csv = read.csv2(f("file_section_data.csv"), skip = 2, fileEncoding = "cp1252",
                                    na.strings = c("", "n.d."))
)
out <- lapply(rd, function(d) {
  keep <- intersect(c(cols, "comment", "tumour"), names(d))
  lapply(d[keep], function(v) if (is.numeric(v)) lapply(v, function(z) if (is.na(z)) NULL else z)
                               else lapply(as.character(v), function(z) if (is.na(z)) NULL else z))
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path("tests", "fixtures", "reading_r.json"), useBytes = TRUE)
cat("wrote tests/fixtures/reading_r.json:", length(out), "files\n")
