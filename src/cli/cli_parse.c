/*
 * cli_parse.c -- the one option parser of the command line, and usage:
 * argv to a row of the command table (cli.c) with its arguments and
 * options checked, -h/--help and `payspool help`, and the usage errors
 * that name the nearest valid word.  Every usage error exits 64
 * (EX_USAGE).
 *
 * Options may come anywhere on the line (`payspool --json check F`), as
 * --name VALUE or --name=VALUE; `--` ends them.  Which names take a value
 * is read from the table itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"

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
    for (size_t i = 0; i < cli_ncommands; i++) {
        if (strcmp(cli_commands[i].name, name) != 0)
            continue;
        print_usage_line(f, first ? "usage: " : "   or: ", &cli_commands[i]);
        first = 0;
    }
    fputc('\n', f);
    for (size_t i = 0; i < cli_ncommands; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            fprintf(f, "  %-16s %s\n", cli_commands[i].sub,
                    cli_commands[i].summary);
    fputs("\nExamples:\n", f);
    for (size_t i = 0; i < cli_ncommands; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            fprintf(f, "  %s\n", cli_commands[i].example);
    fprintf(f, "\nRun 'payspool %s SUBCOMMAND -h' for one of them.\n", name);
}

static void print_main_help(FILE *f)
{
    fputs("usage: payspool [--spool DIR] [--db PATH] [--key PATH] [--json] "
          "COMMAND [ARGS]\n\n",
          f);
    for (size_t i = 0; i < cli_ncommands; i++) {
        char cmd[48];
        snprintf(cmd, sizeof(cmd), "%s%s%s", cli_commands[i].name,
                 cli_commands[i].sub ? " " : "",
                 cli_commands[i].sub ? cli_commands[i].sub : "");
        fprintf(f, "  %-24s %s\n", cmd, cli_commands[i].summary);
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

/*
 * A usage error: "payspool: MESSAGE", the usage line and where to get
 * help; under --json the error object (rule USAGE) whose message ends
 * with the usage line.  Returns 64.
 */
