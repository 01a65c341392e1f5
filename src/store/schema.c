/*
 * schema.c -- the database schema as versioned migrations, and running
 * them.  Migration i (0-based) brings a database from version i to
 * version i + 1, each in its own transaction, so a crash mid-way leaves
 * a consistent older version that the next open continues from.  Never
 * edit a shipped migration: add a new one.  Two migrations (v4 and v6,
 * v9) also rewrite stored CREATE TABLE text: ps_store_rewrite_in_lists()
 * and ps_store_strip_references(), under SQLite's documented
 * writable_schema procedure.
 *
 * How it fails: a database newer than this build gives PS_EVERSION
 * (SCHEMA_TOO_NEW) and is left untouched; a failed migration is rolled
 * back and its SQLite error returned (PS_ESTORE, PS_EBUSY...); out of
 * memory in a rewrite is PS_ENOMEM.
 */
#include "store/store.h"
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

/* ---- the migrations ------------------------------------------------- */

/* Version 1: the core domain.  Version 2: operations (files, checkpoints,
 * jobs, outputs, LinX, outboxes, payroll). */
static const char *const ps_schema_v1[] = {
    "CREATE TABLE businesses ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  display_name TEXT NOT NULL,"
    "  parent_id TEXT REFERENCES businesses(id),"
    "  status TEXT NOT NULL DEFAULT 'ACTIVE'"
    "    CHECK (status IN ('ACTIVE','SUSPENDED')),"
    "  webhook_url TEXT,"
    "  created_at TEXT NOT NULL,"
    "  CHECK (parent_id IS NULL OR parent_id <> id));",

    "CREATE TABLE customers ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  external_id TEXT NOT NULL CHECK (length(external_id) BETWEEN 1 AND 64),"
    "  type TEXT NOT NULL CHECK (type IN ('INDIVIDUAL','BUSINESS')),"
    "  first_name TEXT, middle_name TEXT, last_name TEXT,"
    "  dba_name TEXT, email TEXT, phone TEXT,"
    "  status TEXT NOT NULL DEFAULT 'ACTIVE'"
    "    CHECK (status IN ('ACTIVE','SUSPENDED')),"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  UNIQUE (business_id, external_id),"
    "  CHECK (type <> 'INDIVIDUAL' OR (first_name IS NOT NULL"
    "         AND last_name IS NOT NULL)),"
    "  CHECK (type <> 'BUSINESS' OR dba_name IS NOT NULL));",

    "CREATE TABLE customer_contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id TEXT NOT NULL REFERENCES customers(id),"
    "  is_primary INTEGER NOT NULL CHECK (is_primary IN (0,1)),"
    "  first_name TEXT NOT NULL, last_name TEXT NOT NULL,"
    "  email TEXT, phone TEXT);",
    "CREATE INDEX customer_contacts_customer ON "
    "customer_contacts(customer_id);",
    "CREATE UNIQUE INDEX customer_contacts_one_primary"
    "  ON customer_contacts(customer_id) WHERE is_primary = 1;",

    "CREATE TABLE customer_addresses ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id TEXT NOT NULL REFERENCES customers(id),"
    "  type TEXT NOT NULL CHECK (type IN ('SHIPPING','BILLING','MAILING',"
    "    'HOME','WORK','LEGAL')),"
    "  line1 TEXT NOT NULL, line2 TEXT, city TEXT NOT NULL, region TEXT,"
    "  postal_code TEXT, country TEXT NOT NULL CHECK (length(country) = 2));",
    "CREATE INDEX customer_addresses_customer ON "
    "customer_addresses(customer_id);",

    "CREATE TABLE customer_history ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id TEXT NOT NULL REFERENCES customers(id),"
    "  from_status TEXT CHECK (from_status IN ('ACTIVE','SUSPENDED')),"
    "  to_status TEXT NOT NULL CHECK (to_status IN ('ACTIVE','SUSPENDED')),"
    "  reason TEXT, source_file TEXT, source_line INTEGER,"
    "  created_at TEXT NOT NULL);",
    "CREATE INDEX customer_history_customer ON customer_history(customer_id);",

    "CREATE TABLE financial_accounts ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  customer_id TEXT NOT NULL REFERENCES customers(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('EXTERNAL_BANK','EXTERNAL_CARD')),"
    "  display_name TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'ACTIVE'"
    "    CHECK (status IN ('ACTIVE','SUSPENDED')),"
    "  routing_number TEXT CHECK (routing_number IS NULL"
    "    OR (length(routing_number) = 9 AND routing_number NOT GLOB "
    "'*[^0-9]*')),"
    "  bank_type TEXT NOT NULL DEFAULT 'NONE'"
    "    CHECK (bank_type IN ('NONE','CHECKING','SAVINGS')),"
    "  bin TEXT, last4 TEXT NOT NULL,"
    "  token TEXT NOT NULL,"
    "  sealed BLOB NOT NULL," /* nonce|mac|number, see crypto.h */
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  CHECK (kind <> 'EXTERNAL_BANK' OR (routing_number IS NOT NULL"
    "         AND bank_type <> 'NONE')),"
    "  CHECK (kind <> 'EXTERNAL_CARD' OR bin IS NOT NULL));",
    "CREATE INDEX financial_accounts_customer ON "
    "financial_accounts(customer_id);",
    "CREATE INDEX financial_accounts_token ON financial_accounts(business_id, "
    "token);",

    "CREATE TABLE account_history ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id TEXT NOT NULL REFERENCES financial_accounts(id),"
    "  from_status TEXT CHECK (from_status IN ('ACTIVE','SUSPENDED')),"
    "  to_status TEXT NOT NULL CHECK (to_status IN ('ACTIVE','SUSPENDED')),"
    "  reason TEXT, source_file TEXT, source_line INTEGER,"
    "  created_at TEXT NOT NULL);",
    "CREATE INDEX account_history_account ON account_history(account_id);",

    "CREATE TABLE debit_authorizations ("
    "  id TEXT PRIMARY KEY,"
    "  account_id TEXT NOT NULL REFERENCES financial_accounts(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('WEB','PPD','CCD')),"
    "  reference TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'ACTIVE'"
    "    CHECK (status IN ('ACTIVE','REVOKED')),"
    "  revoke_reason TEXT,"
    "  authorized_at TEXT NOT NULL, revoked_at TEXT);",
    "CREATE INDEX debit_authorizations_account ON "
    "debit_authorizations(account_id);",

    "CREATE TABLE ewa_programs ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  name TEXT NOT NULL,"
    "  currency TEXT NOT NULL CHECK (length(currency) = 3),"
    "  advance_rate_bp INTEGER NOT NULL CHECK (advance_rate_bp BETWEEN 0 AND "
    "10000),"
    "  min_transfer INTEGER NOT NULL CHECK (min_transfer > 0),"
    "  max_transfer INTEGER NOT NULL CHECK (max_transfer >= min_transfer),"
    "  period_cap INTEGER NOT NULL CHECK (period_cap > 0),"
    "  max_outstanding INTEGER NOT NULL CHECK (max_outstanding > 0),"
    "  fee_card INTEGER NOT NULL CHECK (fee_card >= 0),"
    "  fee_ach INTEGER NOT NULL CHECK (fee_ach >= 0),"
    "  debit_fallback INTEGER NOT NULL CHECK (debit_fallback IN (0,1)),"
    "  max_debit_attempts INTEGER NOT NULL CHECK (max_debit_attempts >= 0),"
    "  bad_debt_after INTEGER NOT NULL CHECK (bad_debt_after >= 1),"
    "  status TEXT NOT NULL DEFAULT 'ACTIVE'"
    "    CHECK (status IN ('ACTIVE','SUSPENDED')),"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (business_id, name));",

    "CREATE TABLE ewa_profiles ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  external_id TEXT NOT NULL CHECK (length(external_id) BETWEEN 1 AND 64),"
    "  customer_id TEXT NOT NULL REFERENCES customers(id),"
    "  account_id TEXT NOT NULL REFERENCES financial_accounts(id),"
    "  program_id TEXT NOT NULL REFERENCES ewa_programs(id),"
    "  enrollment_status TEXT NOT NULL CHECK (enrollment_status IN "
    "('ACTIVE','INACTIVE')),"
    "  enrollment_begin TEXT NOT NULL, enrollment_end TEXT,"
    "  eligibility_status TEXT NOT NULL CHECK (eligibility_status IN"
    "    ('NEW','ELIGIBLE','INELIGIBLE','ARREARS','BAD_DEBT','DISABLED')),"
    "  eligibility_id TEXT NOT NULL,"
    "  amount_to_recover INTEGER NOT NULL DEFAULT 0 CHECK (amount_to_recover "
    ">= 0),"
    "  earned_wages INTEGER NOT NULL DEFAULT 0 CHECK (earned_wages >= 0),"
    "  period_start TEXT,"
    "  period_disbursed INTEGER NOT NULL DEFAULT 0 CHECK (period_disbursed >= "
    "0),"
    "  failed_recoveries INTEGER NOT NULL DEFAULT 0 CHECK (failed_recoveries "
    ">= 0),"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  UNIQUE (business_id, external_id));",
    "CREATE INDEX ewa_profiles_customer ON ewa_profiles(customer_id);",

    "CREATE TABLE ewa_eligibility_history ("
    "  id TEXT PRIMARY KEY,"
    "  profile_id TEXT NOT NULL REFERENCES ewa_profiles(id),"
    "  from_status TEXT CHECK (from_status IN"
    "    ('NEW','ELIGIBLE','INELIGIBLE','ARREARS','BAD_DEBT','DISABLED')),"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('NEW','ELIGIBLE','INELIGIBLE','ARREARS','BAD_DEBT','DISABLED')),"
    "  reason TEXT NOT NULL, source_file TEXT, source_line INTEGER,"
    "  created_at TEXT NOT NULL);",
    "CREATE INDEX ewa_eligibility_history_profile"
    "  ON ewa_eligibility_history(profile_id, created_at);",

    "CREATE TABLE transactions ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  customer_id TEXT NOT NULL REFERENCES customers(id),"
    "  account_id TEXT NOT NULL REFERENCES financial_accounts(id),"
    "  profile_id TEXT REFERENCES ewa_profiles(id),"
    "  type TEXT NOT NULL CHECK (type IN ('SEND','DEBIT')),"
    "  rail TEXT NOT NULL CHECK (rail IN ('PUSH_TO_CARD','ACH')),"
    "  purpose TEXT NOT NULL CHECK (purpose IN"
    "    ('EWA_DISBURSEMENT','EWA_RECOVERY','PAYMENT')),"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),"
    "  currency TEXT NOT NULL CHECK (length(currency) = 3),"
    "  status TEXT NOT NULL CHECK (status IN ('NEW','PENDING','PROCESSING',"
    "    "
    "'APPROVED','SETTLED','CLEARED','CANCELLED','DECLINED','REVERSED','ERROR'))"
    ","
    "  request_id TEXT,"
    "  trace_number TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  CHECK (type <> 'DEBIT' OR rail = 'ACH'),"
    "  UNIQUE (business_id, request_id));",
    "CREATE INDEX transactions_profile ON transactions(profile_id, created_at)"
    "  WHERE profile_id IS NOT NULL;",
    "CREATE INDEX transactions_status ON transactions(business_id, status);",
    "CREATE UNIQUE INDEX transactions_trace ON transactions(business_id, "
    "trace_number)"
    "  WHERE trace_number IS NOT NULL;",

    "CREATE TABLE transaction_history ("
    "  id INTEGER PRIMARY KEY,"
    "  txn_id TEXT NOT NULL REFERENCES transactions(id),"
    "  from_status TEXT CHECK (from_status IN ('NEW','PENDING','PROCESSING',"
    "    "
    "'APPROVED','SETTLED','CLEARED','CANCELLED','DECLINED','REVERSED','ERROR'))"
    ","
    "  to_status TEXT NOT NULL CHECK (to_status IN "
    "('NEW','PENDING','PROCESSING',"
    "    "
    "'APPROVED','SETTLED','CLEARED','CANCELLED','DECLINED','REVERSED','ERROR'))"
    ","
    "  event TEXT NOT NULL,"
    "  reason TEXT, source_file TEXT, source_line INTEGER,"
    "  created_at TEXT NOT NULL);",
    "CREATE INDEX transaction_history_txn ON transaction_history(txn_id);",

    "CREATE TABLE ledger_accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('FUNDING','CUSTOMER',"
    "    'EWA_RECEIVABLE','FEE_INCOME')),"
    "  currency TEXT NOT NULL CHECK (length(currency) = 3),"
    "  customer_id TEXT REFERENCES customers(id),"
    "  CHECK ((kind = 'CUSTOMER') = (customer_id IS NOT NULL)));",
    "CREATE UNIQUE INDEX ledger_accounts_key ON ledger_accounts"
    "  (business_id, kind, currency, ifnull(customer_id, ''));",

    /* One row = one balanced movement between two ledger accounts of the
     * same currency (debit side, credit side), as in TigerBeetle. */
    "CREATE TABLE ledger_entries ("
    "  id INTEGER PRIMARY KEY,"
    "  txn_id TEXT REFERENCES transactions(id),"
    "  reference TEXT,"
    "  debit_account INTEGER NOT NULL REFERENCES ledger_accounts(id),"
    "  credit_account INTEGER NOT NULL REFERENCES ledger_accounts(id),"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  currency TEXT NOT NULL CHECK (length(currency) = 3),"
    "  memo TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  CHECK (debit_account <> credit_account),"
    "  CHECK (txn_id IS NOT NULL OR reference IS NOT NULL));",
    "CREATE INDEX ledger_entries_txn ON ledger_entries(txn_id) WHERE txn_id IS "
    "NOT NULL;",
    "CREATE INDEX ledger_entries_debit ON ledger_entries(debit_account);",
    "CREATE INDEX ledger_entries_credit ON ledger_entries(credit_account);",

    NULL};

