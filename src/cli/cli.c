/*
 * cli.c -- `payspool COMMAND [SUB] [ARGS] [OPTIONS]`: the command table,
 * the one option parser, the set-up each command declares, and dispatch,
 * in the manner of git's git.c.  The work is done by the engine; the
 * handlers (cmd_<group>.c) only translate.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
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
static const struct cli_cmd commands[] = {
    {"init", NULL, cmd_init, 0, "", "", "",
     "create the spool tree, the database and the key file (safe to run "
     "again)",
     "payspool --spool /srv/payspool/spool init"},

    {"business", "add", cmd_business_add, ENG, "NAME",
     "display-name= parent=", "[--parent P] [--display-name T]",
     "add a business (NAME is its spool folder: a-z 0-9 - _) and its "
     "folders",
     "payspool business add harbor-north --parent harbor-foods "
     "--display-name 'Harbor Foods North'"},
    {"business", "list", cmd_business_list, RO, "", "", "",
     "the businesses with their parents", "payspool business list --json"},

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
    {"customer", "show", cmd_customer_show, RO, "EXT",
     "business=", "--business B",
     "the customer, contacts, addresses, accounts and status history",
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

    {"run", NULL, cmd_run, SCHED | CLI_KEYS | CLI_LOCK | CLI_LOG_INFO, "",
     "once config= chunk= jobs= calendar= jobs-only",
     "[--once] [--config FILE] [--chunk N] [--jobs DIR] [--calendar FILE] "
     "[--jobs-only]",
     "the engine: spool intake and the due jobs (--once: one pass, for "
     "cron)",
     "payspool run --once --chunk 500"},

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
     "exit status only: 0 healthy, 69 not", "payspool health || alert"},

    {"payouts", "run", cmd_payouts_run, CLI_CONFIG | CLI_KEYS | CLI_LOCK, "",
     "business= date= config=",
     "[--business B] [--date YYYY-MM-DD] [--config FILE]",
     "write each business's push-to-card payout file for a business date",
     "payspool payouts run --business harbor-north --date 2026-11-20"},
    {"sandbox", "provider", cmd_sandbox_provider, CLI_CALENDAR | ENG, "",
     "business= date= calendar=",
     "[--business B] [--date YYYY-MM-DD] [--calendar FILE]",
     "the sandbox card processor and ODFI answer the payout and NACHA files",
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

    {"check", NULL, cmd_check, CLI_CONFIG, "FILE...",
     "format= lenient= business= config=",
     "[--format F] [--lenient LIST | --business B] [--config FILE]",
     "validate files without applying: every problem; exit 0 valid, 65 not",
     "payspool check payroll-2026-11-20.ach --json"},
    {"recon", NULL, cmd_recon, CLI_CALENDAR | ENG, "",
     "business= date= calendar=",
     "--business B [--date YYYY-MM-DD] [--calendar FILE]",
     "the daily reconciliation report of one business for one date",
     "payspool recon --business acme --date 2026-11-20"},

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

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The options every command takes. */
static const char global_opts[] = "spool= db= key= json log= log-level= help";

/* ---- usage and help ------------------------------------------------- */

static void print_usage_line(FILE *f, const char *lead, const struct cli_cmd *r)
{
    fprintf(f, "%spayspool %s%s%s%s%s%s%s\n", lead, r->name, r->sub ? " " : "",
            r->sub ? r->sub : "", r->args[0] ? " " : "", r->args,
            r->synopsis[0] ? " " : "", r->synopsis);
}

static void print_globals(FILE *f)
{
    fputs("\nEvery command also takes --spool DIR, --db PATH, --key PATH, "
          "--json,\n--log FILE and --log-level LEVEL (see 'payspool "
          "help').\n",
          f);
}

/* `payspool COMMAND [SUB] -h`: the row's usage, summary and example. */
static void print_cmd_help(const struct cli_cmd *r)
{
    print_usage_line(stdout, "usage: ", r);
    printf("\n  %s\n", r->summary);
    if (r->needs & CLI_READ_ONLY)
        printf("  It only reads: safe beside a running engine.\n");
    if (r->needs & CLI_LOCK)
        printf("  It takes the spool's engine lock: exit 75 while another "
               "engine holds it.\n");
    printf("\nExample:\n  %s\n", r->example);
    print_globals(stdout);
}

