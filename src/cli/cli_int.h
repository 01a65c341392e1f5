/*
 * cli_int.h -- what the files of src/cli/ share, and nothing else does:
 * the command table's row, the context a command runs in, the option
 * helpers and the output helpers (human or --json).
 *
 * cli.c owns the table, the one option parser and the set-up each row
 * asks for; cmd_<group>.c hold the handlers.  A handler returns a
 * sysexits(3) status and prints its own output; an error goes through
 * cli_fail(), a usage error through cli_usage_error() (exit 64).
 *
 * The CLI may include every layer but the store (tests/layers): it reads
 * through engine/query.h.
 *
 * Adding a command (`payspool codes`, say): one row in cli.c's table, its
 * handler in a new cmd_<name>.c (CMake picks it up), and the handler's
 * prototype at the end of this file.  -h, the nearest-match messages and
 * tests/e2e/test_usage.sh follow from the row.
 */
#ifndef PS_CLI_INT_H
#define PS_CLI_INT_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/calendar.h"
#include "base/err.h"
#include "base/model.h"
#include "engine/engine.h"
#include "engine/query.h"
#include "intake/spool.h"
#include "sched/scheduler.h"

#define CLI_PATH 1024
#define CLI_MAX_OPTS 48
#define CLI_MAX_POS 64

/*
 * What a command needs before its handler runs (struct cli_cmd.needs).
 * cli.c sets them up in this order and undoes them after the handler,
 * whatever it returned; a failed set-up is the command's error.
 */
enum {
    CLI_CONFIG = 1u << 0,    /* the spool configuration (--config): c->cfg */
    CLI_CALENDAR = 1u << 1,  /* the banking calendar (--calendar): c->cal */
    CLI_JOBS = 1u << 2,      /* the job files (--jobs): c->jobs, c->env;
                              * also checks the CSV layouts.  Needs CONFIG,
                              * CALENDAR and ENGINE. */
    CLI_ENGINE = 1u << 3,    /* the database: c->eng */
    CLI_KEYS = 1u << 4,      /* the database and the key file */
    CLI_LOCK = 1u << 5,      /* the spool's engine lock (flock and guard
                              * row): one engine per spool; exit 75 when
                              * another holds it */
    CLI_READ_ONLY = 1u << 6, /* writes nothing: safe beside a running
                              * engine (said in its -h) */
    CLI_LOG_INFO = 1u << 7,  /* logs at info by default, not warn (the
                              * engine logs every file) */
    CLI_SETUP_UNAVAILABLE = 1u << 8, /* a failed set-up exits 69 without a
                                      * message (health: the status is the
                                      * answer) */
    CLI_KEYS_IF = 1u << 9 /* the key file when it can be read, else the
                           * database alone (a masked display that shows
                           * less without it) */
};

struct cli_ctx;

/*
 * One row of the command table (cli.c): a command, or one subcommand of
 * a group ("business add").  Adding a command is one row here and one
 * handler in cmd_<group>.c.
 */
struct cli_cmd {
    const char *name; /* "business" */
    const char *sub;  /* "add"; NULL for a command without subcommands */
    int (*fn)(struct cli_ctx *c, struct ps_err *err);
    unsigned needs; /* CLI_* */
    /* The arguments: "NAME", "ID EVENT", "[NAME]", "FILE..." or "".  The
     * parser counts them: one missing or one too many exits 64. */
    const char *args;
    /* The options it takes, space-separated; "name=" takes a value,
     * "name" is a flag.  The global ones (--spool, --db, --key, --json,
     * --log, --log-level, -h/--help) are always accepted. */
    const char *opts;
    const char *synopsis; /* the options as the usage line shows them */
    const char *summary;  /* one line: what it does */
    const char *example;  /* one command line as a user types it */
};

/* The command table (cli.c), in the order `payspool help` lists it. */
extern const struct cli_cmd cli_commands[];
extern const size_t cli_ncommands;

struct cli_ctx {
    const struct cli_cmd *cmd;
    const char *pos[CLI_MAX_POS]; /* the arguments after COMMAND [SUB] */
    int npos;
    const char *name[CLI_MAX_OPTS]; /* options, in order given */
    const char *val[CLI_MAX_OPTS];  /* "1" for a flag */
    int nopt;
    int json; /* --json */
    char spool[CLI_PATH];
    char db[CLI_PATH];
    char key[CLI_PATH];
    char config[CLI_PATH];      /* the spool configuration file (CLI_CONFIG) */
    struct ps_engine *eng;      /* CLI_ENGINE, CLI_KEYS, CLI_LOCK */
    struct ps_spool_config cfg; /* CLI_CONFIG (defaults otherwise) */
    struct ps_calendar *cal;    /* CLI_CALENDAR */
    struct ps_jobs jobs;        /* CLI_JOBS */
    struct ps_sched_env env;    /* CLI_JOBS */
    int lock_fd;                /* CLI_LOCK; -1 when not held */
};