static const char *const ps_schema_v2[] = {
    "CREATE TABLE files ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  name TEXT NOT NULL,"
    "  member TEXT," /* archive member path, or NULL */
    "  doc_index INTEGER NOT NULL DEFAULT 0 CHECK (doc_index >= 0),"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  size INTEGER NOT NULL CHECK (size >= 0),"
    "  format TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('RECEIVED','PROCESSING',"
    "    'APPLIED','REJECTED','DUPLICATE')),"
    "  reason TEXT,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  accepted INTEGER NOT NULL DEFAULT 0,"
    "  rejected INTEGER NOT NULL DEFAULT 0,"
    "  duplicates INTEGER NOT NULL DEFAULT 0,"
    "  amount_accepted INTEGER NOT NULL DEFAULT 0,"
    "  currency TEXT CHECK (currency IS NULL OR length(currency) = 3),"
    "  archive_path TEXT, result_path TEXT,"
    "  received_at TEXT NOT NULL, completed_at TEXT);",
    /* Exactly-once intake: one applied copy of a content per business. */
    "CREATE UNIQUE INDEX files_content ON files(business_id, sha256,"
    "  doc_index) WHERE status IN ('PROCESSING','APPLIED');",
    "CREATE INDEX files_business ON files(business_id, received_at);",

    /* Format-specific duplicate keys (the NACHA header tuple, ...). */
    "CREATE TABLE file_keys ("
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  kind TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  file_id TEXT NOT NULL REFERENCES files(id),"
    "  PRIMARY KEY (business_id, kind, key));",

    "CREATE TABLE record_results ("
    "  file_id TEXT NOT NULL REFERENCES files(id),"
    "  record_no INTEGER NOT NULL CHECK (record_no >= 1),"
    "  line INTEGER NOT NULL,"
    "  reference TEXT,"
    "  outcome TEXT NOT NULL CHECK (outcome IN "
    "('ACCEPTED','REJECTED','DUPLICATE')),"
    "  code TEXT, message TEXT, ids TEXT,"
    "  amount INTEGER,"
    "  PRIMARY KEY (file_id, record_no)) WITHOUT ROWID;",

    /* Per-record idempotency: the second line of defence. */
    "CREATE TABLE record_keys ("
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  key TEXT NOT NULL,"
    "  file_id TEXT NOT NULL REFERENCES files(id),"
    "  record_no INTEGER NOT NULL,"
    "  PRIMARY KEY (business_id, key)) WITHOUT ROWID;",

    "CREATE TABLE checkpoints ("
    "  file_id TEXT PRIMARY KEY REFERENCES files(id),"
    "  byte_offset INTEGER NOT NULL CHECK (byte_offset >= 0),"
    "  record_no INTEGER NOT NULL CHECK (record_no >= 0),"
    "  result_offset INTEGER NOT NULL CHECK (result_offset >= 0),"
    "  accepted INTEGER NOT NULL DEFAULT 0,"
    "  rejected INTEGER NOT NULL DEFAULT 0,"
    "  duplicates INTEGER NOT NULL DEFAULT 0,"
    "  amount_accepted INTEGER NOT NULL DEFAULT 0,"
    "  updated_at TEXT NOT NULL);",

    "CREATE TABLE payroll_results ("
    "  id INTEGER PRIMARY KEY,"
    "  profile_id TEXT NOT NULL REFERENCES ewa_profiles(id),"
    "  pay_date TEXT NOT NULL,"
    "  gross INTEGER NOT NULL CHECK (gross >= 0),"
    "  net INTEGER NOT NULL,"
    "  deduction INTEGER NOT NULL CHECK (deduction >= 0),"
    "  due INTEGER NOT NULL CHECK (due >= 0),"
    "  file_id TEXT REFERENCES files(id), source_line INTEGER,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (profile_id, pay_date));",

    /* Outbound payment files and what went into them. */
    "CREATE TABLE outputs ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('RESULT','NACHA','PUSH_TO_CARD',"
    "    'RECON','EXPORT','PAIN002','CAMT054','EVENTS','SMS')),"
    "  business_date TEXT NOT NULL,"
    "  seq INTEGER NOT NULL CHECK (seq >= 0),"
    "  path TEXT NOT NULL UNIQUE,"
    "  sha256 TEXT,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  debit_total INTEGER NOT NULL DEFAULT 0,"
    "  credit_total INTEGER NOT NULL DEFAULT 0,"
    "  file_key TEXT,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (business_id, kind, business_date, seq));",
    "CREATE TABLE output_items ("
    "  output_id TEXT NOT NULL REFERENCES outputs(id),"
    "  txn_id TEXT NOT NULL REFERENCES transactions(id),"
    "  PRIMARY KEY (output_id, txn_id)) WITHOUT ROWID;",
    "CREATE INDEX output_items_txn ON output_items(txn_id);",

    /* Job runs: a run is (job, business date). */
    "CREATE TABLE job_runs ("
    "  id TEXT PRIMARY KEY,"
    "  job TEXT NOT NULL,"
    "  business_date TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('RUNNING','COMPLETED','FAILED',"
    "    'SKIPPED')),"
    "  attempt INTEGER NOT NULL CHECK (attempt >= 1),"
    "  rerun_reason TEXT, error TEXT,"
    "  step TEXT,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  amount INTEGER NOT NULL DEFAULT 0,"
    "  pid INTEGER,"
    "  started_at TEXT NOT NULL, finished_at TEXT,"
    "  UNIQUE (job, business_date, attempt));",
    "CREATE UNIQUE INDEX job_runs_one_running ON job_runs(job)"
    "  WHERE status = 'RUNNING';",
    "CREATE TABLE job_state ("
    "  job TEXT PRIMARY KEY,"
    "  last_fired TEXT, last_success TEXT);",

    /* One engine per spool: the guard row (with the flock). */
    "CREATE TABLE engine_guard ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL);",

    /* LinX, in batch. */
    "CREATE TABLE linx_templates ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  name TEXT NOT NULL,"
    "  activities TEXT NOT NULL CHECK (json_valid(activities)),"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (business_id, name));",
    "CREATE TABLE linx_requests ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  customer_id TEXT REFERENCES customers(id),"
    "  mobile TEXT NOT NULL,"
    "  external_id TEXT,"
    "  template_id TEXT REFERENCES linx_templates(id),"
    "  status TEXT NOT NULL CHECK (status IN ('ACTIVE','COMPLETED','DECLINED',"
    "    'EXPIRED','CANCELLED','FAILED')),"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  expires_at TEXT NOT NULL,"
    "  reminders_sent INTEGER NOT NULL DEFAULT 0,"
    "  decline_reason TEXT,"
    "  file_id TEXT REFERENCES files(id), source_line INTEGER,"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  UNIQUE (business_id, external_id));",
    "CREATE TABLE linx_activities ("
    "  request_id TEXT NOT NULL REFERENCES linx_requests(id),"
    "  seq INTEGER NOT NULL CHECK (seq >= 1),"
    "  kind TEXT NOT NULL CHECK (kind IN ('CREATE_CUSTOMER','UPDATE_CUSTOMER',"
    "    "
    "'ADD_BANK_ACCOUNT','ADD_CARD_ACCOUNT','ACCEPT_DOCUMENT','TRANSACTION')),"
    "  payload TEXT NOT NULL CHECK (json_valid(payload)),"
    "  status TEXT NOT NULL CHECK (status IN ('PENDING','DONE','DECLINED',"
    "    'FAILED')),"
    "  result_id TEXT,"
    "  PRIMARY KEY (request_id, seq)) WITHOUT ROWID;",

    /* Outboxes: delivered by later passes, never lost. */
    "CREATE TABLE event_outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  event_type TEXT NOT NULL,"
    "  entity_type TEXT NOT NULL CHECK (entity_type IN ('CUSTOMER','ACCOUNT',"
    "    'LINX','TRANSACTION','EWA_PROFILE')),"
    "  entity_id TEXT NOT NULL,"
    "  payload TEXT NOT NULL CHECK (json_valid(payload)),"
    "  status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING',"
    "    'DELIVERED','FAILED')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL, delivered_at TEXT);",
    "CREATE INDEX event_outbox_pending ON event_outbox(business_id, id)"
    "  WHERE status = 'PENDING';",
    "CREATE TABLE sms_outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  request_id TEXT REFERENCES linx_requests(id),"
    "  mobile TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('LINK','REMINDER','RESEND',"
    "    'TRANSACTION_STATUS')),"
    "  body TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING',"
    "    'WRITTEN')),"
    "  created_at TEXT NOT NULL);",
    NULL};

