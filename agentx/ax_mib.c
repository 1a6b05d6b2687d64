/*
 * ax_mib.c: DMARC-MILTER-MIB's objects, read from the counter store at
 * request time, so SNMP shows the same numbers as /metrics.
 *
 * dmarcDomainTable is a table_tdata whose rows carry only the store's row
 * index; the values are read from the store for each request. The store
 * creates rows while mail flows, so a cache handler sits at the top of
 * the table's handler chain and adds the new ones before every request
 * (below the table helper, it would run after the row lookup and an empty
 * table would stay empty).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agentx/ax_mib.h"

#define AX_TABLE_SUB    1, 1       /* dmarcMilterObjects.dmarcDomainTable */
#define AX_TOTALS_SUB   1, 2       /* dmarcMilterObjects.dmarcTotals */
#define AX_DAEMON_SUB   1, 3       /* dmarcMilterObjects.dmarcDaemon */
#define AX_TOTALS_LAST  16
#define AX_DAEMON_LAST  2
#define AX_BITS_BYTES   ((CS_ROWS_LIMIT + 8u) / 8u)

#define AX_ROOT_LEN     (sizeof((const oid[]){ AX_ROOT_OID }) / sizeof(oid))
/* Where a scalar's number sits in its OID: root, 1, group, scalar, 0.
   (The scalar helpers narrow each registration to the instance, so the
   registration's length does not tell.) */
#define AX_SCALAR_POS   (AX_ROOT_LEN + 2)

static oid
ax_scalar_sub(const netsnmp_variable_list *vb)
{
    return vb->name_length > AX_SCALAR_POS ? vb->name[AX_SCALAR_POS] : 0;
}

struct ax_mib {
    struct cs_store *cs;
    netsnmp_tdata *table;
    netsnmp_table_registration_info *tinfo;   /* not freed by Net-SNMP */
    netsnmp_handler_registration *reg_table, *reg_totals, *reg_daemon;
    netsnmp_cache *cache;
    size_t nrows;                  /* rows in the tdata */
    unsigned char *have;           /* bit per store index in the tdata */
    unsigned char started[11];     /* DateAndTime */
    char version[64];
};

int
ax_policy_value(enum dm_policy p)
{
    switch (p) {
    case DM_POLICY_NONE:       return 1;
    case DM_POLICY_QUARANTINE: return 2;
    case DM_POLICY_REJECT:     return 3;
    default:                   return 4;    /* absent */
    }
}

void
ax_date_and_time(time_t t, unsigned char out[11])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    out[0] = (unsigned char)((tm.tm_year + 1900) >> 8);
    out[1] = (unsigned char)((tm.tm_year + 1900) & 0xff);
    out[2] = (unsigned char)(tm.tm_mon + 1);
    out[3] = (unsigned char)tm.tm_mday;
    out[4] = (unsigned char)tm.tm_hour;
    out[5] = (unsigned char)tm.tm_min;
    out[6] = (unsigned char)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
    out[7] = 0;                     /* deci-seconds */
    out[8] = '+';                   /* UTC */
    out[9] = 0;
    out[10] = 0;
}

static void
ax_set_c64(netsnmp_variable_list *vb, uint64_t v)
{
    struct counter64 c;

    c.high = (u_long)(v >> 32);
    c.low = (u_long)(v & 0xffffffffu);
    snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
}

/* --- dmarcDomainTable ---------------------------------------------------- */

static bool
ax_have(const struct ax_mib *m, uint32_t idx)
{
    return (m->have[idx / 8] >> (idx % 8)) & 1u;
}

static int
ax_add_row(struct ax_mib *m, uint32_t idx)
{
    netsnmp_tdata_row *row = netsnmp_tdata_create_row();
    u_long ix = idx;

    if (row == NULL)
        return -1;
    /* The row's data is its store index: values are read per request. */
    row->data = (void *)(uintptr_t)idx;
    if (netsnmp_tdata_row_add_index(row, ASN_UNSIGNED, &ix, sizeof(ix))
            == NULL ||
        netsnmp_tdata_add_row(m->table, row) != SNMPERR_SUCCESS) {
        netsnmp_tdata_delete_row(row);
        return -1;
    }
    m->have[idx / 8] |= (unsigned char)(1u << (idx % 8));
    m->nrows++;
    return 0;
}

