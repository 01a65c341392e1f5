/*
 * cli.c -- `payspool COMMAND [SUB] [ARGS] [OPTIONS]`: the command table,
 * the set-up each command declares, and dispatch, in the manner of git's
 * git.c.  The parser and the usage messages are cli_parse.c; the
 * handlers are cmd_<group>.c.  The work is done by the engine; the CLI
 * only translates.
 *
 * Every command takes --spool DIR, --db PATH and --key PATH (or
 * PAYSPOOL_SPOOL, PAYSPOOL_DB, PAYSPOOL_KEY), defaulting to the
 * repository's spool/, spool/payspool.db and spool.key beside the spool,
 * so several independent instances can run side by side.  Options may
 * come anywhere on the line (`payspool --json check F`), as --name VALUE
 * or --name=VALUE; `--` ends them.
 *
 * Usage errors (an unknown command, subcommand or option, a missing or
 * extra argument) exit 64 (EX_USAGE) and name the nearest valid word;
 * -h/--help prints the command's own usage with an example and exits 0.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/progress.h"
#include "cli/cli_int.h"
#include "formats/csv/csv.h"

volatile sig_atomic_t cli_stop_requested;
volatile sig_atomic_t cli_reload_requested;

/* ---- the command table ---------------------------------------------- */

/* Shorthands for the rows' needs. */
#define ENG CLI_ENGINE
#define RO (CLI_ENGINE | CLI_READ_ONLY)
#define SCHED (CLI_CONFIG | CLI_CALENDAR | CLI_JOBS | CLI_ENGINE)

/*
 * One row per command or subcommand, in the order `payspool help` lists
 * them.  A row says what the command needs (the set-up below does it),
 * what arguments and options it takes (the parser checks them), and its
 * usage, one-line summary and example (-h prints them).  The fields, in
 * order: name, sub, handler, needs, args, options, synopsis, summary,
 * example (struct cli_cmd in cli_int.h).
 */