/* Version 3: the EWA engine (issue 4): a profile's pay period end and
 * the employment status the roster last reported; payroll results keep
 * what they did to the profile. */
static const char *const ps_schema_v3[] = {
    "ALTER TABLE ewa_profiles ADD COLUMN period_end TEXT;",
    "ALTER TABLE ewa_profiles ADD COLUMN employment_status TEXT NOT NULL"
    "  DEFAULT 'ACTIVE' CHECK (employment_status IN"
    "  ('ACTIVE','TERMINATED','LEAVE'));",
    "ALTER TABLE payroll_results ADD COLUMN outcome TEXT NOT NULL"
    "  DEFAULT 'RECOVERED' CHECK (outcome IN ('RECOVERED','SHORTFALL',"
    "  'NOTHING_DUE'));",
    "ALTER TABLE payroll_results ADD COLUMN currency TEXT;",
    "ALTER TABLE payroll_results ADD COLUMN source_file TEXT;",
    "CREATE INDEX payroll_results_file ON payroll_results(file_id)"
    "  WHERE file_id IS NOT NULL;",
    NULL};

/*
 * Version 4 has no SQL of its own: store.c rewrites every CHECK of the
 * form `col IN ('A','B','C',...)` in every table into the same constraint
 * written `(col = 'A' OR col = 'B' OR ...)`.  SQLite evaluates an IN list
 * of more than two constants by building a temporary index on every
 * execution of a statement, i.e. on every single-row INSERT or UPDATE:
 * measured here, 19 us instead of 4 us per transaction_history row.  The
 * file format does not change, only the stored CREATE TABLE text (the
 * documented writable_schema procedure for changing constraints).
 */