/* `payspool GROUP -h` (and GROUP with no subcommand): every row of the
 * group. */
static void print_group_help(FILE *f, const char *name)
{
    int first = 1;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        print_usage_line(f, first ? "usage: " : "   or: ", &commands[i]);
        first = 0;
    }
    fputc('\n', f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            fprintf(f, "  %-16s %s\n", commands[i].sub, commands[i].summary);
    fputs("\nExamples:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            fprintf(f, "  %s\n", commands[i].example);
    fprintf(f, "\nRun 'payspool %s SUBCOMMAND -h' for one of them.\n", name);
}

static void print_main_help(FILE *f)
{
    fputs("usage: payspool [--spool DIR] [--db PATH] [--key PATH] [--json] "
          "COMMAND [ARGS]\n\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char cmd[48];
        snprintf(cmd, sizeof(cmd), "%s%s%s", commands[i].name,
                 commands[i].sub ? " " : "",
                 commands[i].sub ? commands[i].sub : "");
        fprintf(f, "  %-24s %s\n", cmd, commands[i].summary);
    }
    fputs("\nRun 'payspool COMMAND [SUBCOMMAND] -h' for its usage and an "
          "example.\n"
          "Example: payspool business add harbor-north --display-name "
          "'Harbor North'\n\n"
          "Options: --spool DIR, --db PATH, --key PATH, --json, --log FILE "
          "(JSON Lines),\n--log-level debug|info|warn|error.\n"
          "Environment: PAYSPOOL_SPOOL, PAYSPOOL_DB, PAYSPOOL_KEY, "
          "PAYSPOOL_LOG,\n"
          "PAYSPOOL_CONFIG, PAYSPOOL_JOBS, PAYSPOOL_CALENDAR, PAYSPOOL_NOW.\n"
          "Exit status: 0 ok, 64 usage, 65 bad data, 66 not found, 69/75 "
          "busy,\n74 I/O error, 78 configuration.\n",
          f);
}

int cli_usage_error(const struct cli_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "payspool: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (c != NULL && c->cmd != NULL) {
        const struct cli_cmd *r = c->cmd;
        print_usage_line(stderr, "usage: ", r);
        fprintf(stderr, "Try 'payspool %s%s%s -h'.\n", r->name,
                r->sub ? " " : "", r->sub ? r->sub : "");
    } else {
        fprintf(stderr, "Try 'payspool help'.\n");
    }
    return EX_USAGE;
}

/* Set when logs go to a file: errors are then logged as well as printed
 * (on stderr the JSON line would only repeat the human one). */
static int log_to_file;

int cli_fail(const struct ps_err *err)
{
    char buf[1024];
    fprintf(stderr, "payspool: %s\n", ps_err_str(err, buf, sizeof(buf)));
    if (log_to_file)
        ps_log_err(PS_LOG_ERROR, "cli.error", err, NULL);
    return ps_err_exit_status(err->code);
}

/* ---- the nearest valid word ----------------------------------------- */

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions: "flies" is 1 from "files"); words past 63 bytes are
 * far from everything. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[64][64];
    if (la > 63 || lb > 63)
        return 1000;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

struct nearest {
    const char *given;
    char best[64];
    size_t score;
};

/* Consider candidate word w (len bytes); a word the given one begins
 * ("cal" of "calendar") counts as near. */
static void consider(struct nearest *n, const char *w, size_t len)
{
    char word[64];
    size_t score;
    if (len == 0 || len >= sizeof(word))
        return;
    memcpy(word, w, len);
    word[len] = '\0';
    score = 2 * distance(n->given, word);
    if (strlen(n->given) >= 2 && strncmp(word, n->given, strlen(n->given)) == 0)
        score = 1;
    if (n->best[0] == '\0' || score < n->score) {
        memcpy(n->best, word, len + 1);
        n->score = score;
    }
}