const struct cli_cmd cli_commands[] = {
    {"init", NULL, cmd_init, CLI_CONFIG, "", "config= system",
     "[--config FILE] [--system]",
     "create the spool tree, the database and the key file (safe to run "
     "again); --system: the FHS tree for the payspool user, as root",
     "payspool --spool /srv/payspool/spool init"},

    {"business", "add", cmd_business_add, CLI_CONFIG | ENG, "NAME",
     "display-name= parent= config=",
     "[--parent P] [--display-name T] [--config FILE]",
     "add a business (NAME is its spool folder: a-z 0-9 - _) and its "
     "folders",
     "payspool business add harbor-north --parent harbor-foods "
     "--display-name 'Harbor Foods North'"},
    {"business", "list", cmd_business_list, RO, "", "", "",
     "the businesses with their parents", "payspool business list --json"},
    {"business", "set", cmd_business_set, CLI_KEYS, "NAME",
     "gateway-url= webhook-url= webhook-secret-file= webhook-attempts= "
     "webhook-timeout-ms=",
     "[--gateway-url URL] [--webhook-url URL] [--webhook-secret-file F] "
     "[--webhook-attempts N] [--webhook-timeout-ms MS]",
     "set a business's LinX gateway URL and webhook (the secret, "
     "whsec_..., kept encrypted)",
     "payspool business set acme --gateway-url https://go.example/l"},
    {"document", "add", cmd_document_add, ENG, "ID",
     "business= version= title= file=",
     "--business B --version V --title T --file F",
     "register a legal document (its SHA-256 is kept) for LinX requests",
     "payspool document add terms --business acme --version 3 --title "
     "'Terms' --file terms-v3.pdf"},
    {"events", "list", cmd_events_list, RO, "", "business= dead",
     "[--business B] [--dead]",
     "the event outbox and each event's webhook delivery state",
     "payspool events list --business acme --dead"},
    {"events", "replay", cmd_events_replay, ENG, "", "business= id= dead",
     "--business B (--id EVENT | --dead)",
     "deliver an event (or every DEAD one) again",
     "payspool events replay --business acme --dead"},
    {"linx", "list", cmd_linx_list, RO, "", "business= status=",
     "[--business B] [--status S]", "the LinX requests, oldest first",
     "payspool linx list --business acme --status SENT"},
    {"linx", "show", cmd_linx_show, RO | CLI_KEYS_IF, "REF", "business=",
     "--business B",
     "a LinX request, its customer's identity details masked, and its "
     "status history",
     "payspool linx show rent-0042 --business acme --json"},
    {"linx", "extend", cmd_linx_extend, ENG, "REF", "business= until=",
     "--business B --until DATE", "move an active request's expiry later",
     "payspool linx extend rent-0042 --business acme --until 2027-01-31"},
    {"linx", "resend", cmd_linx_resend, CLI_KEYS, "REF", "business=",
     "--business B", "send an active request again with a new link (the "
     "old one stops working)",
     "payspool linx resend rent-0042 --business acme"},
    {"linx", "answers", cmd_linx_answers, CLI_KEYS | CLI_LOCK, "FILE",
     "business=", "--business B",
     "apply a gateway answer file (JSON Lines): each request's activities "
     "in order, all or nothing; one result per line",
     "payspool linx answers gateway-answers.jsonl --business acme"},
    {"linx", "cancel", cmd_linx_cancel, ENG, "REF", "business= reason=",
     "--business B [--reason TEXT]", "cancel an active LinX request",
     "payspool linx cancel rent-0042 --business acme --reason 'sent twice'"},

    {"program", "add", cmd_program_add, ENG, "",
     "business= name= currency= advance-rate= min= max= period-cap= "
     "max-outstanding= fee-card= fee-ach= debit-fallback "
     "max-debit-attempts= bad-debt-after=",
     "--business B --name N --min A --max A --period-cap A "
     "--max-outstanding A [--currency USD] [--advance-rate 50%] "
     "[--fee-card A] [--fee-ach A] [--debit-fallback] "
     "[--max-debit-attempts N] [--bad-debt-after N]",
     "add an EWA program: share of earned wages, limits, fees, recovery",
     "payspool program add --business harbor-north --name 'Harbor EWA' "
     "--min 10.00 --max 300.00 --period-cap 500.00 --max-outstanding 800.00 "
     "--fee-card 2.99 --fee-ach 0"},
    {"program", "list", cmd_program_list, RO, "", "business=", "--business B",
     "the business's EWA programs",
     "payspool program list --business harbor-north"},

    {"customer", "add", cmd_customer_add, ENG, "EXT",
     "business= type= first-name= middle-name= last-name= dba-name= email= "
     "phone= address-type= address-line1= address-line2= city= region= "
     "postal-code= country=",
     "--business B --first-name F [--middle-name M] --last-name L "
     "--email E --phone +1... [--type BUSINESS --dba-name D] "
     "[--address-type T --address-line1 L [--address-line2 L] --city C "
     "--region R --postal-code P --country CC]",
     "add a customer (INDIVIDUAL, or BUSINESS with its primary contact)",
     "payspool customer add H-2001 --business harbor-north --first-name "
     "James --last-name Okafor --email james.okafor@example.com "
     "--phone +13125550188"},
    {"customer", "show", cmd_customer_show, RO | CLI_KEYS_IF, "EXT",
     "business=", "--business B",
     "the customer, contacts, addresses, identity details (masked), "
     "accounts and status history",
     "payspool customer show H-2001 --business harbor-north"},
    {"customer", "suspend", cmd_customer_status, ENG, "EXT",
     "business= reason=", "--business B --reason R",
     "suspend a customer (kept in its history)",
     "payspool customer suspend H-2001 --business harbor-north "
     "--reason 'HR hold'"},
    {"customer", "reactivate", cmd_customer_status, ENG, "EXT",
     "business= reason=", "--business B --reason R",
     "reactivate a suspended customer",
     "payspool customer reactivate H-2001 --business harbor-north "
     "--reason 'hold lifted'"},

    {"account", "add", cmd_account_add, CLI_KEYS, "EXT",
     "business= customer= card routing= account-type= name=",
     "--business B (--card | --routing RTN [--account-type CHECKING]) "
     "[--name N]",
     "add a card or bank account; the number is read from standard input",
     "echo 4000056655665556 | payspool account add H-2001 "
     "--business harbor-north --card"},
    {"account", "show", cmd_account_show, RO, "ID", "business=", "--business B",
     "the account, its status history, debit authorizations and NOCs",
     "payspool account show 0f9c...e1 --business harbor-north"},
    {"account", "suspend", cmd_account_status, ENG, "ID", "business= reason=",
     "--business B --reason R", "block that account's transactions",
     "payspool account suspend 0f9c...e1 --business harbor-north "
     "--reason 'card lost'"},
    {"account", "reactivate", cmd_account_status, ENG, "ID",
     "business= reason=", "--business B --reason R",
     "unblock that account's transactions",
     "payspool account reactivate 0f9c...e1 --business harbor-north "
     "--reason 'card found'"},
    {"account", "authorize", cmd_account_authorize, ENG, "ID",
     "business= kind= reference=",
     "--business B --kind WEB|PPD|CCD --reference REF",
     "record a debit authorization (needed before any DEBIT)",
     "payspool account authorize 0f9c...e1 --business harbor-north "
     "--kind PPD --reference 'signed form 2026-11-02'"},

    {"ewa", "enroll", cmd_ewa_enroll, ENG, "EXT",
     "business= program= customer= account= begin= end= reason=",
     "--business B --program P [--customer EXT] [--account ID] [--begin D] "
     "[--end D] [--reason R]",
     "create the EWA profile (status NEW); the account defaults to a card",
     "payspool ewa enroll H-2001 --business harbor-north "
     "--program 'Harbor EWA'"},
    {"ewa", "show", cmd_ewa_show, RO, "EXT",
     "business= page= size=", "--business B [--page N] [--size M]",
     "the EWA profile and a page of its disbursements, as JSON",
     "payspool ewa show H-2001 --business harbor-north --page 0 --size 20"},
    {"ewa", "export", cmd_ewa_export, ENG, "",
     "business= page-size=", "--business B [--page-size N]",
     "write every profile of the business as JSON Lines",
     "payspool ewa export --business harbor-north --page-size 100"},
    {"ewa", "eligibility", cmd_ewa_eligibility, ENG, "EXT",
     "business= status= reason=", "--business B --status S --reason R",
     "change a profile's eligibility",
     "payspool ewa eligibility H-2001 --business harbor-north "
     "--status ELIGIBLE --reason 'passed checks'"},
    {"ewa", "enrollment", cmd_ewa_enrollment, ENG, "EXT",
     "business= status= begin= end=",
     "--business B --status ACTIVE|INACTIVE [--begin D] [--end D]",
     "change a profile's enrollment and its window",
     "payspool ewa enrollment H-2001 --business harbor-north "
     "--status INACTIVE"},

    {"tx", "create", cmd_tx_create, ENG, "",
     "business= customer= account= type= amount= currency= request-id= "
     "reason=",
     "--business B --customer EXT --account ID --amount A "
     "[--type SEND|DEBIT] [--currency C] [--request-id R] [--reason R]",
     "create a transaction (the rail follows the account)",
     "payspool tx create --business harbor-north --customer H-2001 "
     "--account 0f9c...e1 --amount 40.00 --request-id pay-1"},
    {"tx", "event", cmd_tx_event, ENG, "ID EVENT",
     "reason= max-attempts=", "[--reason R] [--max-attempts N]",
     "apply SUBMIT TRANSMIT APPROVE SETTLE CLEAR CANCEL DECLINE RETURN "
     "REVERSE or PROVIDER_ERROR",
     "payspool tx event 7d1a...42 RETURN --reason 'R03 no account'"},
    {"tx", "show", cmd_tx_show, RO, "ID", "", "",
     "the transaction and its full status history",
     "payspool tx show 7d1a...42 --json"},

    {"ledger", "balance", cmd_ledger_balance, RO, "",
     "business=", "[--business B]",
     "the trial balance per currency and rows missing their parent; exit "
     "65 if either is wrong",
     "payspool ledger balance --business harbor-north"},
    {"ledger", "verify", cmd_ledger_verify, RO, "", "business= accounts",
     "[--business B] [--accounts]",
     "every ledger balance recomputed from the ledger's rows against the "
     "stored one, the trial balance per currency, the EWA receivable and "
     "amounts to recover against their rows; exit 1 if any differs "
     "(--accounts: list every account's debits and credits too)",
     "payspool ledger verify --business harbor-north --json"},

    {"run", NULL, cmd_run, SCHED | CLI_KEYS | CLI_LOCK | CLI_LOG_INFO, "",
     "once jobs-due config= chunk= jobs= calendar= jobs-only",
     "[--once [--jobs-due]] [--config FILE] [--chunk N] [--jobs DIR] "
     "[--calendar FILE] [--jobs-only]",
     "the engine: spool intake and the due jobs of <spool>/jobs/ (--once: "
     "one pass of intake only, for cron; --jobs-due: also the due jobs)",
     "payspool run --once --jobs-due --chunk 500"},

    {"job", "list", cmd_job_list, SCHED | CLI_READ_ONLY, "",
     "jobs= calendar= config=",
     "[--jobs DIR] [--calendar FILE] [--config FILE]",
     "the jobs: schedule, steps, catch-up and next run",
     "payspool job list --jobs ./jobs"},
    {"job", "status", cmd_job_status, RO, "[NAME]", "limit=", "[--limit N]",
     "the latest runs, newest first (of every job, or of NAME)",
     "payspool job status nightly --limit 5"},
    {"job", "run", cmd_job_run, SCHED | CLI_KEYS | CLI_LOCK, "NAME",
     "date= rerun reason= jobs= calendar= config=",
     "[--date D] [--rerun --reason TEXT] [--jobs DIR] [--calendar FILE] "
     "[--config FILE]",
     "run one job now, for a business date (default today)",
     "payspool job run nightly --date 2026-11-20"},

    {"status", NULL, cmd_status, SCHED | CLI_READ_ONLY, "",
     "jobs= calendar= config=",
     "[--jobs DIR] [--calendar FILE] [--config FILE]",
     "last and next runs, backlog, failures", "payspool status --json"},
    {"health", NULL, cmd_health, SCHED | CLI_READ_ONLY | CLI_SETUP_UNAVAILABLE,
     "", "jobs= calendar= config=",
     "[--jobs DIR] [--calendar FILE] [--config FILE]",
     "exit status: 0 healthy, 69 not (--json: the verdict and why)",
     "payspool health || alert"},

    {"payouts", "run", cmd_payouts_run, CLI_CONFIG | CLI_KEYS | CLI_LOCK, "",
     "business= date= config=",
     "[--business B] [--date YYYY-MM-DD] [--config FILE]",
     "write each business's push-to-card payout file for a business date",
     "payspool payouts run --business harbor-north --date 2026-11-20"},
    {"provider", "list", cmd_provider_list, CLI_CONFIG | RO, "",
     "config=", "[--config FILE]",
     "the providers, the businesses each answers for ([provider NAME] "
     "businesses = ..., and the sandbox on a sandbox spool) and their "
     "folders, providers/<p>/inbound/<b>/",
     "payspool provider list --json"},
    {"sandbox", "provider", cmd_sandbox_provider,
     CLI_CONFIG | CLI_CALENDAR | CLI_LOCK, "",
     "business= date= config= calendar=",
     "[--business B] [--date YYYY-MM-DD] [--config FILE] [--calendar FILE]",
     "the sandbox card processor and ODFI answer the payout and NACHA files "
     "(a sandbox spool only: [spool] sandbox = yes)",
     "payspool sandbox provider --business harbor-north --date 2026-11-20"},
    {"ach", "cutoff", cmd_ach_cutoff,
     CLI_CONFIG | CLI_CALENDAR | CLI_KEYS | CLI_LOCK, "",
     "business= date= config= calendar=",
     "[--business B] [--date YYYY-MM-DD] [--config FILE] [--calendar FILE]",
     "write each business's NACHA file of ACH credits and debits",
     "payspool ach cutoff --business acme --date 2026-11-20"},

    {"files", "list", cmd_files_list, RO, "",
     "business= limit=", "[--business B] [--limit N]",
     "documents received, newest first, with status and counts",
     "payspool files list --business harbor-north --limit 10"},
    {"files", "show", cmd_files_show, RO, "ID", "", "",
     "one document: status, counts, paths and every rejected record",
     "payspool files show 3b2e...9a --json"},
    {"files", "retry", cmd_files_retry, ENG, "ID", "reason=", "--reason TEXT",
     "take an input rejected whole back from failed/ into inbound/, once, "
     "after its cause was fixed (the next pass applies it)",
     "payspool files retry 3b2e...9a --reason 'layout added'"},

    {"archive", "show", cmd_archive_show, RO, "PATH|FILE-ID", "out=",
     "[--out FILE]",
     "an archived or sealed failed input, decrypted (tampered: refused)",
     "payspool archive show 3b2e...9a --out /tmp/roster.csv"},
    {"archive", "list", cmd_archive_list, 0, "", "", "",
     "the encrypted inputs kept in archive/ and failed/",
     "payspool archive list --json"},
    {"archive", "prune", cmd_archive_prune, CLI_CONFIG, "",
     "older-than= dry-run config=", "[--older-than DAYS] [--dry-run]",
     "remove archived inputs past the retention ([spool] "
     "archive_retention_days); failed/ is never touched",
     "payspool archive prune --older-than 2190 --dry-run"},

    {"check", NULL, cmd_check, CLI_CONFIG, "FILE...",
     "format= lenient= business= config= strict",
     "[--format F] [--lenient LIST | --business B] [--strict] [--config FILE]",
     "validate files without applying: every problem (--business B: also "
     "what the business's rules would refuse, record by record, in a "
     "transaction rolled back, holding the database's write lock while it "
     "runs); exit 0 valid, 65 not (warnings are valid unless --strict)",
     "payspool check payroll-2026-11-20.ach --json"},
    {"recon", NULL, cmd_recon, CLI_CALENDAR | ENG, "",
     "business= date= calendar=",
     "--business B [--date YYYY-MM-DD] [--calendar FILE]",
     "the daily reconciliation report of one business for one date",
     "payspool recon --business acme --date 2026-11-20"},

    {"codes", NULL, cmd_codes, 0, "", "", "",
     "every public error code: its scope (record, file, run) and meaning",
     "payspool codes --json"},

    {"calendar", "is-banking-day", cmd_calendar_day, CLI_CALENDAR, "DATE",
     "calendar=", "[--calendar FILE]",
     "is DATE a Federal Reserve banking day? (exit 0 yes, 1 no)",
     "payspool calendar is-banking-day 2026-11-26"},
    {"calendar", "next", cmd_calendar_day, CLI_CALENDAR, "DATE",
     "calendar= count=", "[--count N] [--calendar FILE]",
     "the next banking days after DATE",
     "payspool calendar next 2026-11-25 --count 3"},
    {"calendar", "holidays", cmd_calendar_holidays, 0, "YEAR", "", "",
     "the Federal Reserve holidays of YEAR", "payspool calendar holidays 2026"},
};