static const char *const ps_schema_v4[] = {NULL};
#define PS_SCHEMA_REWRITE_CHECKS 4 /* the version whose migration does it */

/*
 * Version 5: the provider exchange (issue 5).  A push-to-card payout's
 * items keep their line, the attempt and the name as written, so a
 * payout file a crash left unwritten is regenerated byte for byte (its
 * sha256 is recorded before the file exists); provider_answers holds each
 * status line applied, one per (transaction, attempt, status), which
 * makes a resent line a DUPLICATE and is the provider's side of the
 * reconciliation.
 */
static const char *const ps_schema_v5[] = {
    "ALTER TABLE output_items ADD COLUMN line INTEGER;",
    "ALTER TABLE output_items ADD COLUMN attempt INTEGER;",
    "ALTER TABLE output_items ADD COLUMN holder_name TEXT;",
    "CREATE INDEX outputs_business_kind ON outputs(business_id, kind,"
    "  business_date);",
    "CREATE TABLE provider_answers ("
    "  txn_id TEXT NOT NULL REFERENCES transactions(id),"
    "  attempt INTEGER NOT NULL CHECK (attempt >= 0),"
    "  status TEXT NOT NULL CHECK (status IN ('APPROVED','SETTLED',"
    "    'CLEARED','DECLINED','ERROR','RETURNED')),"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  reason_code TEXT, message TEXT, settlement_date TEXT,"
    "  amount INTEGER NOT NULL,"
    "  source_file TEXT, source_line INTEGER,"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (txn_id, attempt, status)) WITHOUT ROWID;",
    NULL};

/*
 * Version 6: the day's status movements (reconciliation) are found by
 * time, not by scanning every transaction's history.  And the CHECK
 * rewrite of version 4 runs again: it had missed the lists written
 * "IN    (" where a line was wrapped (transactions.purpose, the
 * eligibility statuses, employment_status), so every transaction INSERT
 * and every EWA profile UPDATE still built two temporary indexes.
 * (Version 30 drops the index again: the day's counters replaced it.)
 */
static const char *const ps_schema_v6[] = {
    "CREATE INDEX transaction_history_created ON "
    "transaction_history(created_at);",
    NULL};

#define PS_SCHEMA_REWRITE_CHECKS_AGAIN 6

/*
 * Version 7: ACH returns and notifications of change.  A profile counts
 * the ACH recovery debits made since its last full recovery (the
 * program's max_debit_attempts caps them).  account_changes keeps every
 * NOC (COR entry) received for a bank account, applied or only recorded,
 * with what changed written with masked account numbers only.  CHECKs are
 * written without IN lists (see version 4).
 */