/* The cache's load: add the rows the store created since the last one. */
static int
ax_cache_load(netsnmp_cache *cache, void *magic)
{
    struct ax_mib *m = magic;
    struct cs_totals t;
    uint32_t idx = 0;

    (void)cache;
    cs_totals(m->cs, &t);
    if (t.rows == m->nrows)
        return 0;
    /* Restored rows can leave holes that new rows fill: look at all. */
    while ((idx = cs_next_index(m->cs, idx)) != 0)
        if (idx < CS_ROWS_LIMIT + 1u && !ax_have(m, idx) &&
            ax_add_row(m, idx) != 0) {
            snmp_log(LOG_ERR, "dmarcDomainTable: out of memory\n");
            break;
        }
    return 0;
}

/* Rows are never dropped while the store lives: nothing to free. */
static void
ax_cache_free(netsnmp_cache *cache, void *magic)
{
    (void)cache;
    (void)magic;
}

static void
ax_table_value(netsnmp_variable_list *vb, int col,
               const struct cs_row_view *v)
{
    long pol;

    switch (col) {
    case AX_COL_NAME:
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->domain,
                                 strlen(v->domain));
        break;
    case AX_COL_POLICY:
        pol = ax_policy_value(v->policy);
        snmp_set_var_typed_value(vb, ASN_INTEGER, &pol, sizeof(pol));
        break;
    case AX_COL_PASS:
        ax_set_c64(vb, v->result[DM_RESULT_PASS]);
        break;
    case AX_COL_FAIL:
        ax_set_c64(vb, v->result[DM_RESULT_FAIL]);
        break;
    case AX_COL_NONE:
        ax_set_c64(vb, v->result[DM_RESULT_NONE]);
        break;
    case AX_COL_TEMPERROR:
        ax_set_c64(vb, v->result[DM_RESULT_TEMPERROR]);
        break;
    case AX_COL_PERMERROR:
        ax_set_c64(vb, v->result[DM_RESULT_PERMERROR]);
        break;
    case AX_COL_QUARANTINE:
        ax_set_c64(vb, v->disp[DM_DISP_QUARANTINE]);
        break;
    case AX_COL_REJECT:
        ax_set_c64(vb, v->disp[DM_DISP_REJECT]);
        break;
    default:
        break;
    }
}

static int
ax_table_handler(netsnmp_mib_handler *handler,
                 netsnmp_handler_registration *reg,
                 netsnmp_agent_request_info *reqinfo,
                 netsnmp_request_info *requests)
{
    struct ax_mib *m = handler->myvoid;
    netsnmp_request_info *req;
    netsnmp_table_request_info *ti;
    struct cs_row_view v;
    void *data;

    (void)reg;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;     /* read-only: the helpers refuse SETs */
    for (req = requests; req != NULL; req = req->next) {
        if (req->processed)
            continue;
        data = netsnmp_tdata_extract_entry(req);
        ti = netsnmp_extract_table_info(req);
        if (data == NULL || ti == NULL ||
            ti->colnum < AX_COL_NAME || ti->colnum > AX_COL_REJECT ||
            !cs_row_at(m->cs, (uint32_t)(uintptr_t)data, &v)) {
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
            continue;
        }
        ax_table_value(req->requestvb, (int)ti->colnum, &v);
    }
    return SNMP_ERR_NOERROR;
}

/* --- scalars ------------------------------------------------------------- */

struct ax_sums {
    uint64_t result[DM_RESULT__COUNT];
    uint64_t disp[DM_DISP__COUNT];
};

static bool
ax_sum_row(const struct cs_row_view *row, void *arg)
{
    struct ax_sums *s = arg;

    for (int i = 0; i < DM_RESULT__COUNT; i++)
        s->result[i] += row->result[i];
    for (int i = 0; i < DM_DISP__COUNT; i++)
        s->disp[i] += row->disp[i];
    return true;
}

/* dmarcLocalOverrides .. dmarcFailureReports: /metrics' other totals. */
static uint64_t
ax_totals_more(oid sub, const struct cs_totals *t)
{
    uint64_t n = 0;

    switch (sub) {
    case 12:
        for (int i = 0; i < DM_OVERRIDE__COUNT; i++)
            n += t->overrides[i];
        return n;
    case 13:
        for (int i = 0; i < CS_STANDIN_COUNT; i++)
            n += t->standins[i];
        return n;
    case 14: return t->events[CS_EV_HISTORY_WRITTEN];
    case 15: return t->events[CS_EV_HISTORY_FAILED];
    case 16: return t->events[CS_EV_FAILURE_SENT];
    default: return 0;
    }
}