const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

/* Set when logs go to a file: errors are then logged as well as printed
 * (on stderr the JSON line would only repeat the human one). */
static int log_to_file;

int cli_fail(const struct ps_err *err)
{
    cli_error_print(err);
    if (log_to_file)
        ps_log_err(PS_LOG_ERROR, "cli.error", err, NULL);
    /* A required option left out is a usage error like a missing
     * argument (the parser's), not bad data. */
    if (err->id == PS_CODE_MISSING_OPTION)
        return EX_USAGE;
    return ps_err_exit_status(err->code);
}

/*
 * The terminal's progress line (base/progress.h): redrawn in place with
 * \r, cut to the terminal's width so it never wraps (a wrapped line
 * cannot be redrawn in place), cleared with \r and erase-to-end-of-line.
 * Installed only when stderr is a terminal that understands that.
 */
static void progress_display(const char *line)
{
    char buf[PS_PROGRESS_LINE + 16];
    struct winsize ws;
    int width = 80, n;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        width = ws.ws_col;
    if (line == NULL)
        n = snprintf(buf, sizeof(buf), "\r\033[K");
    else
        n = snprintf(buf, sizeof(buf), "\r%.*s\033[K", width - 1, line);
    if (n > 0) {
        fwrite(buf, 1, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
               stderr);
        fflush(stderr);
    }
}