static const char *const ps_schema_v7[] = {
    "ALTER TABLE ewa_profiles ADD COLUMN debit_attempts INTEGER NOT NULL"
    "  DEFAULT 0 CHECK (debit_attempts >= 0);",
    "CREATE TABLE account_changes ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  account_id TEXT NOT NULL REFERENCES financial_accounts(id),"
    "  txn_id TEXT REFERENCES transactions(id),"
    "  change_code TEXT NOT NULL CHECK (change_code GLOB 'C[0-9][0-9]'),"
    "  refused INTEGER NOT NULL CHECK (refused = 0 OR refused = 1),"
    "  original_trace TEXT,"
    "  what_changed TEXT NOT NULL,"
    "  source_file TEXT, source_line INTEGER,"
    "  created_at TEXT NOT NULL);",
    "CREATE INDEX account_changes_account ON account_changes(account_id,"
    "  created_at);",
    NULL};

/*
 * Version 8: NACHA (issue 6).  A document read under lenient options
 * keeps their names for its result trailer; an outbound NACHA file keeps
 * its header and each entry's batch key and fields (never the account
 * number, which stays sealed on the account) so that a file a crash left
 * unwritten is regenerated byte for byte.
 */
static const char *const ps_schema_v8[] = {
    "ALTER TABLE files ADD COLUMN options_used TEXT;",
    "ALTER TABLE outputs ADD COLUMN detail TEXT;",
    "ALTER TABLE output_items ADD COLUMN detail TEXT;",
    NULL};

/*
 * Version 9 has no SQL of its own: store.c drops the REFERENCES clauses
 * of the tables written once or more for every record a file applies
 * (PS_SCHEMA_UNCHAINED_TABLES).  With foreign_keys on, SQLite looks up
 * every parent of every row inserted: four index searches per
 * transaction, three per ledger entry, one per history row, measured
 * here at 15-20% of the time to apply a disbursement file.  Their
 * writers take every id from a row they read in the same transaction
 * (the EWA book, ps_txn_apply, the ledger's account lookup), and
 * ps_store_orphans() checks what the constraints did: `payspool ledger
 * balance` and the daily reconciliation report any row whose parent is
 * missing.  Like version 4, only the stored CREATE TABLE text changes.
 */
static const char *const ps_schema_v9[] = {NULL};
#define PS_SCHEMA_UNCHAINED 9
#define PS_SCHEMA_UNCHAINED_TABLES                                             \
    "name IN ('transactions', 'transaction_history', 'ledger_entries',"       \
    " 'payroll_results', 'ewa_eligibility_history')"

/*
 * Version 10: the NACHA return reason code of a status change is a column
 * of its own, so the daily reconciliation counts returns per code and
 * watches the business's ACH return rates (NACHA Rule 2.17.2) without
 * reading it out of the reason text.  Rows written before are filled from
 * the two forms the engine wrote it in: "ACH return R03..." (a return
 * file's entry) and "R03 (...)..." (the code's label leading the reason).
 */
static const char *const ps_schema_v10[] = {
    "ALTER TABLE transaction_history ADD COLUMN reason_code TEXT"
    "  CHECK (reason_code IS NULL OR reason_code GLOB 'R[0-9][0-9]');",
    "UPDATE transaction_history SET reason_code = substr(reason, 12, 3)"
    "  WHERE reason GLOB 'ACH return R[0-9][0-9]*'"
    "  AND (event = 'RETURN' OR event = 'DECLINE' OR event = 'REVERSE');",
    "UPDATE transaction_history SET reason_code = substr(reason, 1, 3)"
    "  WHERE reason_code IS NULL AND reason GLOB 'R[0-9][0-9] *'"
    "  AND (event = 'RETURN' OR event = 'DECLINE' OR event = 'REVERSE')"
    "  AND txn_id IN (SELECT id FROM transactions WHERE rail = 'ACH');",
    /* Only returns are in it: nothing to maintain per disbursement. */
    "CREATE INDEX transaction_history_returns ON"
    "  transaction_history(created_at) WHERE reason_code IS NOT NULL;",
    NULL};

/*
 * Version 11: the status index carries created_at, so the transactions
 * of one status come out of it oldest first.  A payout file takes the
 * oldest [payouts] max_records due transactions: with the sort in the
 * index, each file reads those rows and no more, where before each file
 * of a run read and sorted every due transaction of the business (1.6 s
 * a file at 200,000 due, 40 files for 2,000,000).
 */
static const char *const ps_schema_v11[] = {
    "DROP INDEX transactions_status;",
    "CREATE INDEX transactions_status ON transactions(business_id, status,"
    "  created_at);",
    NULL};

/*
 * Version 12: retries of inputs rejected whole (`payspool files retry`,
 * issue 18).  One row per document row of the retried input, so a
 * rejection is retried at most once (UNIQUE file_id); who, when and why.
 * Intake's content lookup (ps_store_files_by_sha) skips the retried rows:
 * the retried copy is checked afresh as a new input, while the exactly-
 * once rule still sees every APPLIED or PROCESSING row of that content.
 */
static const char *const ps_schema_v12[] = {
    "CREATE TABLE file_retries ("
    "  id TEXT PRIMARY KEY,"
    "  file_id TEXT NOT NULL UNIQUE REFERENCES files(id),"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  from_path TEXT NOT NULL, to_path TEXT NOT NULL,"
    "  reason TEXT NOT NULL CHECK (length(reason) > 0),"
    "  actor TEXT NOT NULL,"
    "  retried_at TEXT NOT NULL);",
    "CREATE INDEX file_retries_content ON file_retries(business_id, sha256);",
    NULL};

/*
 * Version 13: where each document came from (issue 18): the provider
 * whose folder it was claimed from (providers/<p>/inbound/<b>/), NULL for
 * the business's own inbound.  Trust follows the folder; this records it.
 */
static const char *const ps_schema_v13[] = {
    "ALTER TABLE files ADD COLUMN source TEXT;", NULL};

/*
 * Version 14: the ISO 20022 references (MsgId, PmtInfId, EndToEndId) of
 * the transactions a pain.001 created, for the camt.054 of the
 * reconciliation step (issue 19).
 */
static const char *const ps_schema_v14[] = {
    "CREATE TABLE iso_refs ("
    "  txn_id TEXT PRIMARY KEY REFERENCES transactions(id),"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  msg_id TEXT NOT NULL, pmt_inf_id TEXT NOT NULL,"
    "  end_to_end_id TEXT NOT NULL);",
    "CREATE INDEX iso_refs_business ON iso_refs(business_id);",
    NULL};

