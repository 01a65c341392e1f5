/*
 * reconintake.c -- the reconciliation report's intake of the day
 * (recon_int.h): the input files received on the day by format, status
 * and currency (section `intake`), and what was refused, by code, per
 * record or whole file (section `intake_refused`).  The SQL is
 * store/recon.c's INTAKE and INTAKE_REFUSED (docs/reconciliation.md).
 *
 * How it fails: as the report's other sections (recon.h).
 */
#include "outbound/recon.h"
#include "outbound/recon_int.h"

#include <stdio.h>
#include <string.h>

/* INTAKE: format, status, currency, n, records, accepted, rejected,
 * duplicates, amount_accepted */
static int intake_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    char detail[200];
    x->intake_files += (long)row->num[3];
    snprintf(detail, sizeof(detail),
             "%lld records: %lld accepted, %lld rejected, %lld duplicates",
             (long long)row->num[4], (long long)row->num[5],
             (long long)row->num[6], (long long)row->num[7]);
    int rc =
        ps_recon_emit(x, &(struct ps_recon_line){
                             .section = "intake",
                             .type = row->text[0][0] ? row->text[0] : "UNKNOWN",
                             .status = row->text[1],
                             .currency = row->text[2],
                             .has_count = 1,
                             .count = row->num[3],
                             .has_amount = row->text[2][0] != '\0',
                             .amount = row->num[8],
                             .detail = detail});
    if (rc == 0)
        rc = PS_RECON_SAY(x, "  intake  %-10s %-10s %5lld files  %s\n",
                          row->text[0][0] ? row->text[0] : "UNKNOWN",
                          row->text[1], (long long)row->num[3], detail);
    return ps_recon_stop(x, rc);
}

/* INTAKE_REFUSED: level (RECORD, FILE), code, n */
static int refused_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    int file = strcmp(row->text[0], "FILE") == 0;
    x->intake_refused += (long)row->num[2];
    int rc = ps_recon_emit(
        x,
        &(struct ps_recon_line){
            .section = "intake_refused",
            .type = row->text[0],
            .status = "REJECTED",
            .ref = row->text[1][0] ? row->text[1] : "(no code)",
            .has_count = 1,
            .count = row->num[2],
            .detail = file ? "input files refused whole" : "records refused"});
    if (rc == 0)
        rc = PS_RECON_SAY(x, "  refused %-6s %-32s %5lld\n", row->text[0],
                          row->text[1][0] ? row->text[1] : "(no code)",
                          (long long)row->num[2]);
    return ps_recon_stop(x, rc);
}

int ps_recon_intake_sections(struct rep *x)
{
    int rc;
    if ((rc = PS_RECON_SAY(
             x, "\nIntake of %s (input files received on the day):\n", x->d)) !=
            0 ||
        (rc = ps_recon_query_rows(x, PS_RECON_Q_INTAKE, intake_row)) != 0 ||
        (rc = ps_recon_query_rows(x, PS_RECON_Q_INTAKE_REFUSED, refused_row)) !=
            0)
        return rc;
    return PS_RECON_SAY(x, "  %ld files received; %ld refusals\n",
                        x->intake_files, x->intake_refused);
}