/* Progress on stderr when it is a terminal: never under cron, systemd or
 * a pipe, where every byte of stderr is mail or journal. */
static void progress_setup(void)
{
    const char *term = getenv("TERM");
    if (isatty(STDERR_FILENO) &&
        (term == NULL || strcmp(term, "dumb") != 0))
        ps_progress_set_display(progress_display);
}

/* ---- set-up: what the row needs ------------------------------------- */

/*
 * The default paths when no --spool or PAYSPOOL_SPOOL names a spool.  The
 * build tree's binary (make demo, the tests) uses the source tree's
 * spool/ with its database inside and spool.key, spool.conf beside it; the
 * installed binary (CMake's payspool_fhs, PS_INSTALLED_DEFAULTS) uses the
 * FHS places of docs/man/payspool.conf.5.  A named spool keeps the
 * spool-relative defaults either way.
 */
#ifdef PS_INSTALLED_DEFAULTS
#define DEFAULT_SPOOL "/var/spool/payspool"
#define DEFAULT_DB "/var/lib/payspool/payspool.db"
#define DEFAULT_KEY "/etc/payspool/payspool.key"
#define DEFAULT_CONFIG "/etc/payspool/payspool.conf"
#define DEFAULT_CALENDAR "/etc/payspool/payspool.calendar"
#else
#define DEFAULT_SPOOL PS_SOURCE_DIR "/spool"
#define DEFAULT_DB NULL
#define DEFAULT_KEY NULL
#define DEFAULT_CONFIG NULL
#define DEFAULT_CALENDAR NULL
#endif