/*
 * Version 15: LinX in batch (issue 20).  The linx_requests, linx_activities
 * and sms_outbox tables of version 1 were created and never written, so
 * they are dropped and made again: the request's statuses are those of
 * the transition table in engine/linxtable.c (CREATED, SENT, IN_PROGRESS,
 * COMPLETED, DECLINED, EXPIRED, CANCELLED, FAILED), its ordered activities
 * are one JSON array (executed all or nothing, so they have no status of
 * their own), every status change has a history row committed with it,
 * and a token is kept only as its keyed hash.  business_settings holds
 * a business's LinX gateway URL and webhook settings (key, value).
 * customer_identity keeps the identity details some accounts need (date
 * of birth, tax id) sealed with the key file; only the tax id's last four
 * digits in clear, for a masked display.
 * event_outbox (never written before) is made again: an event id for
 * idempotency, the customer it concerns (delivery is in order per
 * customer), webhook delivery state (PENDING, DELIVERED, DEAD after the
 * configured attempts) and when its events/ JSON Lines file got it.  An SMS row never holds a
 * link in the clear: a LINK or RESEND row keeps it sealed (encrypted with
 * the key file) until the run's SMS file is written, then forgets it.
 */
static const char *const ps_schema_v15[] = {
    "DROP TABLE sms_outbox;",
    "DROP TABLE linx_activities;",
    "DROP TABLE linx_requests;",
    "DROP INDEX event_outbox_pending;",
    "DROP TABLE event_outbox;",
    "CREATE TABLE event_outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  event_id TEXT NOT NULL UNIQUE,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  event_type TEXT NOT NULL,"
    "  entity_type TEXT NOT NULL CHECK (entity_type = 'CUSTOMER'"
    "    OR entity_type = 'ACCOUNT' OR entity_type = 'LINX'"
    "    OR entity_type = 'TRANSACTION' OR entity_type = 'EWA_PROFILE'),"
    "  entity_id TEXT NOT NULL,"
    "  customer_id TEXT,"
    "  payload TEXT NOT NULL CHECK (json_valid(payload)),"
    "  delivery TEXT NOT NULL DEFAULT 'PENDING' CHECK (delivery = 'PENDING'"
    "    OR delivery = 'DELIVERED' OR delivery = 'DEAD'),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at TEXT, last_error TEXT,"
    "  created_at TEXT NOT NULL, delivered_at TEXT, written_at TEXT);",
    "CREATE INDEX event_outbox_unwritten ON event_outbox(business_id, id)"
    "  WHERE written_at IS NULL;",
    "CREATE TABLE linx_requests ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  ref TEXT NOT NULL,"
    "  customer_id TEXT REFERENCES customers(id),"
    "  customer_external_id TEXT,"
    "  mobile TEXT NOT NULL,"
    "  template TEXT,"
    "  activities TEXT NOT NULL CHECK (json_valid(activities)),"
    "  status TEXT NOT NULL CHECK (status = 'CREATED' OR status = 'SENT'"
    "    OR status = 'IN_PROGRESS' OR status = 'COMPLETED'"
    "    OR status = 'DECLINED' OR status = 'EXPIRED'"
    "    OR status = 'CANCELLED' OR status = 'FAILED'),"
    "  token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),"
    "  expires_at TEXT NOT NULL,"
    "  reminders_sent INTEGER NOT NULL DEFAULT 0,"
    "  last_reminder_at TEXT,"
    "  decline_reason TEXT,"
    "  failure TEXT,"
    "  file_id TEXT, source_line INTEGER,"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  UNIQUE (business_id, ref));",
    "CREATE INDEX linx_requests_status ON linx_requests(business_id, status,"
    "  expires_at);",
    "CREATE TABLE linx_request_history ("
    "  id INTEGER PRIMARY KEY,"
    "  request_id TEXT NOT NULL REFERENCES linx_requests(id),"
    "  from_status TEXT, to_status TEXT NOT NULL, event TEXT NOT NULL,"
    "  reason TEXT, file TEXT, line INTEGER,"
    "  created_at TEXT NOT NULL);",
    "CREATE INDEX linx_request_history_req ON"
    "  linx_request_history(request_id, id);",
    "CREATE TABLE business_settings ("
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  key TEXT NOT NULL, value TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (business_id, key)) WITHOUT ROWID;",
    "CREATE TABLE linx_acceptances ("
    "  request_id TEXT NOT NULL REFERENCES linx_requests(id),"
    "  doc_id TEXT NOT NULL, version TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  accepted_at TEXT NOT NULL,"
    "  PRIMARY KEY (request_id, doc_id, version)) WITHOUT ROWID;",
    "CREATE TABLE customer_identity ("
    "  customer_id TEXT PRIMARY KEY REFERENCES customers(id),"
    "  dob_sealed BLOB, tax_id_sealed BLOB,"
    "  tax_id_last4 TEXT, updated_at TEXT NOT NULL) WITHOUT ROWID;",
    "CREATE TABLE linx_documents ("
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  doc_id TEXT NOT NULL, version TEXT NOT NULL, title TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (business_id, doc_id, version)) WITHOUT ROWID;",
    "CREATE TABLE sms_outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  request_id TEXT REFERENCES linx_requests(id),"
    "  mobile TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind = 'LINK' OR kind = 'REMINDER'"
    "    OR kind = 'RESEND' OR kind = 'STATUS'),"
    "  body TEXT NOT NULL,"
    "  link_sealed BLOB,"
    "  status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status = 'PENDING'"
    "    OR status = 'WRITTEN'),"
    "  created_at TEXT NOT NULL, written_at TEXT);",
    NULL};

/*
 * Version 16: a LinX request's transaction, and the SMS of its status
 * changes (issue 20).  linx_requests.txn_id names the transaction the
 * request's TRANSACTION activity created (set in the answer's own store
 * transaction), so a status change of that transaction finds its request
 * and the customer's mobile number (engine/linxtxn.c); requests
 * completed before are filled from the transaction's request id
 * ("linx-" and the request's ref) and customer.  The sms_outbox is made
 * again for its new kind TRANSACTION_STATUS (a CHECK constraint changes
 * only so), rows kept.
 */
static const char *const ps_schema_v16[] = {
    "ALTER TABLE linx_requests ADD COLUMN txn_id TEXT;",
    "UPDATE linx_requests SET txn_id = (SELECT t.id FROM transactions t"
    "  WHERE t.business_id = linx_requests.business_id"
    "  AND t.request_id = 'linx-' || substr(linx_requests.ref, 1, 50)"
    "  AND t.customer_id = linx_requests.customer_id)"
    "  WHERE status = 'COMPLETED';",
    "CREATE UNIQUE INDEX linx_requests_txn ON linx_requests(txn_id)"
    "  WHERE txn_id IS NOT NULL;",
    "CREATE TABLE sms_outbox_v16 ("
    "  id INTEGER PRIMARY KEY,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  request_id TEXT REFERENCES linx_requests(id),"
    "  mobile TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind = 'LINK' OR kind = 'REMINDER'"
    "    OR kind = 'RESEND' OR kind = 'STATUS'"
    "    OR kind = 'TRANSACTION_STATUS'),"
    "  body TEXT NOT NULL,"
    "  link_sealed BLOB,"
    "  status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status = 'PENDING'"
    "    OR status = 'WRITTEN'),"
    "  created_at TEXT NOT NULL, written_at TEXT);",
    "INSERT INTO sms_outbox_v16(id, business_id, request_id, mobile, kind,"
    "  body, link_sealed, status, created_at, written_at)"
    "  SELECT id, business_id, request_id, mobile, kind, body, link_sealed,"
    "  status, created_at, written_at FROM sms_outbox;",
    "DROP TABLE sms_outbox;",
    "ALTER TABLE sms_outbox_v16 RENAME TO sms_outbox;",
    NULL};

