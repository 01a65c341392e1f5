/*
 * cmd_codes.c -- `payspool codes [--json]`: the table of public error
 * codes (src/base/codes.h) as result files and logs use them.
 */
#include <errno.h>
#include <stdio.h>
#include <sysexits.h>

#include "base/codes.h"
#include "cli/cli_int.h"

int cmd_codes(struct cli_ctx *c, struct ps_err *err)
{
    if ((c->json ? ps_code_write_json(stdout) : ps_code_write_text(stdout)) !=
        0)
        return cli_fail(
            (ps_err_sys(err, errno, "cannot write the error codes"), err));
    return EX_OK;
}