/* Set by resolve_paths(): no spool was named (the FHS places apply). */
static int default_spool;

/* path: given (option or environment), else the default when there is
 * one and the spool is the default, else spool + suffix. */
static void resolve_one(char *out, const char *given, const char *def,
                        const char *spool, const char *suffix)
{
    if (given != NULL && given[0] != '\0')
        ps_pathf(out, CLI_PATH, "%s", given);
    else if (def != NULL && default_spool)
        ps_pathf(out, CLI_PATH, "%s", def);
    else
        ps_pathf(out, CLI_PATH, "%s%s", spool, suffix);
}

static void resolve_paths(struct cli_ctx *c)
{
    const char *spool = cli_opt(c, "spool");
    const char *db = cli_opt(c, "db");
    const char *key = cli_opt(c, "key");
    const char *conf = cli_opt(c, "config");
    if (spool == NULL)
        spool = getenv("PAYSPOOL_SPOOL");
    default_spool = spool == NULL || spool[0] == '\0';
    if (default_spool)
        spool = DEFAULT_SPOOL;
    ps_pathf(c->spool, sizeof(c->spool), "%s", spool);
    resolve_one(c->db, db != NULL ? db : getenv("PAYSPOOL_DB"), DEFAULT_DB,
                c->spool, "/payspool.db");
    resolve_one(c->key, key != NULL ? key : getenv("PAYSPOOL_KEY"),
                DEFAULT_KEY, c->spool, ".key");
    resolve_one(c->config, conf != NULL ? conf : getenv("PAYSPOOL_CONFIG"),
                DEFAULT_CONFIG, c->spool, ".conf");
}

