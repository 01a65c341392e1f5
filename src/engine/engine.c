/*
 * engine.c -- businesses, customers, financial accounts, programs and the
 * transaction entry points, with their domain validation.
 *
 * How it fails: validation errors are PS_EINVAL with a rule naming what
 * was broken and err->field naming the field; references to another
 * business's data are PS_ENOTFOUND (another business's ids do not exist
 * from here); store errors pass through.  Each write is one store
 * transaction.
 */
#include "engine/engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine/custmerge.h"
#include "engine/event.h"
#include "engine/ewa.h"
#include "engine/ledger.h"
#include "base/log.h"
#include "base/money.h"

int ps_engine_open(const char *db_path, const char *key_path,
                   struct ps_engine **out, struct ps_err *err)
{
    struct ps_engine *eng = calloc(1, sizeof(*eng));
    int rc;
    if (eng == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if ((rc = ps_crypto_init(err)) != 0)
        goto fail;
    if ((rc = ps_store_open(db_path, &eng->store, err)) != 0)
        goto fail;
    if (key_path != NULL && (rc = ps_keys_load(key_path, &eng->keys, err)) != 0)
        goto fail;
    *out = eng;
    return 0;
fail:
    ps_engine_close(eng);
    return rc;
}

void ps_engine_close(struct ps_engine *eng)
{
    if (eng == NULL)
        return;
    ps_keys_free(eng->keys);
    ps_store_close(eng->store);
    free(eng);
}

/* ---- validation helpers --------------------------------------------- */

static int invalid(struct ps_err *err, const char *field, const char *rule,
                   const char *msg)
{
    ps_err_set(err, PS_EINVAL, rule, "%s: %s", field, msg);
    ps_err_field(err, field);
    return PS_EINVAL;
}

static int check_text(const char *v, const char *field, long min, long max,
                      struct ps_err *err)
{
    long n = ps_utf8_chars(v, strlen(v));
    char msg[96];
    if (n < 0)
        return invalid(err, field, "TEXT_ENCODING",
                       "must be UTF-8 text without control characters");
    if (n < min || n > max) {
        snprintf(msg, sizeof(msg), "must be %ld to %ld characters, not %ld",
                 min, max, n);
        return invalid(err, field, "TEXT_LENGTH", msg);
    }
    return 0;
}

static int check_email(const char *v, const char *field, struct ps_err *err)
{
    const char *at = strchr(v, '@');
    if (strlen(v) > 254 || at == NULL || at == v || strchr(at + 1, '@') ||
        strchr(at + 1, '.') == NULL || at[1] == '.' ||
        v[strlen(v) - 1] == '.' || strpbrk(v, " \t,;<>()[]\\\"") != NULL)
        return invalid(err, field, "EMAIL_FORMAT",
                       "not an email address (local@domain.tld)");
    return check_text(v, field, 3, 254, err);
}

/* E.164: '+', a non-zero digit, then up to 14 digits. */
static int check_phone(const char *v, const char *field, struct ps_err *err)
{
    size_t n = strlen(v);
    int ok = n >= 3 && n <= 16 && v[0] == '+' && v[1] >= '1' && v[1] <= '9';
    for (size_t i = 2; ok && i < n; i++)
        ok = v[i] >= '0' && v[i] <= '9';
    if (!ok)
        return invalid(err, field, "PHONE_FORMAT",
                       "must be E.164, e.g. +14155550123");
    return 0;
}

static int check_external_id(const char *v, struct ps_err *err)
{
    size_t n = strlen(v);
    if (n == 0 || n > 64)
        return invalid(err, "externalId", "EXTERNAL_ID_FORMAT",
                       "must be 1 to 64 characters");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
            return invalid(err, "externalId", "EXTERNAL_ID_FORMAT",
                           "must be printable ASCII without spaces");
    return 0;
}

static int check_address(const struct ps_address *a, struct ps_err *err)
{
    int rc;
    if ((unsigned)a->type >= PS_ADDR_N)
        return invalid(err, "address.type", "ADDRESS_TYPE",
                       "unknown address type");
    if ((rc = check_text(a->line1, "address.line1", 1, 128, err)) != 0 ||
        (rc = check_text(a->line2, "address.line2", 0, 128, err)) != 0 ||
        (rc = check_text(a->city, "address.city", 1, 40, err)) != 0 ||
        (rc = check_text(a->region, "address.region", 0, 40, err)) != 0 ||
        (rc = check_text(a->postal_code, "address.postalCode", 0, 15, err)) !=
            0)
        return rc;
    if (strlen(a->country) != 2 || a->country[0] < 'A' || a->country[0] > 'Z' ||
        a->country[1] < 'A' || a->country[1] > 'Z')
        return invalid(err, "address.country", "COUNTRY_FORMAT",
                       "must be an ISO 3166 alpha-2 code, e.g. US");
    return 0;
}

int ps_customer_validate(const struct ps_customer *c,
                         const struct ps_contact *contacts, size_t ncontacts,
                         const struct ps_address *addresses, size_t naddresses,
                         struct ps_err *err)
{
    int rc;
    size_t primaries = 0;
    if ((rc = check_external_id(c->external_id, err)) != 0)
        return rc;
    if (c->type == PS_CUSTOMER_INDIVIDUAL) {
        if ((rc = check_text(c->first_name, "firstName", 1, 40, err)) != 0 ||
            (rc = check_text(c->middle_name, "middleName", 0, 40, err)) != 0 ||
            (rc = check_text(c->last_name, "lastName", 1, 40, err)) != 0 ||
            (rc = check_email(c->email, "email", err)) != 0 ||
            (rc = check_phone(c->phone, "phone", err)) != 0)
            return rc;
        if (ncontacts > 0)
            return invalid(err, "contacts", "CONTACTS_NOT_ALLOWED",
                           "only BUSINESS customers have contacts");
    } else if (c->type == PS_CUSTOMER_BUSINESS) {
        if ((rc = check_text(c->dba_name, "dbaName", 1, 128, err)) != 0)
            return rc;
        for (size_t i = 0; i < ncontacts; i++) {
            const struct ps_contact *k = &contacts[i];
            primaries += k->primary ? 1 : 0;
            if ((rc = check_text(k->first_name, "contact.firstName", 1, 40,
                                 err)) != 0 ||
                (rc = check_text(k->last_name, "contact.lastName", 1, 40,
                                 err)) != 0 ||
                (rc = check_email(k->email, "contact.email", err)) != 0 ||
                (rc = check_phone(k->phone, "contact.phone", err)) != 0)
                return rc;
        }
        if (primaries != 1)
            return invalid(err, "contacts", "PRIMARY_CONTACT",
                           "a BUSINESS customer needs exactly one primary "
                           "contact (name, email, phone)");
    } else {
        return invalid(err, "type", "CUSTOMER_TYPE",
                       "must be INDIVIDUAL or BUSINESS");
    }
    for (size_t i = 0; i < naddresses; i++)
        if ((rc = check_address(&addresses[i], err)) != 0)
            return rc;
    return 0;
}

/* ---- businesses ----------------------------------------------------- */

static int check_slug(const char *v, struct ps_err *err)
{
    size_t n = strlen(v);
    int ok = n >= 1 && n <= 64 &&
             ((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= '0' && v[0] <= '9'));
    for (size_t i = 1; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
             v[i] == '-' || v[i] == '_';
    if (!ok)
        return invalid(err, "name", "BUSINESS_NAME_FORMAT",
                       "must be 1 to 64 of a-z, 0-9, '-' and '_', starting "
                       "with a letter or digit (it names the spool folder)");
    return 0;
}

int ps_business_add(struct ps_engine *eng, const char *name,
                    const char *display_name, const char *parent,
                    struct ps_business *out, struct ps_err *err)
{
    struct ps_business b;
    int rc;
    memset(&b, 0, sizeof(b));
    if ((rc = check_slug(name, err)) != 0)
        return rc;
    if (display_name == NULL || display_name[0] == '\0')
        display_name = name;
    if ((rc = check_text(display_name, "displayName", 1, 128, err)) != 0)
        return rc;
    if (parent != NULL && parent[0] != '\0') {
        struct ps_business p;
        if ((rc = ps_store_business_get(eng->store, parent, &p, err)) != 0) {
            if (rc == PS_ENOTFOUND)
                ps_err_set(err, rc, "PARENT_NOT_FOUND",
                           "parent business %s does not exist", parent);
            return rc;
        }
        ps_strlcpy(b.parent_id, p.id, sizeof(b.parent_id));
    }
    ps_id_new(b.id);
    ps_strlcpy(b.name, name, sizeof(b.name));
    ps_strlcpy(b.display_name, display_name, sizeof(b.display_name));
    b.status = PS_STATUS_ACTIVE;
    ps_time_now(b.created_at);
    rc = ps_store_business_insert(eng->store, &b, err);
    if (rc == PS_ECONFLICT)
        return ps_err_set(err, rc, "BUSINESS_EXISTS",
                          "business %s already exists", name);
    if (rc != 0)
        return rc;
    ps_log(PS_LOG_INFO, "business.added", "{s:s, s:s, s:s}", "business", b.name,
           "id", b.id, "parent", b.parent_id);
    if (out != NULL)
        *out = b;
    return 0;
}

int ps_business_find(struct ps_engine *eng, const char *name_or_id,
                     struct ps_business *out, struct ps_err *err)
{
    int rc = ps_store_business_get(eng->store, name_or_id, out, err);
    if (rc == PS_ENOTFOUND)
        ps_err_set(err, rc, "BUSINESS_NOT_FOUND", "no business %s", name_or_id);
    return rc;
}

int ps_businesses_add(struct ps_businesses *l, const struct ps_business *b,
                      struct ps_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap != 0 ? l->cap * 2 : 16;
        struct ps_business *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *b;
    return 0;
}

struct collect {
    struct ps_businesses *l;
    struct ps_err *err;
    int rc;
};

static int collect_one(void *ctx, const struct ps_business *b)
{
    struct collect *c = ctx;
    c->rc = ps_businesses_add(c->l, b, c->err);
    return c->rc != 0; /* stop the scan on failure */
}

int ps_business_all(struct ps_engine *eng, struct ps_businesses *out,
                    struct ps_err *err)
{
    struct collect c = {out, err, 0};
    memset(out, 0, sizeof(*out));
    int rc = ps_store_business_list(eng->store, collect_one, &c, err);
    if (rc == 0)
        rc = c.rc;
    if (rc != 0)
        ps_businesses_free(out);
    return rc;
}

void ps_businesses_free(struct ps_businesses *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* ---- customers ------------------------------------------------------ */

static int customer_insert(struct ps_engine *eng, struct ps_customer *rowp,
                           const struct ps_business *bp,
                           const struct ps_contact *contacts, size_t ncontacts,
                           const struct ps_address *addresses,
                           size_t naddresses, struct ps_err *err);

int ps_customer_create(struct ps_engine *eng, struct ps_customer *c,
                       const struct ps_contact *contacts, size_t ncontacts,
                       const struct ps_address *addresses, size_t naddresses,
                       const struct ps_source *src, struct ps_err *err)
{
    struct ps_business b;
    struct ps_customer row = *c;
    struct ps_contact *kv = NULL;
    int rc;
    if (ncontacts > 0) {
        if ((kv = malloc(ncontacts * sizeof(*kv))) == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        memcpy(kv, contacts, ncontacts * sizeof(*kv));
        ps_contacts_resolve(kv, ncontacts);
        contacts = kv;
    }
    rc = ps_customer_validate(&row, contacts, ncontacts, addresses, naddresses,
                              err);
    if (rc == 0)
        rc = ps_business_find(eng, row.business_id, &b, err);
    if (rc == 0)
        rc = customer_insert(eng, &row, &b, contacts, ncontacts, addresses,
                             naddresses, err);
    free(kv);
    if (rc == 0)
        *c = row;
    (void)src;
    return rc;
}

/* The new row with its contacts and addresses, in one transaction. */
static int customer_insert(struct ps_engine *eng, struct ps_customer *rowp,
                           const struct ps_business *bp,
                           const struct ps_contact *contacts, size_t ncontacts,
                           const struct ps_address *addresses,
                           size_t naddresses, struct ps_err *err)
{
    struct ps_customer row = *rowp;
    struct ps_business b = *bp;
    int rc;
    ps_strlcpy(row.business_id, b.id, sizeof(row.business_id));
    ps_id_new(row.id);
    row.status = PS_STATUS_ACTIVE;
    ps_time_now(row.created_at);
    ps_strlcpy(row.updated_at, row.created_at, sizeof(row.updated_at));

    if ((rc = ps_store_begin(eng->store, err)) != 0)
        return rc;
    rc = ps_store_customer_insert(eng->store, &row, err);
    if (rc == PS_ECONFLICT) {
        ps_err_set(err, rc, "CUSTOMER_EXISTS",
                   "customer %s already exists in business %s", row.external_id,
                   b.name);
        ps_err_field(err, "externalId");
    }
    if (rc == 0)
        rc = ps_store_customer_set_contacts(eng->store, row.id, contacts,
                                            ncontacts, err);
    if (rc == 0)
        rc = ps_store_customer_set_addresses(eng->store, row.id, addresses,
                                             naddresses, err);
    if (rc == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0) {
        ps_store_rollback(eng->store);
        return rc;
    }
    *rowp = row;
    return 0;
}

/*
 * The contacts and addresses an update gives are merged into the stored
 * ones (custmerge.h): a second address of another type or a further
 * contact never replaces the first.  NULL: the stored ones unchanged.
 */
int ps_customer_update(struct ps_engine *eng, struct ps_customer *c,
                       const struct ps_contact *contacts, size_t ncontacts,
                       const struct ps_address *addresses, size_t naddresses,
                       struct ps_err *err)
{
    struct ps_customer old;
    struct ps_contact *kv = NULL;
    struct ps_address *av = NULL;
    size_t nk = 0, na = 0;
    int rc;
    if ((rc = ps_store_customer_get(eng->store, c->id, &old, err)) != 0)
        return rc;
    /* Identity fields never change. */
    ps_strlcpy(c->business_id, old.business_id, sizeof(c->business_id));
    ps_strlcpy(c->external_id, old.external_id, sizeof(c->external_id));
    c->type = old.type;
    c->status = old.status;
    ps_strlcpy(c->created_at, old.created_at, sizeof(c->created_at));
    /* Contacts kept as they are still count: a BUSINESS customer's DBA can
     * change without resending its primary contact. */
    rc = ps_contacts_merged(eng->store, c->id, contacts, ncontacts, &kv, &nk,
                            err);
    if (rc == 0 && addresses != NULL)
        rc = ps_addresses_merged(eng->store, c->id, addresses, naddresses, &av,
                                 &na, err);
    if (rc == 0)
        rc = ps_customer_validate(c, kv, nk, av, na, err);
    if (rc == 0) {
        ps_time_now(c->updated_at);
        rc = ps_store_begin(eng->store, err);
        if (rc == 0) {
            rc = ps_store_customer_update(eng->store, c, err);
            if (rc == 0 && contacts != NULL)
                rc = ps_store_customer_set_contacts(eng->store, c->id, kv, nk,
                                                    err);
            if (rc == 0 && addresses != NULL)
                rc = ps_store_customer_set_addresses(eng->store, c->id, av, na,
                                                     err);
            if (rc == 0)
                rc = ps_store_commit(eng->store, err);
            if (rc != 0)
                ps_store_rollback(eng->store);
        }
    }
    free(kv);
    free(av);
    return rc;
}

/*
 * Suspend or reactivate a customer (is_account 0) or a financial account
 * (1): refuse a no-op, then status, history and the status event
 * (event.h) in one transaction.
 */
static int change_status(struct ps_engine *eng, int is_account, const char *id,
                         const char *business_id, const char *customer_id,
                         const char *label, enum ps_status from,
                         enum ps_status to, const struct ps_source *src,
                         struct ps_err *err)
{
    struct ps_status_event ev = {
        business_id,
        is_account ? "ACCOUNT" : "CUSTOMER",
        id,
        customer_id,
        label,
        ps_enum_name(PS_NAMES_STATUS, (int)from),
        ps_enum_name(PS_NAMES_STATUS, (int)to),
        NULL,
        src != NULL ? src->reason : NULL,
        NULL,
    };
    char now[PS_TIME_SIZE];
    int rc;
    if (from == to)
        return ps_err_set(err, PS_ESTATE, "STATUS_UNCHANGED",
                          "%s %s is already %s",
                          is_account ? "account" : "customer", label,
                          ps_enum_name(PS_NAMES_STATUS, (int)to));
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        return rc;
    ps_time_now(now);
    rc = is_account ? ps_store_account_set_status(eng->store, id, from, to, src,
                                                  now, err)
                    : ps_store_customer_set_status(eng->store, id, from, to,
                                                   src, now, err);
    ev.at = now;
    if (rc == 0)
        rc = ps_status_event(eng->store, &ev, err);
    if (rc == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0) {
        ps_store_rollback(eng->store);
        return rc;
    }
    ps_log(PS_LOG_INFO, is_account ? "account.status" : "customer.status",
           "{s:s, s:s, s:s, s:s}", "id", id, "label", label, "status",
           ps_enum_name(PS_NAMES_STATUS, (int)to), "reason",
           src != NULL && src->reason != NULL ? src->reason : "");
    return 0;
}

int ps_customer_set_status(struct ps_engine *eng, const char *customer_id,
                           enum ps_status to, const struct ps_source *src,
                           struct ps_err *err)
{
    struct ps_customer c;
    int rc = ps_store_customer_get(eng->store, customer_id, &c, err);
    if (rc != 0)
        return rc;
    return change_status(eng, 0, c.id, c.business_id, c.id, c.external_id,
                         c.status, to, src, err);
}

/* ---- financial accounts --------------------------------------------- */

static int check_display_name(const char *v, struct ps_err *err)
{
    return check_text(v, "displayName", 1, 64, err);
}

/* The last four digits of an account or card number (which may hold
 * dashes) into last4 (5 bytes). */
static void last4_of(const char *number, char last4[5])
{
    char digits[65];
    size_t nd = 0, n = strlen(number);
    for (size_t i = 0; i < n && nd + 1 < sizeof(digits); i++)
        if (number[i] >= '0' && number[i] <= '9')
            digits[nd++] = number[i];
    digits[nd] = '\0';
    ps_strlcpy(last4, digits + (nd > 4 ? nd - 4 : 0), 5);
}

/* Token, sealed form (sealed: 64 + PS_SEALED_OVERHEAD bytes, *sealed_len
 * its length) and last4 of a number of at most 64 characters. */
static int seal_number(struct ps_engine *eng, const char *number,
                       unsigned char *sealed, size_t *sealed_len,
                       char token[PS_TOKEN_SIZE], char last4[5],
                       struct ps_err *err)
{
    size_t n = strlen(number);
    int rc;
    if (eng->keys == NULL)
        return ps_err_set(err, PS_ECRYPTO, "NO_KEY_FILE",
                          "adding an account needs the key file");
    if (n > 64)
        return ps_err_set(err, PS_EINVAL, "NUMBER_TOO_LONG",
                          "account number too long");
    if ((rc = ps_keys_token(eng->keys, number, token, err)) != 0 ||
        (rc = ps_keys_seal(eng->keys, number, n, sealed, err)) != 0)
        return rc;
    *sealed_len = n + PS_SEALED_OVERHEAD;
    last4_of(number, last4);
    return 0;
}

/* Seal `number`, fill token and the common fields, insert. */
static int add_account(struct ps_engine *eng, struct ps_account *a,
                       const char *number, struct ps_err *err)
{
    unsigned char sealed[64 + PS_SEALED_OVERHEAD];
    size_t sealed_len = 0;
    struct ps_customer c;
    int rc;
    if (eng->keys == NULL)
        return ps_err_set(err, PS_ECRYPTO, "NO_KEY_FILE",
                          "adding an account needs the key file");
    if (strlen(number) > 64)
        return ps_err_set(err, PS_EINVAL, "NUMBER_TOO_LONG",
                          "account number too long");
    if ((rc = ps_store_customer_get(eng->store, a->customer_id, &c, err)) != 0)
        return rc;
    if ((rc = seal_number(eng, number, sealed, &sealed_len, a->token, a->last4,
                          err)) != 0)
        return rc;
    ps_id_new(a->id);
    ps_strlcpy(a->business_id, c.business_id, sizeof(a->business_id));
    a->status = PS_STATUS_ACTIVE;
    ps_time_now(a->created_at);
    ps_strlcpy(a->updated_at, a->created_at, sizeof(a->updated_at));
    rc = ps_store_account_insert(eng->store, a, sealed, sealed_len, err);
    sodium_memzero(sealed, sizeof(sealed));
    if (rc == 0)
        ps_log(PS_LOG_INFO, "account.added", "{s:s, s:s, s:s, s:s}", "account",
               a->id, "customer", a->customer_id, "kind",
               ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a->kind), "last4",
               a->last4);
    return rc;
}

int ps_account_add_bank(struct ps_engine *eng, const char *customer_id,
                        const char *display_name, const char *routing,
                        const char *number, enum ps_bank_type type,
                        struct ps_account *out, struct ps_err *err)
{
    struct ps_account a;
    int rc;
    memset(&a, 0, sizeof(a));
    if ((rc = check_display_name(display_name, err)) != 0)
        return rc;
    if ((rc = ps_aba_check(routing, err)) != 0) {
        ps_err_field(err, "routingNumber");
        return rc;
    }
    if ((rc = ps_bank_account_check(number, err)) != 0) {
        ps_err_field(err, "accountNumber");
        return rc;
    }
    if (type != PS_BANK_CHECKING && type != PS_BANK_SAVINGS)
        return invalid(err, "accountType", "BANK_ACCOUNT_TYPE",
                       "must be CHECKING or SAVINGS");
    ps_strlcpy(a.customer_id, customer_id, sizeof(a.customer_id));
    ps_strlcpy(a.display_name, display_name, sizeof(a.display_name));
    ps_strlcpy(a.routing_number, routing, sizeof(a.routing_number));
    a.kind = PS_ACCOUNT_EXTERNAL_BANK;
    a.bank_type = type;
    if ((rc = add_account(eng, &a, number, err)) != 0)
        return rc;
    if (out != NULL)
        *out = a;
    return 0;
}

int ps_account_add_card(struct ps_engine *eng, const char *customer_id,
                        const char *display_name, const char *pan,
                        struct ps_account *out, struct ps_err *err)
{
    struct ps_account a;
    int rc;
    memset(&a, 0, sizeof(a));
    if ((rc = check_display_name(display_name, err)) != 0)
        return rc;
    if ((rc = ps_card_check(pan, err)) != 0) {
        ps_err_field(err, "cardNumber");
        return rc;
    }
    ps_strlcpy(a.customer_id, customer_id, sizeof(a.customer_id));
    ps_strlcpy(a.display_name, display_name, sizeof(a.display_name));
    memcpy(a.bin, pan, 6);
    a.bin[6] = '\0';
    a.kind = PS_ACCOUNT_EXTERNAL_CARD;
    a.bank_type = PS_BANK_NONE;
    if ((rc = add_account(eng, &a, pan, err)) != 0)
        return rc;
    if (out != NULL)
        *out = a;
    return 0;
}

int ps_account_set_status(struct ps_engine *eng, const char *account_id,
                          enum ps_status to, const struct ps_source *src,
                          struct ps_err *err)
{
    struct ps_account a;
    char label[PS_MASK_SIZE];
    int rc = ps_store_account_get(eng->store, account_id, &a, err);
    if (rc != 0)
        return rc;
    snprintf(label, sizeof(label), "****%s", a.last4);
    return change_status(eng, 1, a.id, a.business_id, a.customer_id, label,
                         a.status, to, src, err);
}

int ps_account_authorize_debit(struct ps_engine *eng, const char *account_id,
                               enum ps_debit_auth_kind kind,
                               const char *reference, struct ps_err *err)
{
    struct ps_account a;
    char id[PS_ID_SIZE], now[PS_TIME_SIZE];
    int rc;
    if ((rc = ps_store_account_get(eng->store, account_id, &a, err)) != 0)
        return rc;
    if (a.kind != PS_ACCOUNT_EXTERNAL_BANK)
        return ps_err_set(err, PS_EINVAL, "DEBIT_NEEDS_BANK_ACCOUNT",
                          "debit authorizations are for bank accounts");
    if (reference == NULL || reference[0] == '\0')
        return invalid(err, "reference", "AUTH_REFERENCE",
                       "a debit authorization needs a reference");
    return ps_store_debit_auth_insert(eng->store, ps_id_new(id), a.id, kind,
                                      reference, ps_time_now(now), err);
}

/* ---- notifications of change ---------------------------------------- */

enum noc_fix {
    FIX_NONE = 0,        /* recorded only: nothing of a bank account */
    FIX_ACCOUNT = 1 << 0, /* DFI account number */
    FIX_ROUTING = 1 << 1, /* RDFI routing number */
    FIX_TC = 1 << 2,      /* transaction code: checking or savings */
    FIX_NAME = 1 << 3,    /* recorded only: payspool keeps no NACHA name */
    FIX_ID = 1 << 4       /* recorded only: individual ID */
};

/* NOC change codes (domain brief section 1, after moov-io/ach). */
static const struct {
    const char *code;
    unsigned fix;
    int refused;
    const char *what;
} noc_codes[] = {
    {"C01", FIX_ACCOUNT, 0, "incorrect DFI account number"},
    {"C02", FIX_ROUTING, 0, "incorrect routing number"},
    {"C03", FIX_ROUTING | FIX_ACCOUNT, 0,
     "incorrect routing number and DFI account number"},
    {"C04", FIX_NAME, 0, "incorrect individual or company name"},
    {"C05", FIX_TC, 0, "incorrect transaction code"},
    {"C06", FIX_ACCOUNT | FIX_TC, 0,
     "incorrect DFI account number and transaction code"},
    {"C07", FIX_ROUTING | FIX_ACCOUNT | FIX_TC, 0,
     "incorrect routing number, DFI account number and transaction code"},
    {"C08", FIX_NONE, 0, "incorrect receiving DFI identification (IAT)"},
    {"C09", FIX_ID, 0, "incorrect individual identification number"},
    {"C13", FIX_NONE, 0, "addenda format error"},
    {"C14", FIX_NONE, 0, "incorrect SEC code for outbound international "
                         "payment"},
    {"C61", FIX_NONE, 1, "misrouted notification of change"},
    {"C62", FIX_NONE, 1, "incorrect trace number"},
    {"C63", FIX_NONE, 1, "incorrect company identification number"},
    {"C64", FIX_NONE, 1, "incorrect individual identification number"},
    {"C65", FIX_NONE, 1, "incorrectly formatted corrected data"},
    {"C66", FIX_NONE, 1, "incorrect discretionary data"},
    {"C67", FIX_NONE, 1, "routing number not from original entry detail"},
    {"C68", FIX_NONE, 1, "DFI account number not from original entry detail"},
    {"C69", FIX_NONE, 1, "incorrect transaction code"},
};

static int noc_find(const char *code)
{
    for (size_t i = 0; code != NULL && i < sizeof(noc_codes) /
                                              sizeof(noc_codes[0]);
         i++)
        if (strcmp(noc_codes[i].code, code) == 0)
            return (int)i;
    return -1;
}

/* NACHA fields are space-filled: v without trailing spaces into buf; -1
 * when it does not fit. */
static int noc_trim(const char *v, char *buf, size_t size)
{
    size_t n = v != NULL ? strlen(v) : 0;
    while (n > 0 && v[n - 1] == ' ')
        n--;
    if (n >= size)
        return -1;
    if (n > 0)
        memcpy(buf, v, n);
    buf[n] = '\0';
    return 0;
}

static int noc_data(struct ps_err *err, const char *field, const char *msg)
{
    return invalid(err, field, "NOC_DATA", msg);
}

/* The bank type a NACHA transaction code addresses (domain brief: 22-29
 * checking, 32-39 savings, live, prenote or zero-dollar). */
static enum ps_bank_type noc_bank_type(int tc)
{
    switch (tc) {
    case 22: case 23: case 24: case 27: case 28: case 29:
        return PS_BANK_CHECKING;
    case 32: case 33: case 34: case 37: case 38: case 39:
        return PS_BANK_SAVINGS;
    default:
        return PS_BANK_NONE;
    }
}

/* Append "; " (unless first) and the formatted text to buf. */
__attribute__((format(printf, 3, 4))) static void
append(char *buf, size_t size, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    if (n > 0 && n + 2 < size) {
        memcpy(buf + n, "; ", 3);
        n += 2;
    }
    if (n + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

/* Apply a notification of change (engine.h).  One long function (about
 * 170 lines): the corrected data is checked, sealed and described, then
 * written with its change row in one store transaction with one exit
 * path; splitting it would pass a dozen locals between the parts. */
int ps_account_apply_noc(struct ps_engine *eng, const char *account_id,
                         const struct ps_noc *noc, const struct ps_source *src,
                         struct ps_err *err)
{
    struct ps_account a, b;
    struct ps_account_change ch;
    unsigned char sealed[64 + PS_SEALED_OVERHEAD];
    size_t sealed_len = 0;
    char routing[16], number[32], m1[PS_MASK_SIZE], m2[PS_MASK_SIZE];
    enum ps_bank_type type = PS_BANK_NONE;
    int i = noc_find(noc->code), rc, refused, numbered = 0;
    unsigned fix;

    if (i < 0)
        return invalid(err, "code", "NOC_CODE",
                       "not a NACHA notification of change code (C01-C09, "
                       "C13, C14, C61-C69)");
    refused = noc_codes[i].refused;
    if (noc->refused && !refused)
        return invalid(err, "refused", "NOC_CODE",
                       "only C61-C69 are refused notifications of change");
    fix = refused ? FIX_NONE : noc_codes[i].fix;
    if ((rc = ps_store_account_get(eng->store, account_id, &a, err)) != 0)
        return rc;
    if (a.kind != PS_ACCOUNT_EXTERNAL_BANK)
        return invalid(err, "account_id", "NOC_ACCOUNT_KIND",
                       "a notification of change applies to a bank account, "
                       "not a card");
    if (noc->original_trace != NULL && noc->original_trace[0] != '\0') {
        size_t n = strlen(noc->original_trace);
        if (n != 15 || strspn(noc->original_trace, "0123456789") != n)
            return noc_data(err, "original_trace",
                            "the original trace number is 15 digits");
    }
    if (noc->txn_id != NULL && noc->txn_id[0] != '\0') {
        struct ps_txn t;
        rc = ps_store_txn_get(eng->store, noc->txn_id, &t, err);
        if (rc != 0 && rc != PS_ENOTFOUND)
            return rc;
        if (rc == PS_ENOTFOUND || strcmp(t.account_id, a.id) != 0)
            return noc_data(err, "txn_id",
                            "the original transaction is not one of this "
                            "account");
    }

    /* The corrected data the code carries, checked before anything is
     * written.  Inputs are never echoed (they may be account numbers). */
    b = a;
    if (fix & FIX_ROUTING) {
        if (noc_trim(noc->corrected_routing, routing, sizeof(routing)) != 0 ||
            ps_aba_check(routing, err) != 0)
            return noc_data(err, "corrected_routing",
                            "the corrected routing number is not 9 digits "
                            "with a valid ABA check digit");
        ps_strlcpy(b.routing_number, routing, sizeof(b.routing_number));
    }
    if (fix & FIX_ACCOUNT) {
        if (noc_trim(noc->corrected_account, number, sizeof(number)) != 0 ||
            ps_bank_account_check(number, err) != 0)
            return noc_data(err, "corrected_account",
                            "the corrected account number must be 4 to 17 "
                            "digits (dashes only between digits)");
        if ((rc = seal_number(eng, number, sealed, &sealed_len, b.token,
                              b.last4, err)) != 0)
            return rc;
        sodium_memzero(number, sizeof(number));
        numbered = strcmp(b.token, a.token) != 0;
    }
    if (fix & FIX_TC) {
        type = noc_bank_type(noc->corrected_transaction_code);
        if (type == PS_BANK_NONE) {
            sodium_memzero(sealed, sizeof(sealed));
            return noc_data(err, "corrected_transaction_code",
                            "the corrected transaction code is not a "
                            "checking (22-29) or savings (32-39) code");
        }
        b.bank_type = type;
    }
    if ((fix & FIX_NAME) &&
        (noc->corrected_name == NULL || noc->corrected_name[0] == '\0' ||
         strlen(noc->corrected_name) > 22))
        return noc_data(err, "corrected_name",
                        "C04 carries the corrected name, 1 to 22 characters");
    if ((fix & FIX_ID) &&
        (noc->corrected_id == NULL || noc->corrected_id[0] == '\0' ||
         strlen(noc->corrected_id) > 22))
        return noc_data(err, "corrected_id",
                        "C09 carries the corrected identification number, "
                        "1 to 22 characters");

    memset(&ch, 0, sizeof(ch));
    ps_id_new(ch.id);
    ps_strlcpy(ch.business_id, a.business_id, sizeof(ch.business_id));
    ps_strlcpy(ch.account_id, a.id, sizeof(ch.account_id));
    ps_strlcpy(ch.txn_id, noc->txn_id != NULL ? noc->txn_id : "",
               sizeof(ch.txn_id));
    ps_strlcpy(ch.change_code, noc_codes[i].code, sizeof(ch.change_code));
    ch.refused = refused;
    ps_strlcpy(ch.original_trace,
               noc->original_trace != NULL ? noc->original_trace : "",
               sizeof(ch.original_trace));
    ps_strlcpy(ch.source_file,
               src != NULL && src->file != NULL ? src->file : "",
               sizeof(ch.source_file));
    ch.source_line = src != NULL ? src->line : 0;
    ps_time_now(ch.created_at);

    /* What changed, with masked numbers only. */
    char *w = ch.what_changed;
    size_t wsz = sizeof(ch.what_changed);
    if (refused)
        append(w, wsz,
               "recorded only: refused notification of change %s (%s); "
               "nothing changed",
               noc_codes[i].code, noc_codes[i].what);
    else if (fix == FIX_NONE)
        append(w, wsz,
               "recorded only: %s (%s) does not apply to the bank account; "
               "nothing changed",
               noc_codes[i].code, noc_codes[i].what);
    if (fix & FIX_NAME)
        append(w, wsz, "recorded only: corrected name %s; the account is "
                       "unchanged",
               noc->corrected_name);
    if (fix & FIX_ID)
        append(w, wsz,
               "recorded only: corrected identification %s; the account is "
               "unchanged",
               ps_mask_last4(noc->corrected_id, m1));
    if (strcmp(b.routing_number, a.routing_number) != 0)
        append(w, wsz, "routing %s -> %s", a.routing_number, b.routing_number);
    if (numbered) {
        snprintf(m1, sizeof(m1), "****%s", a.last4);
        snprintf(m2, sizeof(m2), "****%s", b.last4);
        append(w, wsz, "account %s -> %s", m1, m2);
    }
    if (b.bank_type != a.bank_type)
        append(w, wsz, "type %s -> %s",
               ps_enum_name(PS_NAMES_BANK_TYPE, (int)a.bank_type),
               ps_enum_name(PS_NAMES_BANK_TYPE, (int)b.bank_type));
    int changed = numbered || b.bank_type != a.bank_type ||
                  strcmp(b.routing_number, a.routing_number) != 0;
    if (!changed && (fix & (FIX_ACCOUNT | FIX_ROUTING | FIX_TC)))
        append(w, wsz, "no change: the account already holds the corrected "
                       "data");

    if ((rc = ps_store_begin(eng->store, err)) != 0)
        goto out;
    if (changed) {
        ps_strlcpy(b.updated_at, ch.created_at, sizeof(b.updated_at));
        rc = ps_store_account_update_bank(eng->store, &b,
                                          numbered ? sealed : NULL,
                                          sealed_len, err);
    }
    if (rc == 0)
        rc = ps_store_account_change_insert(eng->store, &ch, err);
    if (rc == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0) {
        ps_store_rollback(eng->store);
        goto out;
    }
    ps_log(PS_LOG_INFO, "account.noc", "{s:s, s:s, s:s, s:b, s:s}", "account",
           a.id, "last4", b.last4, "code", ch.change_code, "applied", changed,
           "change", ch.what_changed);
out:
    sodium_memzero(sealed, sizeof(sealed));
    return rc;
}

/* ---- EWA programs --------------------------------------------------- */

int ps_program_add(struct ps_engine *eng, struct ps_program *p,
                   struct ps_err *err)
{
    struct ps_business b;
    const struct ps_currency *cur;
    int rc;
    if ((rc = check_text(p->name, "name", 1, 64, err)) != 0)
        return rc;
    if ((rc = ps_currency_lookup(p->currency, &cur, err)) != 0) {
        ps_err_field(err, "currency");
        return rc;
    }
    if (p->advance_rate_bp < 1 || p->advance_rate_bp > 10000)
        return invalid(err, "advanceRate", "PROGRAM_LIMIT",
                       "share of earned wages must be 0.01% to 100%");
    if (p->min_transfer <= 0 || p->max_transfer < p->min_transfer)
        return invalid(err, "maxTransfer", "PROGRAM_LIMIT",
                       "need 0 < min transfer <= max transfer");
    if (p->period_cap < p->min_transfer)
        return invalid(err, "periodCap", "PROGRAM_LIMIT",
                       "pay-period cap must be at least the min transfer");
    if (p->max_outstanding < p->min_transfer)
        return invalid(err, "maxOutstanding", "PROGRAM_LIMIT",
                       "maximum outstanding must be at least the min "
                       "transfer");
    if (p->fee_card < 0 || p->fee_ach < 0)
        return invalid(err, "fee", "PROGRAM_LIMIT",
                       "fees must not be "
                       "negative");
    if (p->fee_card > 0 && p->fee_ach > 0)
        return invalid(err, "fee", "NO_FREE_OPTION",
                       "at least one rail must be free (EWA rule: a no-cost "
                       "option)");
    if (p->bad_debt_after < 1)
        return invalid(err, "badDebtAfter", "PROGRAM_LIMIT",
                       "bad debt threshold must be at least 1");
    if (p->max_debit_attempts < 0 ||
        (p->debit_fallback && p->max_debit_attempts < 1))
        return invalid(err, "maxDebitAttempts", "PROGRAM_LIMIT",
                       "ACH debit fallback needs at least one attempt");
    if ((rc = ps_business_find(eng, p->business_id, &b, err)) != 0)
        return rc;
    ps_strlcpy(p->business_id, b.id, sizeof(p->business_id));
    ps_strlcpy(p->currency, cur->code, sizeof(p->currency));
    ps_id_new(p->id);
    p->status = PS_STATUS_ACTIVE;
    ps_time_now(p->created_at);
    rc = ps_store_program_insert(eng->store, p, err);
    if (rc == PS_ECONFLICT)
        return ps_err_set(err, rc, "PROGRAM_EXISTS",
                          "program %s already exists in business %s", p->name,
                          b.name);
    return rc;
}

/* ---- transactions --------------------------------------------------- */

/* The checks of a creation on what it reads of its customer and
 * account, before anything is written. */
static int party_check(struct ps_engine *eng, struct ps_txn *t,
                       const struct ps_txn_party *p, struct ps_err *err)
{
    const struct ps_currency *cur;
    int rc;
    if ((rc = ps_currency_lookup(t->currency, &cur, err)) != 0) {
        ps_err_field(err, "currency");
        return rc;
    }
    if (strcmp(p->business_id, t->business_id) != 0 ||
        strcmp(p->account_customer_id, t->customer_id) != 0)
        return ps_err_set(err, PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
                          "account %s does not belong to customer %s of "
                          "this business",
                          t->account_id, p->external_id);
    if (p->customer_status != PS_STATUS_ACTIVE)
        return ps_err_set(err, PS_EINVAL, "CUSTOMER_SUSPENDED",
                          "customer %s is SUSPENDED", p->external_id);
    if (p->account_status != PS_STATUS_ACTIVE)
        return ps_err_set(err, PS_EINVAL, "ACCOUNT_SUSPENDED",
                          "account ****%s is SUSPENDED", p->last4);
    t->rail = p->account_kind == PS_ACCOUNT_EXTERNAL_CARD ? PS_RAIL_PUSH_TO_CARD
                                                          : PS_RAIL_ACH;
    if (t->type == PS_TXN_DEBIT) {
        if (p->account_kind != PS_ACCOUNT_EXTERNAL_BANK)
            return ps_err_set(err, PS_EINVAL, "DEBIT_NEEDS_BANK_ACCOUNT",
                              "a DEBIT needs a bank account");
        rc = ps_store_debit_auth_active(eng->store, t->account_id, NULL, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return ps_err_set(err, PS_EINVAL, "NO_DEBIT_AUTHORIZATION",
                              "account ****%s has no active debit "
                              "authorization",
                              p->last4);
    }
    return 0;
}

/* The checks of a creation, with its customer and account read from the
 * store. */
static int txn_check(struct ps_engine *eng, struct ps_txn *t,
                     struct ps_err *err)
{
    struct ps_customer c;
    struct ps_account a;
    const struct ps_currency *cur;
    int rc;
    if ((rc = ps_currency_lookup(t->currency, &cur, err)) != 0) {
        ps_err_field(err, "currency");
        return rc;
    }
    if ((rc = ps_store_customer_get(eng->store, t->customer_id, &c, err)) != 0)
        return rc;
    if ((rc = ps_store_account_get(eng->store, t->account_id, &a, err)) != 0)
        return rc;
    /* The currency is checked before the lookups, as it always was;
     * party_check() looks it up again (a table, no store access). */
    struct ps_txn_party p = {c.business_id, c.external_id, c.status,
                             a.customer_id, a.status,  a.kind,
                             a.last4};
    return party_check(eng, t, &p, err);
}

int ps_engine_txn_create(struct ps_engine *eng, struct ps_txn *t,
                         const struct ps_source *src, struct ps_err *err)
{
    int rc = txn_check(eng, t, err);
    return rc != 0 ? rc : ps_txn_create(eng->store, t, src, err);
}

int ps_engine_txn_create_nested(struct ps_engine *eng, struct ps_txn *t,
                                const struct ps_source *src,
                                struct ps_err *err)
{
    int rc = txn_check(eng, t, err);
    return rc != 0 ? rc : ps_txn_create_nested(eng->store, t, src, err);
}

int ps_engine_txn_create_for(struct ps_engine *eng, struct ps_txn *t,
                             const struct ps_txn_party *p,
                             const struct ps_source *src, struct ps_err *err)
{
    int rc = party_check(eng, t, p, err);
    return rc != 0 ? rc : ps_txn_create_nested(eng->store, t, src, err);
}

int ps_engine_txn_prepare_for(struct ps_engine *eng, struct ps_txn *t,
                              const struct ps_txn_party *p,
                              char now[PS_TIME_SIZE], struct ps_err *err)
{
    if (ps_ledger_creation_posts(t) || t->type == PS_TXN_DEBIT)
        return ps_err_set(err, PS_EINTERNAL, "EINTERNAL",
                          "this creation cannot be prepared apart");
    int rc = party_check(eng, t, p, err);
    return rc != 0 ? rc : ps_txn_prepare(t, now, err);
}

int ps_engine_txn_changes(struct ps_engine *eng, struct ps_txn *t,
                          const enum ps_txn_event *ev, int n,
                          const struct ps_txn_args *args, struct ps_err *err)
{
    struct ps_txn_args a;
    struct ps_txn step[PS_TXN_CHANGES_MAX];
    enum ps_txn_status from = t->status;
    int rc;
    if (args != NULL)
        a = *args;
    else
        memset(&a, 0, sizeof(a));
    if (a.max_attempts <= 0)
        a.max_attempts = eng->max_attempts;
    if ((rc = ps_txn_changes(eng->store, t, ev, n, &a, step, err)) != 0)
        return rc;
    /* The EWA effects of each step, as if made one after the other. */
    for (int k = 0; k < n; k++) {
        if ((rc = ps_ewa_on_txn_status(eng->store, &step[k], from, &a, err)) !=
            0)
            return rc;
        ps_log(PS_LOG_DEBUG, "txn.status", "{s:s, s:s, s:s, s:s}", "txn",
               t->id, "event", ps_txn_event_name(ev[k]), "from",
               ps_enum_name(PS_NAMES_TXN_STATUS, (int)from), "to",
               ps_enum_name(PS_NAMES_TXN_STATUS, (int)step[k].status));
        from = step[k].status;
    }
    return 0;
}

int ps_engine_txn_change(struct ps_engine *eng, struct ps_txn *t,
                         enum ps_txn_event ev, const struct ps_txn_args *args,
                         struct ps_err *err)
{
    return ps_engine_txn_changes(eng, t, &ev, 1, args, err);
}

int ps_engine_txn_event(struct ps_engine *eng, const char *txn_id,
                        enum ps_txn_event ev, const struct ps_txn_args *args,
                        struct ps_txn *out, struct ps_err *err)
{
    struct ps_txn t;
    int rc;
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        return rc;
    if ((rc = ps_store_txn_get(eng->store, txn_id, &t, err)) != 0 ||
        (rc = ps_engine_txn_change(eng, &t, ev, args, err)) != 0 ||
        (rc = ps_store_commit(eng->store, err)) != 0) {
        ps_store_rollback(eng->store);
        return rc;
    }
    if (out != NULL)
        *out = t;
    return 0;
}

int ps_account_open_number(struct ps_engine *eng, const char *account_id,
                           char *out, size_t size, struct ps_err *err)
{
    unsigned char sealed[64 + PS_SEALED_OVERHEAD];
    size_t len = 0;
    int rc;
    if (eng->keys == NULL)
        return ps_err_set(err, PS_ECONFIG, "KEYS_REQUIRED",
                          "opening an account number needs the key file");
    rc = ps_store_account_sealed(eng->store, account_id, sealed,
                                 sizeof(sealed), &len, err);
    if (rc != 0)
        return rc;
    if (len <= PS_SEALED_OVERHEAD || len - PS_SEALED_OVERHEAD >= size)
        return ps_err_set(err, PS_ECRYPTO, "DECRYPT_FAILED",
                          "account %s: sealed number has a bad size",
                          account_id);
    if ((rc = ps_keys_open(eng->keys, sealed, len, out, err)) != 0)
        return rc;
    out[len - PS_SEALED_OVERHEAD] = '\0';
    return 0;
}