/* Versions 17 to 25, 27 and 30, the row model of issue 21; 26, the
 * narrow iso_refs of issue 19; 28, the payout files' sums; 29, the
 * creation's fee on the transaction row; 31, record_keys and iso_refs by
 * integer keys; 32, the provider answers' sums; 33, the narrow status
 * events: schema_rows.c. */
#define PS_SCHEMA_REQUEST_HASH 17
#define PS_SCHEMA_PROFILE_HASH 19
#define PS_SCHEMA_BALANCES 20
/* recon_counts and ledger_day_totals (issue 21 (d)) */
#define PS_SCHEMA_RECON_COUNTS 24
/* a transaction's status event without its payload (event_outbox) */
#define PS_SCHEMA_EVENT_HISTORY 25
/* ledger_entry_days (issue 21, session 27) */
#define PS_SCHEMA_ENTRY_DAYS 27
/* the creation's fee on the transaction row (issue 21, session 28) */
#define PS_SCHEMA_FEE_ON_ROW 29
/* the provider answers' sums (answer_sums) */
#define PS_SCHEMA_ANSWER_SUMS 32
/* a transaction's status event: its id, business and history row only */
#define PS_SCHEMA_EVENT_NARROW 33

static const char *const *const ps_schema_migrations[] = {
    ps_schema_v1,  ps_schema_v2,  ps_schema_v3,  ps_schema_v4,
    ps_schema_v5,  ps_schema_v6,  ps_schema_v7,  ps_schema_v8,
    ps_schema_v9,  ps_schema_v10, ps_schema_v11, ps_schema_v12,
    ps_schema_v13, ps_schema_v14, ps_schema_v15, ps_schema_v16,
    ps_schema_v17, ps_schema_v18, ps_schema_v19, ps_schema_v20,
    ps_schema_v21, ps_schema_v22, ps_schema_v23, ps_schema_v24,
    ps_schema_v25, ps_schema_v26, ps_schema_v27, ps_schema_v28,
    ps_schema_v29, ps_schema_v30, ps_schema_v31, ps_schema_v32,
    ps_schema_v33};

#define PS_SCHEMA_VERSION                                                      \
    ((int)(sizeof(ps_schema_migrations) / sizeof(ps_schema_migrations[0])))

/* ---- running them --------------------------------------------------- */

int ps_store_schema_version(struct ps_store *s, int *version,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        s->db,
        "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_version'", -1,
        &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "read schema version", err);
    rc = sqlite3_step(st);
    int exists = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ps_sq_error(s, rc, "read schema version", err);
    if (!exists) {
        *version = 0;
        return 0;
    }
    rc = sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "read schema version", err);
    rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ps_sq_error(s, rc, "read schema version", err);
    return 0;
}

/* Identifier characters of our schema's column names. */
static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

char *ps_store_rewrite_in_lists(const char *sql)
{
    size_t len = strlen(sql), cap = len * 4 + 64, o = 0;
    char *out = malloc(cap);
    const char *p = sql;
    if (out == NULL)
        return NULL;
    while (*p != '\0') {
        /* " IN", any spaces, "(": the schema's lists are written both
         * "IN (" and, where a line was wrapped, "IN    (". */
        const char *in = strstr(p, " IN");
        if (in == NULL)
            break;
        const char *open = in + 3;
        while (*open == ' ')
            open++;
        if (*open != '(') {
            size_t k = (size_t)(in + 3 - p);
            memcpy(out + o, p, k);
            o += k;
            p = in + 3;
            continue;
        }
        const char *id = in;
        while (id > p && ident_char(id[-1]))
            id--;
        /* Parse the list: only plain single-quoted literals. */
        const char *q = open + 1, *lit[64];
        size_t litlen[64], n = 0;
        int ok = id < in;
        while (ok) {
            while (*q == ' ')
                q++;
            if (*q != '\'' || n == 64) {
                ok = 0;
                break;
            }
            const char *end = strchr(q + 1, '\'');
            if (end == NULL || end[1] == '\'') {
                ok = 0;
                break;
            }
            lit[n] = q + 1;
            litlen[n++] = (size_t)(end - q - 1);
            q = end + 1;
            while (*q == ' ')
                q++;
            if (*q == ',') {
                q++;
                continue;
            }
            ok = *q == ')';
            break;
        }
        if (!ok || n <= 2) {
            /* Not ours, or cheap already: copy through the "(". */
            size_t k = (size_t)(open + 1 - p);
            memcpy(out + o, p, k);
            o += k;
            p = open + 1;
            continue;
        }
        size_t k = (size_t)(id - p), idlen = (size_t)(in - id);
        size_t need = k + 2 + n * (idlen + 12) + (size_t)(q - in) * 2;
        if (o + need + (len - (size_t)(q + 1 - sql)) + 1 > cap) {
            cap = (o + need + len) * 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + o, p, k);
        o += k;
        out[o++] = '(';
        for (size_t i = 0; i < n; i++) {
            int w =
                snprintf(out + o, cap - o, "%s%.*s = '%.*s'", i ? " OR " : "",
                         (int)idlen, id, (int)litlen[i], lit[i]);
            if (w < 0 || (size_t)w >= cap - o) { /* sized above: never */
                free(out);
                return NULL;
            }
            o += (size_t)w;
        }
        out[o++] = ')';
        p = q + 1;
    }
    size_t rest = strlen(p);
    if (o + rest + 1 > cap) {
        char *grown = realloc(out, o + rest + 1);
        if (grown == NULL) {
            free(out);
            return NULL;
        }
        out = grown;
    }
    memcpy(out + o, p, rest + 1);
    return out;
}

char *ps_store_strip_references(const char *sql)
{
    size_t len = strlen(sql), o = 0;
    char *out = malloc(len + 1);
    const char *p = sql;
    if (out == NULL)
        return NULL;
    while (*p != '\0') {
        const char *r = strstr(p, " REFERENCES ");
        if (r == NULL)
            break;
        /* " REFERENCES", the parent's name, "(", its column, ")". */
        const char *q = r + 12, *name = q;
        while (ident_char(*q))
            q++;
        int ok = q > name && *q == '(';
        const char *col = q + 1;
        if (ok) {
            for (q = col; ident_char(*q); q++)
                ;
            ok = q > col && *q == ')';
        }
        size_t k = (size_t)(r - p);
        memcpy(out + o, p, k);
        o += k;
        if (ok) {
            p = q + 1; /* dropped */
        } else {
            memcpy(out + o, r, 11); /* not a clause of ours: keep it */
            o += 11;
            p = r + 11;
        }
    }
    size_t rest = strlen(p);
    memcpy(out + o, p, rest + 1);
    return out;
}