static void
ax_totals_value(netsnmp_variable_list *vb, oid sub, const struct ax_sums *s,
                const struct cs_totals *t)
{
    static const int results[] = { DM_RESULT_PASS, DM_RESULT_FAIL,
                                   DM_RESULT_NONE, DM_RESULT_TEMPERROR,
                                   DM_RESULT_PERMERROR };
    uint64_t ignored = 0;
    u_long gauge;

    if (sub >= 1 && sub <= 5) {
        ax_set_c64(vb, s->result[results[sub - 1]]);
    } else if (sub >= 6 && sub <= 8) {
        ax_set_c64(vb, s->disp[sub - 6]);    /* none, quarantine, reject */
    } else if (sub == 9) {
        for (int i = 0; i < DM_SKIP__COUNT; i++)
            ignored += t->skipped[i];
        ax_set_c64(vb, ignored);
    } else if (sub == 10) {
        gauge = t->tracked_domains > 0xffffffffu ? 0xffffffffu
                                                 : (u_long)t->tracked_domains;
        snmp_set_var_typed_value(vb, ASN_GAUGE, &gauge, sizeof(gauge));
    } else if (sub == 11) {
        ax_set_c64(vb, t->overflow);
    } else if (sub >= 12 && sub <= 16) {
        ax_set_c64(vb, ax_totals_more(sub, t));
    }
}

static int
ax_totals_handler(netsnmp_mib_handler *handler,
                  netsnmp_handler_registration *reg,
                  netsnmp_agent_request_info *reqinfo,
                  netsnmp_request_info *requests)
{
    struct ax_mib *m = handler->myvoid;
    struct ax_sums s;
    struct cs_totals t;
    netsnmp_request_info *req;

    (void)reg;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    /* One reading for the whole PDU: its totals agree with each other. */
    memset(&s, 0, sizeof(s));
    cs_foreach_row(m->cs, ax_sum_row, &s);
    cs_totals(m->cs, &t);
    for (req = requests; req != NULL; req = req->next) {
        if (req->processed)
            continue;
        ax_totals_value(req->requestvb, ax_scalar_sub(req->requestvb), &s,
                        &t);
    }
    return SNMP_ERR_NOERROR;
}

static int
ax_daemon_handler(netsnmp_mib_handler *handler,
                  netsnmp_handler_registration *reg,
                  netsnmp_agent_request_info *reqinfo,
                  netsnmp_request_info *requests)
{
    struct ax_mib *m = handler->myvoid;
    netsnmp_request_info *req;
    oid sub;

    (void)reg;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    for (req = requests; req != NULL; req = req->next) {
        if (req->processed)
            continue;
        sub = ax_scalar_sub(req->requestvb);
        if (sub == 1)
            snmp_set_var_typed_value(req->requestvb, ASN_OCTET_STR,
                                     m->started, sizeof(m->started));
        else if (sub == 2)
            snmp_set_var_typed_value(req->requestvb, ASN_OCTET_STR,
                                     m->version, strlen(m->version));
    }
    return SNMP_ERR_NOERROR;
}

/* --- registration -------------------------------------------------------- */

static netsnmp_handler_registration *
ax_scalars(const char *name, Netsnmp_Node_Handler *fn, const oid *root,
           size_t len, oid last, struct ax_mib *m)
{
    netsnmp_handler_registration *reg;

    reg = netsnmp_create_handler_registration(name, fn, root, len,
                                              HANDLER_CAN_RONLY);
    if (reg == NULL)
        return NULL;
    reg->handler->myvoid = m;
    if (netsnmp_register_scalar_group(reg, 1, last) != MIB_REGISTERED_OK)
        return NULL;            /* Net-SNMP freed reg */
    return reg;
}