/* Every option name of a spec ("a= b c="). */
static void consider_spec(struct nearest *n, const char *spec)
{
    for (const char *p = spec; *p != '\0';) {
        size_t len;
        while (*p == ' ')
            p++;
        len = strcspn(p, " ");
        consider(n, p, len > 0 && p[len - 1] == '=' ? len - 1 : len);
        p += len;
    }
}

/* "did you mean 'X'?" when X is close, else "the nearest is 'X'". */
static const char *suggest(const struct nearest *n, const char *dashes,
                           char *buf, size_t size)
{
    size_t len = strlen(n->given);
    if (n->best[0] == '\0')
        buf[0] = '\0';
    else if (n->score <= 2 * (len < 6 ? 2 : len / 3))
        snprintf(buf, size, "; did you mean '%s%s'?", dashes, n->best);
    else
        snprintf(buf, size, " (the nearest is '%s%s')", dashes, n->best);
    return buf;
}

/* ---- the option parser ---------------------------------------------- */

/* In spec ("a= b c="): 1 when name is there as a flag, 0 when it takes a
 * value, -1 when it is not there. */
static int spec_find(const char *spec, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = spec; *p != '\0';) {
        size_t len;
        int val;
        while (*p == ' ')
            p++;
        len = strcspn(p, " ");
        val = len > 0 && p[len - 1] == '=';
        if ((val ? len - 1 : len) == n && strncmp(p, name, n) == 0)
            return val ? 0 : 1;
        p += len;
    }
    return -1;
}

/* Whether --name takes no value.  Options come anywhere on the line,
 * before the command is known, so the whole table answers: a name is a
 * flag in every row that has it or in none.  A name no row knows is
 * taken as a flag too, so that it cannot swallow the next word and is
 * reported (with the nearest valid one) once the command is known. */
static int is_flag(const char *name)
{
    int known = spec_find(global_opts, name);
    for (size_t i = 0; i < NCOMMANDS && known != 1; i++) {
        int k = spec_find(commands[i].opts, name);
        if (k > known)
            known = k;
    }
    return known != 0;
}

/* Split argv into positionals and options (--name VALUE, --name=VALUE,
 * flags, -h); *help when -h or --help was given. */
static int tokenize(int argc, char **argv, struct cli_ctx *c, int *help)
{
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        char *s = argv[i];
        if (!only_pos && strcmp(s, "--") == 0) {
            only_pos = 1;
        } else if (!only_pos && strcmp(s, "-h") == 0) {
            *help = 1;
        } else if (!only_pos && s[0] == '-' && s[1] != '\0') {
            /* --name..., or -x: an unknown option, named below. */
            char *name = s[1] == '-' ? s + 2 : s;
            char *eq = s[1] == '-' ? strchr(name, '=') : NULL;
            if (c->nopt == CLI_MAX_OPTS)
                return cli_usage_error(NULL, "too many options");
            if (eq != NULL) {
                *eq = '\0';
                c->name[c->nopt] = name;
                c->val[c->nopt++] = eq + 1;
            } else if (name == s || is_flag(name)) {
                c->name[c->nopt] = name;
                c->val[c->nopt++] = "1";
            } else if (i + 1 < argc) {
                c->name[c->nopt] = name;
                c->val[c->nopt++] = argv[++i];
            } else {
                return cli_usage_error(NULL, "option --%s needs a value", name);
            }
            if (strcmp(name, "help") == 0)
                *help = 1;
        } else {
            if (c->npos == CLI_MAX_POS)
                return cli_usage_error(NULL, "too many arguments");
            c->pos[c->npos++] = s;
        }
    }
    return 0;
}

/* Drop the first n positionals (the command and subcommand). */
static void shift(struct cli_ctx *c, int n)
{
    memmove(&c->pos[0], &c->pos[n], sizeof(c->pos[0]) * (size_t)(c->npos - n));
    c->npos -= n;
}

/* Every option given must be the row's or global. */
static int check_opts(const struct cli_ctx *c)
{
    for (int i = 0; i < c->nopt; i++) {
        const char *name = c->name[i];
        struct nearest n = {name[0] == '-' ? name + 1 : name, "", 0};
        char hint[96];
        if (name[0] != '-' && (spec_find(global_opts, name) >= 0 ||
                               spec_find(c->cmd->opts, name) >= 0))
            continue;
        consider_spec(&n, c->cmd->opts);
        consider_spec(&n, global_opts);
        return cli_usage_error(c, "unknown option %s%s%s",
                               name[0] == '-' ? "" : "--", name,
                               suggest(&n, "--", hint, sizeof(hint)));
    }
    return 0;
}