static int open_engine(struct cli_ctx *c, int with_keys, struct ps_err *err)
{
    struct stat st;
    if (stat(c->db, &st) != 0)
        return ps_err_set(err, PS_ENOTFOUND, "NOT_INITIALISED",
                          "no database at %s; run 'payspool init' first "
                          "(or pass --spool/--db)",
                          c->db);
    return ps_engine_open(c->db, with_keys ? c->key : NULL, &c->eng, err);
}

/* The banking calendar: --calendar FILE or PAYSPOOL_CALENDAR names an
 * override file that must exist; by default <spool>.calendar is read when
 * it is there. */
static int open_calendar(struct cli_ctx *c, struct ps_err *err)
{
    const char *path = cli_opt(c, "calendar");
    char def[CLI_PATH];
    if (path == NULL)
        path = getenv("PAYSPOOL_CALENDAR");
    if (path != NULL && path[0] != '\0')
        return ps_calendar_open(path, 1, &c->cal, err);
    resolve_one(def, NULL, DEFAULT_CALENDAR, c->spool, ".calendar");
    return ps_calendar_open(def, 0, &c->cal, err);
}

/*
 * The spool's jobs: --jobs DIR or PAYSPOOL_JOBS when given, and then the
 * folder must be there (JOBS_DIR_NOT_FOUND, exit 66); else <spool>/jobs/,
 * where a missing folder is no jobs.  Never the source tree's jobs/: a
 * spool runs only the jobs its operator put in its folder.
 */
static int load_jobs(struct cli_ctx *c, struct ps_err *err)
{
    const char *v = cli_opt(c, "jobs");
    char dir[CLI_PATH];
    if (v == NULL)
        v = getenv("PAYSPOOL_JOBS");
    if (v != NULL && v[0] != '\0')
        ps_pathf(dir, sizeof(dir), "%s", v);
    else
        ps_pathf(dir, sizeof(dir), "%s/jobs", c->spool);
    return ps_jobs_load(dir, v != NULL && v[0] != '\0', &c->jobs, err);
}

/*
 * The pid holding the flock on fd's file, from /proc/locks (Linux: "N:
 * FLOCK ADVISORY WRITE PID MAJ:MIN:INODE ..."); 0 when it cannot be told.
 */