/* Set by SIGTERM/SIGINT (cmd_run.c installs the handlers); the
 * scheduler's steps and the daemon loop stop at their next boundary. */
extern volatile sig_atomic_t cli_stop_requested;
extern volatile sig_atomic_t cli_reload_requested;

/* ---- parsing (cli_parse.c) ----------------------------------------- */

/* argv to c (the row, its arguments and options, checked); -1 when the
 * command is to run, else the exit status (0 after help, 64). */
int cli_parse(int argc, char **argv, struct cli_ctx *c);

/* ---- options -------------------------------------------------------- */

/* The value of option --name (the last one given), or NULL. */
const char *cli_opt(const struct cli_ctx *c, const char *name);
/* --name, required: PS_EINVAL (MISSING_OPTION, exit 64) when absent. */
int cli_need(const struct cli_ctx *c, const char *name, const char **out,
             struct ps_err *err);
/* --name as an amount of `currency` (minor units); 0 when absent and not
 * required. */
int cli_amount_opt(const struct cli_ctx *c, const char *name,
                   const char *currency, int required, int64_t *out,
                   struct ps_err *err);
/* --name as a whole number in [min, max]; dflt when absent. */
int cli_int_opt(const struct cli_ctx *c, const char *name, long min, long max,
                long dflt, long *out, struct ps_err *err);
/* --name copied into dst[size]; a value that does not fit is an error
 * (never cut: a cut value could pass validation).  "" when absent. */
int cli_copy_opt(const struct cli_ctx *c, const char *name, char *dst,
                 size_t size, struct ps_err *err);
/* --date YYYY-MM-DD, or today (UTC). */
int cli_date_opt(const struct cli_ctx *c, int64_t *day, struct ps_err *err);
/* --business B, or every business; l from ps_businesses_free(). */
int cli_businesses_opt(struct cli_ctx *c, struct ps_businesses *l,
                       struct ps_err *err);
/* --business B and the customer EXT of it (CUSTOMER_NOT_FOUND). */
int cli_customer_lookup(struct cli_ctx *c, const char *ext,
                        struct ps_business *b, struct ps_customer *cu,
                        struct ps_err *err);
/* One line (a card or account number) from stdin, newline stripped. */
int cli_read_secret(char *buf, size_t size, const char *what,
                    struct ps_err *err);

/* ---- output --------------------------------------------------------- */

/* Set by cli_parse() when --json is on the command line (wherever):
 * every error is then one JSON object on stderr (docs/json.md). */
extern int cli_json_errors;
/* Print err as every command does; returns its exit status. */
int cli_fail(const struct ps_err *err);
/* Print err on stderr: "payspool: ..." or, under --json, the error
 * object {"error": {"code", "message", "file", "line", "field"}}. */
void cli_error_print(const struct ps_err *err);
/* An error the CLI itself finds (rule: a row of codes.h), printed as
 * cli_error_print() does; returns the exit status of code (PS_E*). */
__attribute__((format(printf, 3, 4))) int cli_error(int code, const char *rule,
                                                    const char *fmt, ...);
/* "payspool: MESSAGE", the command's usage line and how to get help, on
 * stderr; returns 64 (EX_USAGE). */
__attribute__((format(printf, 2, 3))) int
cli_usage_error(const struct cli_ctx *c, const char *fmt, ...);
/* Print o (indented); an object that could not be built is said on
 * stderr.  Does not take o. */
void cli_print_json(json_t *o);
/* Stored JSON shown under --json (a LinX request's activities): every
 * object key of v, at any depth, from snake_case to camelCase
 * ("document_id" -> "documentId"), in place; returns v. */
json_t *cli_camel_keys(json_t *v);
/* v minor units of currency as a decimal string in buf. */
const char *cli_money_str(int64_t v, const char *currency, char *buf,
                          size_t size);

/* A list being printed: JSON array (--json) or table rows. */
struct cli_list {
    struct cli_ctx *c;
    json_t *arr; /* NULL: print rows */
    int n;
};

/* Shared by `customer show` and `account show` (cmd_customer.c). */
json_t *cli_account_json(const struct ps_account *a);
int cli_add_status_history_json(void *arr,
                                const struct ps_status_history_row *h);
void cli_print_status_history(json_t *hist);
/* "identity" (masked date of birth and tax id) into o when on file; its
 * text lines. */
int cli_identity_json(struct cli_ctx *c, json_t *o, const char *customer_id,
                      struct ps_err *err);
void cli_print_identity(json_t *o);
/* Append o to arr with "sourceLine" (null when line is 0); takes o. */
int cli_append_sourced(json_t *arr, json_t *o, long line);
/* " (file, line N)" of a history or change object, or "". */
void cli_source_of(json_t *o, char *buf, size_t size);