static int
ax_register_table(struct ax_mib *m)
{
    static const oid root[] = { AX_ROOT_OID, AX_TABLE_SUB };
    const size_t len = sizeof(root) / sizeof(root[0]);
    netsnmp_table_registration_info *ti;
    netsnmp_mib_handler *ch;

    m->table = netsnmp_tdata_create_table("dmarcDomainTable", 0);
    ti = m->tinfo = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
    m->reg_table = netsnmp_create_handler_registration(
        "dmarcDomainTable", ax_table_handler, root, len, HANDLER_CAN_RONLY);
    if (m->table == NULL || ti == NULL || m->reg_table == NULL) {
        if (m->reg_table != NULL)
            netsnmp_handler_registration_free(m->reg_table);
        m->reg_table = NULL;
        return -1;
    }
    m->reg_table->handler->myvoid = m;
    netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
    ti->min_column = AX_COL_NAME;
    ti->max_column = AX_COL_REJECT;
    if (netsnmp_tdata_register(m->reg_table, m->table, ti)
            != MIB_REGISTERED_OK) {
        m->reg_table = NULL;    /* freed by Net-SNMP */
        return -1;
    }
    /* Timeout 0: checked before every request; a load is cheap when the
       store has no new row. */
    m->cache = netsnmp_cache_create(0, ax_cache_load, ax_cache_free,
                                    root, len);
    if (m->cache == NULL)
        return -1;
    m->cache->flags = NETSNMP_CACHE_DONT_FREE_EXPIRED |
                      NETSNMP_CACHE_DONT_AUTO_RELEASE |
                      NETSNMP_CACHE_DONT_FREE_BEFORE_LOAD |
                      NETSNMP_CACHE_DONT_INVALIDATE_ON_SET;
    m->cache->magic = m;
    ch = netsnmp_cache_handler_get(m->cache);
    if (ch == NULL)
        return -1;
    if (netsnmp_inject_handler_before(m->reg_table, ch, "table")
            != SNMPERR_SUCCESS) {
        netsnmp_handler_free(ch);
        return -1;
    }
    return 0;
}

struct ax_mib *
ax_mib_register(struct cs_store *cs, time_t started, char *err,
                size_t errsz)
{
    static const oid totals[] = { AX_ROOT_OID, AX_TOTALS_SUB };
    static const oid daemon[] = { AX_ROOT_OID, AX_DAEMON_SUB };
    struct ax_mib *m = calloc(1, sizeof(*m));

    if (m == NULL || (m->have = calloc(1, AX_BITS_BYTES)) == NULL) {
        snprintf(err, errsz, "agentx: out of memory");
        free(m);
        return NULL;
    }
    m->cs = cs;
    ax_date_and_time(started, m->started);
    snprintf(m->version, sizeof(m->version), "%s %s", PACKAGE_NAME,
             PACKAGE_VERSION);
    if (ax_register_table(m) != 0) {
        snprintf(err, errsz, "agentx: cannot register dmarcDomainTable");
        goto fail;
    }
    m->reg_totals = ax_scalars("dmarcTotals", ax_totals_handler, totals,
                               sizeof(totals) / sizeof(totals[0]),
                               AX_TOTALS_LAST, m);
    m->reg_daemon = ax_scalars("dmarcDaemon", ax_daemon_handler, daemon,
                               sizeof(daemon) / sizeof(daemon[0]),
                               AX_DAEMON_LAST, m);
    if (m->reg_totals == NULL || m->reg_daemon == NULL) {
        snprintf(err, errsz, "agentx: cannot register the scalars");
        goto fail;
    }
    return m;
fail:
    ax_mib_unregister(m);
    return NULL;
}

void
ax_mib_unregister(struct ax_mib *m)
{
    if (m == NULL)
        return;
    if (m->reg_daemon != NULL)
        netsnmp_unregister_handler(m->reg_daemon);
    if (m->reg_totals != NULL)
        netsnmp_unregister_handler(m->reg_totals);
    if (m->reg_table != NULL)
        netsnmp_unregister_handler(m->reg_table);  /* frees the cache too */
    else if (m->cache != NULL)
        netsnmp_cache_free(m->cache);
    if (m->tinfo != NULL)
        netsnmp_table_registration_info_free(m->tinfo);
    if (m->table != NULL) {
        netsnmp_tdata_row *row;

        /* The table frees its container, not its rows. */
        while ((row = netsnmp_tdata_row_first(m->table)) != NULL)
            (void)netsnmp_tdata_remove_and_delete_row(m->table, row);
        netsnmp_tdata_delete_table(m->table);
    }
    free(m->have);
    free(m);
}
