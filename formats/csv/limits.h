/*
 * limits.h -- the CSV reader's size limits, on their own so that the
 * private row reader (rows.h) can use them without including csv.h
 * (csv.c includes rows.h: the two would include each other).
 */
#ifndef PS_CSV_LIMITS_H
#define PS_CSV_LIMITS_H

#define PS_CSV_RECORD_MAX 65536 /* bytes of one record, line ending included */
#define PS_CSV_COLUMNS_MAX 256  /* columns of a header row */

#endif /* PS_CSV_LIMITS_H */