/* Shared by `job` and `status`/`health` (cmd_job.c). */
json_t *cli_run_json(const struct ps_job_run *r);
void cli_print_run(const struct ps_job_run *r);
/* A ps_query_job_runs() callback: ctx is a JSON array, or NULL to print. */
int cli_list_run(void *ctx, const struct ps_job_run *r);
json_t *cli_job_json(const struct ps_sched_env *env, const struct ps_job *j,
                     int64_t now);

/* ---- the handlers (one file per group) ------------------------------ */

int cmd_init(struct cli_ctx *c, struct ps_err *err);
int cmd_business_add(struct cli_ctx *c, struct ps_err *err);
int cmd_business_list(struct cli_ctx *c, struct ps_err *err);
int cmd_business_set(struct cli_ctx *c, struct ps_err *err);
int cmd_linx_list(struct cli_ctx *c, struct ps_err *err);
int cmd_linx_show(struct cli_ctx *c, struct ps_err *err);
int cmd_linx_extend(struct cli_ctx *c, struct ps_err *err);
int cmd_linx_cancel(struct cli_ctx *c, struct ps_err *err);
int cmd_linx_resend(struct cli_ctx *c, struct ps_err *err);
int cmd_linx_answers(struct cli_ctx *c, struct ps_err *err);
int cmd_events_list(struct cli_ctx *c, struct ps_err *err);
int cmd_events_replay(struct cli_ctx *c, struct ps_err *err);
int cmd_document_add(struct cli_ctx *c, struct ps_err *err);
int cmd_program_add(struct cli_ctx *c, struct ps_err *err);
int cmd_program_list(struct cli_ctx *c, struct ps_err *err);
int cmd_customer_add(struct cli_ctx *c, struct ps_err *err);
int cmd_customer_show(struct cli_ctx *c, struct ps_err *err);
int cmd_customer_status(struct cli_ctx *c, struct ps_err *err);
int cmd_account_add(struct cli_ctx *c, struct ps_err *err);
int cmd_account_show(struct cli_ctx *c, struct ps_err *err);
int cmd_account_status(struct cli_ctx *c, struct ps_err *err);
int cmd_account_authorize(struct cli_ctx *c, struct ps_err *err);
int cmd_ewa_show(struct cli_ctx *c, struct ps_err *err);
int cmd_ewa_export(struct cli_ctx *c, struct ps_err *err);
int cmd_ewa_enroll(struct cli_ctx *c, struct ps_err *err);
int cmd_ewa_eligibility(struct cli_ctx *c, struct ps_err *err);
int cmd_ewa_enrollment(struct cli_ctx *c, struct ps_err *err);
int cmd_tx_show(struct cli_ctx *c, struct ps_err *err);
int cmd_tx_create(struct cli_ctx *c, struct ps_err *err);
int cmd_tx_event(struct cli_ctx *c, struct ps_err *err);
int cmd_ledger_balance(struct cli_ctx *c, struct ps_err *err);
int cmd_ledger_verify(struct cli_ctx *c, struct ps_err *err);
int cmd_run(struct cli_ctx *c, struct ps_err *err);
int cmd_job_list(struct cli_ctx *c, struct ps_err *err);
int cmd_job_status(struct cli_ctx *c, struct ps_err *err);
int cmd_job_run(struct cli_ctx *c, struct ps_err *err);
int cmd_status(struct cli_ctx *c, struct ps_err *err);
int cmd_health(struct cli_ctx *c, struct ps_err *err);
/* health when its set-up failed (no database...): 69, and under --json
 * the verdict saying why (cmd_status.c). */
int cli_health_unavailable(struct cli_ctx *c, const struct ps_err *err);
int cmd_payouts_run(struct cli_ctx *c, struct ps_err *err);
int cmd_sandbox_provider(struct cli_ctx *c, struct ps_err *err);
int cmd_provider_list(struct cli_ctx *c, struct ps_err *err);
int cmd_files_list(struct cli_ctx *c, struct ps_err *err);
int cmd_files_show(struct cli_ctx *c, struct ps_err *err);
int cmd_files_retry(struct cli_ctx *c, struct ps_err *err);
int cmd_recon(struct cli_ctx *c, struct ps_err *err);
int cmd_ach_cutoff(struct cli_ctx *c, struct ps_err *err);
int cmd_check(struct cli_ctx *c, struct ps_err *err);
int cmd_calendar_day(struct cli_ctx *c, struct ps_err *err);
int cmd_calendar_holidays(struct cli_ctx *c, struct ps_err *err);
int cmd_codes(struct cli_ctx *c, struct ps_err *err);
int cmd_archive_show(struct cli_ctx *c, struct ps_err *err);
int cmd_archive_list(struct cli_ctx *c, struct ps_err *err);
int cmd_archive_prune(struct cli_ctx *c, struct ps_err *err);

#endif /* PS_CLI_INT_H */