/* The row's arguments ("ID EVENT", "[NAME]", "FILE..."): as many as it
 * says, the missing one named. */
static int check_args(const struct cli_ctx *c)
{
    const char *p = c->cmd->args;
    int k = 0, unbounded = 0;
    while (*p != '\0') {
        size_t len;
        while (*p == ' ')
            p++;
        len = strcspn(p, " ");
        if (len == 0)
            break;
        if (len > 3 && strncmp(p + len - 3, "...", 3) == 0)
            unbounded = 1;
        if (p[0] != '[' && k >= c->npos)
            return cli_usage_error(c, "missing %.*s", (int)len, p);
        k++;
        p += len;
    }
    if (!unbounded && c->npos > k)
        return cli_usage_error(c, "unexpected argument '%s'", c->pos[k]);
    return 0;
}

/*
 * Find the row of pos[0] (and pos[1] for a group), shifting them off.
 * Returns -1 with c->cmd set, or the exit status: 0 after help, 64 for a
 * usage error.
 */
static int find_command(struct cli_ctx *c, int help)
{
    const char *name = c->pos[0];
    const struct cli_cmd *group = NULL;
    struct nearest n = {name, "", 0};
    char hint[96];
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            group = &commands[i];
            break;
        }
        consider(&n, commands[i].name, strlen(commands[i].name));
    }
    if (group == NULL)
        return cli_usage_error(NULL, "unknown command '%s'%s", name,
                               suggest(&n, "", hint, sizeof(hint)));
    if (group->sub == NULL) {
        c->cmd = group;
        shift(c, 1);
    } else if (c->npos < 2) {
        print_group_help(help ? stdout : stderr, name);
        if (help)
            return EX_OK;
        fprintf(stderr, "payspool: %s needs a subcommand\n", name);
        return EX_USAGE;
    } else {
        struct nearest s = {c->pos[1], "", 0};
        for (size_t i = 0; i < NCOMMANDS && c->cmd == NULL; i++) {
            if (strcmp(commands[i].name, name) != 0)
                continue;
            if (strcmp(commands[i].sub, c->pos[1]) == 0)
                c->cmd = &commands[i];
            consider(&s, commands[i].sub, strlen(commands[i].sub));
        }
        if (c->cmd == NULL) {
            fprintf(stderr, "payspool: unknown subcommand '%s %s'%s\n", name,
                    c->pos[1], suggest(&s, "", hint, sizeof(hint)));
            fprintf(stderr, "Try 'payspool %s -h'.\n", name);
            return EX_USAGE;
        }
        shift(c, 2);
    }
    if (help) {
        print_cmd_help(c->cmd);
        return EX_OK;
    }
    return -1;
}

/* `payspool help [COMMAND [SUB]]`. */
static int help_command(struct cli_ctx *c)
{
    int rc;
    if (c->npos == 1) {
        print_main_help(stdout);
        return EX_OK;
    }
    shift(c, 1);
    rc = find_command(c, 1);
    return rc < 0 ? EX_OK : rc;
}

/* ---- set-up: what the row needs ------------------------------------- */