int cli_usage_error(const struct cli_ctx *c, const char *fmt, ...)
{
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (cli_json_errors) {
        const struct cli_cmd *r = c != NULL ? c->cmd : NULL;
        if (r != NULL)
            cli_error(PS_EINVAL, "USAGE", "%s (usage: payspool %s%s%s%s%s%s%s)",
                      msg, r->name, r->sub ? " " : "", r->sub ? r->sub : "",
                      r->args[0] ? " " : "", r->args,
                      r->synopsis[0] ? " " : "", r->synopsis);
        else
            cli_error(PS_EINVAL, "USAGE", "%s (see payspool help)", msg);
        return EX_USAGE;
    }
    fprintf(stderr, "payspool: %s\n", msg);
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
    for (size_t i = 0; i < cli_ncommands && known != 1; i++) {
        int k = spec_find(cli_commands[i].opts, name);
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
    for (size_t i = 0; i < cli_ncommands; i++) {
        if (strcmp(cli_commands[i].name, name) == 0) {
            group = &cli_commands[i];
            break;
        }
        consider(&n, cli_commands[i].name, strlen(cli_commands[i].name));
    }
    if (group == NULL)
        return cli_usage_error(NULL, "unknown command '%s'%s", name,
                               suggest(&n, "", hint, sizeof(hint)));
    if (group->sub == NULL) {
        c->cmd = group;
        shift(c, 1);
    } else if (c->npos < 2) {
        if (help) {
            print_group_help(stdout, name);
            return EX_OK;
        }
        if (cli_json_errors)
            return cli_usage_error(NULL, "%s needs a subcommand", name);
        print_group_help(stderr, name);
        fprintf(stderr, "payspool: %s needs a subcommand\n", name);
        return EX_USAGE;
    } else {
        struct nearest s = {c->pos[1], "", 0};
        for (size_t i = 0; i < cli_ncommands && c->cmd == NULL; i++) {
            if (strcmp(cli_commands[i].name, name) != 0)
                continue;
            if (strcmp(cli_commands[i].sub, c->pos[1]) == 0)
                c->cmd = &cli_commands[i];
            consider(&s, cli_commands[i].sub, strlen(cli_commands[i].sub));
        }
        if (c->cmd == NULL) {
            if (cli_json_errors)
                return cli_usage_error(NULL, "unknown subcommand '%s %s'%s",
                                       name, c->pos[1],
                                       suggest(&s, "", hint, sizeof(hint)));
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

/* s with '|' escaped for a Markdown table cell. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

/*
 * `payspool help --markdown`: the command reference (docs/cli.md) from
 * the table itself -- an index, then each row's usage, summary, what it
 * needs and example.  tests/e2e/test_cli_doc.sh keeps docs/cli.md equal
 * to it.
 */
static void print_markdown(FILE *f)
{
    fputs("# payspool command reference\n\n"
          "Generated from the command table (`src/cli/cli.c`) by "
          "`payspool help --markdown`;\n"
          "do not edit by hand: `tests/e2e/test_cli_doc.sh` fails when "
          "they differ.\n"
          "`--json` output and the error object: [json.md](json.md).\n\n"
          "Every command also takes `--spool DIR`, `--db PATH`, "
          "`--key PATH`, `--json`,\n`--log FILE` (JSON Lines) and "
          "`--log-level debug|info|warn|error`, anywhere on\nthe line, as "
          "`--name VALUE` or `--name=VALUE`. Environment: "
          "`PAYSPOOL_SPOOL`,\n`PAYSPOOL_DB`, `PAYSPOOL_KEY`, "
          "`PAYSPOOL_LOG`, `PAYSPOOL_CONFIG`, `PAYSPOOL_JOBS`,\n"
          "`PAYSPOOL_CALENDAR`, `PAYSPOOL_NOW`. Exit status: 0 ok, 64 "
          "usage, 65 bad data,\n66 not found, 69/75 busy, 74 I/O error, "
          "78 configuration.\n\n"
          "| command | what it does |\n|---|---|\n",
          f);
    for (size_t i = 0; i < cli_ncommands; i++) {
        const struct cli_cmd *r = &cli_commands[i];
        fprintf(f, "| `%s%s%s` | ", r->name, r->sub ? " " : "",
                r->sub ? r->sub : "");
        md_cell(f, r->summary);
        fputs(" |\n", f);
    }
    for (size_t i = 0; i < cli_ncommands; i++) {
        const struct cli_cmd *r = &cli_commands[i];
        fprintf(f, "\n## %s%s%s\n\n```\n", r->name, r->sub ? " " : "",
                r->sub ? r->sub : "");
        print_usage_line(f, "", r);
        fprintf(f, "```\n\n%s.\n", r->summary);
        if (r->needs & CLI_READ_ONLY)
            fputs("It only reads: safe beside a running engine.\n", f);
        if (r->needs & CLI_LOCK)
            fputs("It takes the spool's engine lock: exit 75 while another "
                  "engine holds it.\n",
                  f);
        fprintf(f, "\nExample:\n\n```\n%s\n```\n", r->example);
    }
}

/* `payspool help [COMMAND [SUB]]`, `payspool help --markdown`. */
static int help_command(struct cli_ctx *c)
{
    int rc;
    if (c->npos == 1 && cli_opt(c, "markdown") != NULL) {
        print_markdown(stdout);
        return EX_OK;
    }
    if (c->npos == 1) {
        print_main_help(stdout);
        return EX_OK;
    }
    shift(c, 1);
    rc = find_command(c, 1);
    return rc < 0 ? EX_OK : rc;
}

/*
 * argv to c: the row in c->cmd, the arguments after COMMAND [SUB] in
 * c->pos, the options in c->name/val.  Returns -1 when the command is to
 * run, else the exit status: 0 after printing help, 64 after a usage
 * error (said on stderr).
 */
int cli_parse(int argc, char **argv, struct cli_ctx *c)
{
    int rc, help = 0;
    /* --json anywhere (before `--`): even an error found before the
     * options are parsed is then a JSON object. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0 ||
            strncmp(argv[i], "--json=", 7) == 0)
            cli_json_errors = 1;
    if (argc < 2) {
        print_main_help(stderr);
        return EX_USAGE;
    }
    if ((rc = tokenize(argc - 1, argv + 1, c, &help)) != 0)
        return rc;
    if (c->npos == 0) {
        if (help) {
            print_main_help(stdout);
            return EX_OK;
        }
        return cli_usage_error(NULL, "no command given");
    }
    if (strcmp(c->pos[0], "help") == 0)
        return help_command(c);
    if ((rc = find_command(c, help)) >= 0)
        return rc;
    if ((rc = check_opts(c)) != 0 || (rc = check_args(c)) != 0)
        return rc;
    return -1;
}