static long lock_holder(int fd)
{
    struct stat st;
    char line[256];
    long pid = 0;
    FILE *f;
    if (fstat(fd, &st) != 0 || (f = fopen("/proc/locks", "re")) == NULL)
        return 0;
    while (pid == 0 && fgets(line, sizeof(line), f) != NULL) {
        long p;
        unsigned maj, min;
        unsigned long ino;
        if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &p, &maj, &min,
                   &ino) == 4 &&
            ino == (unsigned long)st.st_ino && maj == major(st.st_dev) &&
            min == minor(st.st_dev))
            pid = p;
    }
    fclose(f);
    return pid;
}

/*
 * "pid N, since TIME, command 'ARGV'" for the lock's holder, from
 * /proc/<pid>/cmdline and the process's start (/proc/<pid>/stat field 22,
 * clock ticks after boot, plus /proc/stat's btime); what cannot be read is
 * left out.  Linux only, like lock_holder().
 */
static void holder_desc(long pid, char *buf, size_t size)
{
    char path[64], cmd[256] = "", line[512];
    size_t len = 0, n;
    long long btime = 0;
    unsigned long long start = 0;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    if ((f = fopen(path, "re")) != NULL) {
        len = fread(cmd, 1, sizeof(cmd) - 1, f);
        fclose(f);
        for (n = 0; n + 1 < len; n++) /* arguments are NUL-separated */
            if (cmd[n] == '\0')
                cmd[n] = ' ';
        cmd[len] = '\0';
    }
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "re")) != NULL) {
        if (fgets(line, sizeof(line), f) != NULL) {
            /* The command name in parentheses may hold spaces: the
             * fields counted from the last ')' (state is field 3). */
            const char *p = strrchr(line, ')');
            if (p == NULL ||
                sscanf(p + 1,
                       " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
                       "%*u %*d %*d %*d %*d %*d %*d %llu",
                       &start) != 1)
                start = 0;
        }
        fclose(f);
    }
    if (start > 0 && (f = fopen("/proc/stat", "re")) != NULL) {
        while (fgets(line, sizeof(line), f) != NULL)
            if (sscanf(line, "btime %lld", &btime) == 1)
                break;
        fclose(f);
    }
    n = (size_t)snprintf(buf, size, "pid %ld", pid);
    if (btime > 0 && n < size) {
        long hz = sysconf(_SC_CLK_TCK);
        time_t t = (time_t)(btime + (long long)(start / (unsigned long long)
                                                    (hz > 0 ? hz : 100)));
        struct tm tm;
        char when[32];
        if (gmtime_r(&t, &tm) != NULL &&
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
            n += (size_t)snprintf(buf + n, size - n, ", since %s", when);
    }
    if (cmd[0] != '\0' && n < size)
        snprintf(buf + n, size - n, ", command '%s'", cmd);
}

/*
 * One engine per spool: an exclusive flock on <spool>/.payspool.lock (it
 * dies with the process, so a crash never leaves it held) plus the guard
 * row naming the holder.
 */