/*
 * Rewrite the stored CREATE TABLE text of the tables `which` selects
 * (a condition on sqlite_schema's name and sql) with fn, inside the
 * migration's transaction.  Only constraints change, never the file
 * format: SQLite's documented writable_schema procedure.
 */
static int rewrite_tables(struct ps_store *s, const char *which,
                          char *(*fn)(const char *), struct ps_err *err)
{
    sqlite3_stmt *list = NULL, *upd = NULL;
    int rc, version = 0, changed = 0;
    if ((rc = ps_sq_exec_sql(s, "PRAGMA writable_schema = ON", err)) != 0)
        goto out;
    char select[256];
    snprintf(select, sizeof(select),
             "SELECT name, sql FROM sqlite_schema WHERE type = 'table'"
             " AND (%s)",
             which);
    rc = sqlite3_prepare_v2(s->db, select, -1, &list, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "UPDATE sqlite_schema SET sql = ?1 WHERE"
                                " type = 'table' AND name = ?2",
                                -1, &upd, NULL);
    if (rc != SQLITE_OK) {
        rc = ps_sq_error(s, rc, "prepare the constraint rewrite", err);
        goto off;
    }
    while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(list, 0);
        const char *sql = (const char *)sqlite3_column_text(list, 1);
        char *fast = fn(sql);
        if (fast == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            goto off;
        }
        if (strcmp(fast, sql) != 0) {
            sqlite3_bind_text(upd, 1, fast, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(upd, 2, name, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(upd);
            sqlite3_reset(upd);
            if (rc != SQLITE_DONE) {
                free(fast);
                rc = ps_sq_error(s, rc, "rewrite a table's constraints", err);
                goto off;
            }
            changed++;
        }
        free(fast);
    }
    if (rc != SQLITE_DONE) {
        rc = ps_sq_error(s, rc, "list tables", err);
        goto off;
    }
    rc = 0;
    if (changed > 0) {
        /* Other connections must reload the schema. */
        char sql[64];
        sqlite3_stmt *v = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA schema_version", -1, &v, NULL) ==
                SQLITE_OK &&
            sqlite3_step(v) == SQLITE_ROW)
            version = sqlite3_column_int(v, 0);
        sqlite3_finalize(v);
        snprintf(sql, sizeof(sql), "PRAGMA schema_version = %d", version + 1);
        rc = ps_sq_exec_sql(s, sql, err);
    }
off:
    if (ps_sq_exec_sql(s, "PRAGMA writable_schema = OFF",
                       rc == 0 ? err : NULL) != 0 &&
        rc == 0)
        rc = PS_ESTORE;
out:
    sqlite3_finalize(list);
    sqlite3_finalize(upd);
    return rc;
}

/*
 * Bring the database to `target`, one migration per transaction, so a
 * crash mid-way leaves a consistent older version that the next open
 * continues from.
 */
int ps_store_schema_migrate(struct ps_store *s, const char *path, int target,
                            struct ps_err *err)
{
    int version = 0;
    int rc = ps_sq_exec_sql(s,
                            "CREATE TABLE IF NOT EXISTS schema_version ("
                            " version INTEGER PRIMARY KEY,"
                            " applied_at TEXT NOT NULL)",
                            err);
    if (rc != 0)
        return rc;
    if ((rc = ps_store_schema_version(s, &version, err)) != 0)
        return rc;
    if (version > PS_SCHEMA_VERSION)
        return ps_err_set(err, PS_EVERSION, "SCHEMA_TOO_NEW",
                          "database %s has schema version %d, newer than the "
                          "%d this payspool %s knows; upgrade payspool",
                          path, version, PS_SCHEMA_VERSION, PS_VERSION);
    while (version < target) {
        char now[PS_TIME_SIZE];
        char sql[128];
        /* A table rebuild with foreign keys off (a no-op in a
         * transaction, so before it); the same ids are copied back. */
        int rebuild = version + 1 == PS_SCHEMA_REQUEST_HASH;
        if (rebuild &&
            (rc = ps_sq_exec_sql(s, "PRAGMA foreign_keys = OFF", err)) != 0)
            return rc;
        if ((rc = ps_sq_exec_sql(s, "BEGIN IMMEDIATE", err)) != 0) {
            if (rebuild)
                sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL,
                             NULL);
            return rc;
        }
        for (const char *const *sql_ = ps_schema_migrations[version];
             rc == 0 && *sql_ != NULL; sql_++)
            rc = ps_sq_exec_sql(s, *sql_, err);
        if (rc == 0 && (version + 1 == PS_SCHEMA_REWRITE_CHECKS ||
                        version + 1 == PS_SCHEMA_REWRITE_CHECKS_AGAIN))
            rc = rewrite_tables(s, "sql LIKE '% IN %(%'",
                                ps_store_rewrite_in_lists, err);
        if (rc == 0 && version + 1 == PS_SCHEMA_UNCHAINED)
            rc = rewrite_tables(s, PS_SCHEMA_UNCHAINED_TABLES,
                                ps_store_strip_references, err);
        if (rc == 0 && rebuild)
            rc = ps_store_txn_rehash(s, err);
        if (rc == 0 && version + 1 == PS_SCHEMA_PROFILE_HASH)
            rc = ps_store_txn_profile_rehash(s, err);
        if (rc == 0) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO schema_version VALUES (%d, '%s')",
                     version + 1, ps_time_now(now));
            rc = ps_sq_exec_sql(s, sql, err);
        }
        if (rc == 0)
            rc = ps_sq_exec_sql(s, "COMMIT", err);
        if (rc != 0)
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        if (rebuild)
            sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
        if (rc != 0)
            return rc;
        version++;
        ps_log(PS_LOG_INFO, "store.migrated", "{s:s, s:i}", "db", path,
               "version", version);
    }
    s->balances = version >= PS_SCHEMA_BALANCES;
    s->recon_counts = version >= PS_SCHEMA_RECON_COUNTS;
    s->answer_sums = version >= PS_SCHEMA_ANSWER_SUMS;
    s->event_history = version >= PS_SCHEMA_EVENT_HISTORY;
    s->event_narrow = version >= PS_SCHEMA_EVENT_NARROW;
    s->entry_days = version >= PS_SCHEMA_ENTRY_DAYS;
    s->fee_on_row = version >= PS_SCHEMA_FEE_ON_ROW;
    return 0;
}

int ps_store_latest_version(void)
{
    return PS_SCHEMA_VERSION;
}