static void resolve_paths(struct cli_ctx *c)
{
    const char *spool = cli_opt(c, "spool");
    const char *db = cli_opt(c, "db");
    const char *key = cli_opt(c, "key");
    const char *conf = cli_opt(c, "config");
    if (spool == NULL)
        spool = getenv("PAYSPOOL_SPOOL");
    if (spool == NULL || spool[0] == '\0')
        spool = PS_SOURCE_DIR "/spool";
    ps_pathf(c->spool, sizeof(c->spool), "%s", spool);
    if (db == NULL)
        db = getenv("PAYSPOOL_DB");
    if (db != NULL && db[0] != '\0')
        ps_pathf(c->db, sizeof(c->db), "%s", db);
    else
        ps_pathf(c->db, sizeof(c->db), "%s/payspool.db", c->spool);
    if (key == NULL)
        key = getenv("PAYSPOOL_KEY");
    if (key != NULL && key[0] != '\0')
        ps_pathf(c->key, sizeof(c->key), "%s", key);
    else
        ps_pathf(c->key, sizeof(c->key), "%s.key", c->spool);
    if (conf == NULL)
        conf = getenv("PAYSPOOL_CONFIG");
    if (conf != NULL && conf[0] != '\0')
        ps_pathf(c->config, sizeof(c->config), "%s", conf);
    else
        ps_pathf(c->config, sizeof(c->config), "%s.conf", c->spool);
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
    ps_pathf(def, sizeof(def), "%s.calendar", c->spool);
    return ps_calendar_open(def, 0, &c->cal, err);
}

/* --jobs DIR, PAYSPOOL_JOBS, or the repository's jobs/. */
static int load_jobs(struct cli_ctx *c, struct ps_err *err)
{
    const char *v = cli_opt(c, "jobs");
    char dir[CLI_PATH];
    if (v == NULL)
        v = getenv("PAYSPOOL_JOBS");
    ps_pathf(dir, sizeof(dir), "%s",
             v != NULL && v[0] != '\0' ? v : PS_SOURCE_DIR "/jobs");
    return ps_jobs_load(dir, &c->jobs, err);
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
        close(c->lock_fd);
        c->lock_fd = -1;
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
    /* A bad layout file is a configuration error now, not every CSV input
     * refused later as an unrecognized format. */
    if ((n & CLI_JOBS) && ps_csv_layouts_ensure(err) != 0)
        return err->code;
    if ((n & CLI_CALENDAR) && open_calendar(c, err) != 0)
        return err->code;
    if ((n & CLI_JOBS) && load_jobs(c, err) != 0)
        return err->code;
    if (n & (CLI_ENGINE | CLI_KEYS | CLI_LOCK | CLI_JOBS)) {
        if (open_engine(c, (n & CLI_KEYS) != 0, err) != 0)
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
    int rc, level, help = 0;
    const char *log_path, *lvl;

    memset(&c, 0, sizeof(c));
    c.lock_fd = -1;
    ps_err_clear(&err);
    if (argc < 2) {
        print_main_help(stderr);
        return EX_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("payspool %s (schema %d)\n", PS_VERSION,
               ps_query_schema_latest());
        return EX_OK;
    }
    if ((rc = tokenize(argc - 1, argv + 1, &c, &help)) != 0)
        return rc;
    if (c.npos == 0) {
        if (help) {
            print_main_help(stdout);
            return EX_OK;
        }
        return cli_usage_error(NULL, "no command given");
    }
    if (strcmp(c.pos[0], "help") == 0)
        return help_command(&c);
    if ((rc = find_command(&c, help)) >= 0)
        return rc;
    if ((rc = check_opts(&c)) != 0 || (rc = check_args(&c)) != 0)
        return rc;
    c.json = cli_opt(&c, "json") != NULL;
    resolve_paths(&c);

    log_path = cli_opt(&c, "log");
    if (log_path == NULL)
        log_path = getenv("PAYSPOOL_LOG");
    lvl = cli_opt(&c, "log-level");
    /* The engine logs every file and rejection; other commands only
     * warnings, their output is the answer. */
    level = ps_log_level_parse(lvl != NULL                     ? lvl
                               : (c.cmd->needs & CLI_LOG_INFO) ? "info"
                                                               : "warn");
    if (level < 0)
        return cli_usage_error(&c, "unknown --log-level %s", lvl);
    log_to_file =
        log_path != NULL && log_path[0] != '\0' && strcmp(log_path, "-") != 0;
    if (ps_log_open(log_path, (enum ps_log_level)level, &err) != 0)
        return cli_fail(&err);

    if (setup(&c, &err) != 0)
        rc = (c.cmd->needs & CLI_SETUP_UNAVAILABLE) ? EX_UNAVAILABLE
                                                    : cli_fail(&err);
    else
        rc = c.cmd->fn(&c, &err);
    teardown(&c);
    ps_log_close();
    return rc;
}