static int take_lock(struct cli_ctx *c, struct ps_err *err)
{
    char path[CLI_PATH], host[256] = "?", now[PS_TIME_SIZE];
    if (ps_pathf(path, sizeof(path), "%s/.payspool.lock", c->spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (c->lock_fd < 0)
        return ps_err_sys(err, errno, "cannot open %s", path);
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long holder = e == EWOULDBLOCK ? lock_holder(c->lock_fd) : 0;
        close(c->lock_fd);
        c->lock_fd = -1;
        if (e == EWOULDBLOCK && holder > 0) {
            char who[512];
            holder_desc(holder, who, sizeof(who));
            return ps_err_set(err, PS_EBUSY, "ENGINE_RUNNING",
                              "another payspool engine (%s) holds %s; "
                              "stop it or wait for it",
                              who, path);
        }
        if (e == EWOULDBLOCK)
            return ps_err_set(err, PS_EBUSY, "ENGINE_RUNNING",
                              "another payspool engine holds %s", path);
        return ps_err_sys(err, e, "cannot lock %s", path);
    }
    gethostname(host, sizeof(host) - 1);
    return ps_query_guard_take(c->eng, (long)getpid(), host, ps_time_now(now),
                               err);
}

/* Everything the row needs, in the order of cli_int.h; a failure leaves
 * what was done for teardown(). */
static int setup(struct cli_ctx *c, struct ps_err *err)
{
    unsigned n = c->cmd->needs;
    ps_spool_config_default(&c->cfg);
    if ((n & CLI_CONFIG) &&
        ps_spool_config_load(c->config, cli_opt(c, "config") == NULL, &c->cfg,
                             err) != 0)
        return err->code;
    ps_progress_set_log_interval((int64_t)c->cfg.progress_seconds * 1000);
    /* A bad layout file is a configuration error now, not every CSV input
     * refused later as an unrecognized format. */
    if ((n & CLI_JOBS) && ps_csv_layouts_ensure(err) != 0)
        return err->code;
    if ((n & CLI_CALENDAR) && open_calendar(c, err) != 0)
        return err->code;
    if ((n & CLI_JOBS) && load_jobs(c, err) != 0)
        return err->code;
    if (n & (CLI_ENGINE | CLI_KEYS | CLI_LOCK | CLI_JOBS)) {
        int keys = (n & (CLI_KEYS | CLI_KEYS_IF)) != 0;
        if (open_engine(c, keys, err) != 0 &&
            (!(n & CLI_KEYS_IF) || strcmp(err->rule, "NOT_INITIALISED") == 0 ||
             open_engine(c, 0, err) != 0))
            return err->code;
        /* The engine settings the spool configuration holds. */
        c->eng->max_attempts = c->cfg.provider_max_attempts;
        c->eng->payout_max_records = c->cfg.payout_max_records;
    }
    if ((n & CLI_LOCK) && take_lock(c, err) != 0)
        return err->code;
    if (n & CLI_JOBS) {
        c->env.eng = c->eng;
        c->env.spool = c->spool;
        c->env.cfg = &c->cfg;
        c->env.cal = c->cal;
        c->env.stop = &cli_stop_requested;
    }
    return 0;
}

static void teardown(struct cli_ctx *c)
{
    if (c->lock_fd >= 0) {
        if (c->eng != NULL)
            ps_query_guard_release(c->eng, (long)getpid(), NULL);
        close(c->lock_fd);
        c->lock_fd = -1;
    }
    ps_jobs_free(&c->jobs);
    ps_calendar_free(c->cal);
    c->cal = NULL;
    ps_engine_close(c->eng);
    c->eng = NULL;
}

/* ---- dispatch ------------------------------------------------------- */

int ps_cli_main(int argc, char **argv)
{
    struct cli_ctx c;
    struct ps_err err;
    int rc, level;
    const char *log_path, *lvl, *lvl_default = "warn";

    memset(&c, 0, sizeof(c));
    c.lock_fd = -1;
    ps_err_clear(&err);
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 ||
                      strcmp(argv[1], "version") == 0)) {
        if (argc >= 3 && strcmp(argv[2], "--json") == 0) {
            json_t *o = json_pack("{s:s, s:i}", "version", PS_VERSION,
                                  "schemaVersion", ps_query_schema_latest());
            cli_print_json(o);
            json_decref(o);
        } else
            printf("payspool %s (schema %d)\n", PS_VERSION,
                   ps_query_schema_latest());
        return EX_OK;
    }
    if ((rc = cli_parse(argc, argv, &c)) >= 0)
        return rc;
    c.json = cli_opt(&c, "json") != NULL;
    resolve_paths(&c);

    log_path = cli_opt(&c, "log");
    if (log_path == NULL)
        log_path = getenv("PAYSPOOL_LOG");
    lvl = cli_opt(&c, "log-level");
    log_to_file =
        log_path != NULL && log_path[0] != '\0' && strcmp(log_path, "-") != 0;
    /* The engine logs every file and rejection; other commands only
     * warnings, their output is the answer.  `run --once` logging to
     * stderr is cron's: warnings only (a rejected or failed file), since
     * cron mails every line of stderr. */
    if (lvl == NULL && (c.cmd->needs & CLI_LOG_INFO) &&
        !(cli_opt(&c, "once") != NULL && !log_to_file))
        lvl_default = "info";
    level = ps_log_level_parse(lvl != NULL ? lvl : lvl_default);
    if (level < 0)
        return cli_usage_error(&c, "unknown --log-level %s", lvl);
    if (ps_log_open(log_path, (enum ps_log_level)level, &err) != 0)
        return cli_fail(&err);
    progress_setup();

    if (setup(&c, &err) != 0)
        rc = (c.cmd->needs & CLI_SETUP_UNAVAILABLE)
                 ? cli_health_unavailable(&c, &err)
                 : cli_fail(&err);
    else
        rc = c.cmd->fn(&c, &err);
    teardown(&c);
    ps_progress_set_display(NULL); /* clears a line left drawn */
    ps_log_close();
    return rc;
}
