#!/usr/bin/env python3
"""gen-templates.py: writes cacti_host_template_dmarc_milter.xml, the Cacti
1.2 template export (version code 0103) for dmarc-milter's AgentX MIB.

The export is generated rather than clicked together in a Cacti and
exported, so that every object's hash is derived from a fixed name: the
same object keeps the same hash in every release, and a re-import
updates it instead of adding a copy. Renaming a key below changes its
hash: don't, once released.

Stock objects every Cacti 1.2 install has (the SNMP data input methods
and their fields, the "5 Minute Collection" profile, the "Normal" GPRINT
preset) are referred to by their stock hashes and not exported.

Usage: gen-templates.py [OUTPUT]   (default: stdout)
"""

import hashlib
import sys
from xml.sax.saxutils import escape

VERSION = "0103"  # Cacti 1.2.19 to 1.2.24
TYPE = {"graph_template": "00", "data_template": "01", "host_template": "02",
        "data_input": "03", "data_query": "04", "gprint": "06",
        "data_input_field": "07", "data_template_item": "08",
        "graph_template_input": "09", "graph_template_item": "10",
        "dq_graph": "11", "dq_sv_graph": "12", "dq_sv_ds": "13",
        "profile": "20"}

ROOT = ".1.3.6.1.4.1.8072.9999.9999.7489"


def h(kind, key):
    """The fixed hash of our object KEY of type KIND."""
    digest = hashlib.md5(("dmarc-milter/" + key).encode()).hexdigest()
    return "hash_" + TYPE[kind] + VERSION + digest


def stock(kind, digest):
    return "hash_" + TYPE[kind] + VERSION + digest


GET_SNMP = stock("data_input", "3eb92bb845b9660a7445cf9740726522")
GET_SNMP_INDEXED = stock("data_input", "bf566c869ac6443b0c75d1c32b5a350e")
PROFILE_5MIN = stock("profile", "d62c52891f4f9688729a5bc9fad91b18")
GPRINT_NORMAL = stock("gprint", "e9c43831e54eca8069317a2ce8c6f751")
# Input fields of "Get SNMP Data (Indexed)"; index type, index value and
# output type are filled per data source by the data query.
INDEXED_FIELDS = [("617cdc8a230615e59f06f361ef6e7728", ""),
                  ("acb449d1451e8a2a655c2c99d31142c7", ""),
                  ("f4facc5e2ca7ebee621f09bc6d9fc792", ""),
                  ("1cc1493a6781af2c478fa4de971531cf", ""),
                  ("b5c23f246559df38662c255f4aa21d6b", ""),
                  ("6027a919c7c7731fbe095b6f53ab127b", "on"),
                  ("cbbe5c1ddfb264a6e5d509ce1c78c95f", "on"),
                  ("e6deda7be0f391399c5130e7c4a48b28", "on"),
                  ("c1f36ee60c3dc98945556d57f26e475b", ""),
                  ("2cf7129ad3ff819a7a7ac189bee48ce8", ""),
                  ("6b13ac0a0194e171d241d4b06f913158", ""),
                  ("3a33d4fc65b8329ab2ac46a36da26b72", "")]
# Input fields of "Get SNMP Data"; the OID one is set per template.
SNMP_OID_FIELD = "4276a5ec6e3fe33995129041b1909762"
SNMP_FIELDS = ["92f5906c8dc0f964b41f4253df582c38",
               "32285d5bf16e56c478f5e83f32cda9ef",
               "ad14ac90641aed388139f6ba86a2e48b",
               "9c55a74bd571b4f00a96fd4b793278c6",
               "012ccb1d3687d3edb29c002ea66e72da",
               SNMP_OID_FIELD,
               "fc64b99742ec417cc424dbf8c7692d36",
               "20832ce12f099c8e54140793a091af90",
               "c60c9aac1e1b3555ea0620b8bbfd82cb",
               "feda162701240101bc74148415ef415a"]

DERIVE = 3
GT_COMMENT, GT_LINE1, GT_AREA, GT_STACK, GT_GPRINT = 1, 4, 7, 8, 9
CF_AVERAGE, CF_MAX, CF_LAST = 1, 3, 4

# (key, DS name, data query field, legend, colour) of a domain row; the
# colours follow the opendkim and Postfix graphs: the good result green
# first, failures in warm colours stacked on top.
RESULTS = [("pass", "Pass", "00FF00"),
           ("fail", "Fail", "FFAB00"),
           ("none", "None (no record)", "AAABA1"),
           ("temperror", "TempError", "FF00FF"),
           ("permerror", "PermError", "4668E4")]
DISPOSITIONS = [("reject", "Fail: rejected", "FF0000"),
                ("quarantine", "Fail: quarantined", "B1441E")]
DOMAIN_FIELD = {"pass": "dmarcDomainPass", "fail": "dmarcDomainFail",
                "none": "dmarcDomainNone", "temperror": "dmarcDomainTempError",
                "permerror": "dmarcDomainPermError",
                "quarantine": "dmarcDomainQuarantine",
                "reject": "dmarcDomainReject"}
# dmarcTotals: sub-identifier of each scalar
TOTAL_OID = {"pass": 1, "fail": 2, "none": 3, "temperror": 4, "permerror": 5,
             "quarantine": 7, "reject": 8, "ignored": 9}
TOTAL_NAME = {"pass": "Pass", "fail": "Fail", "none": "None",
              "temperror": "TempError", "permerror": "PermError",
              "quarantine": "Quarantined", "reject": "Rejected",
              "ignored": "Not Evaluated"}


class Out:
    def __init__(self):
        self.lines = []

    def open(self, depth, tag):
        self.lines.append("\t" * depth + "<%s>" % tag)

    def close(self, depth, tag):
        self.lines.append("\t" * depth + "</%s>" % tag)

    def leaf(self, depth, tag, value=""):
        self.lines.append("\t" * depth + "<%s>%s</%s>" % (tag, escape(str(value)), tag))


def ds_name(key):
    return "dmarc_" + key


def total_ds_name(key):
    return "total_" + key


def data_template_item(o, key, name, minimum="0", maximum="U"):
    assert len(name) <= 19, name
    o.open(3, key)
    for tag, value in (("data_source_name", name), ("rrd_minimum", minimum),
                       ("rrd_maximum", maximum),
                       ("data_source_type_id", DERIVE),
                       ("rrd_heartbeat", 600), ("data_input_field_id", 0)):
        o.leaf(4, "t_" + tag)
        o.leaf(4, tag, value)
    o.close(3, key)


def data_template(o, key, name, ds_title, data_input, items, data):
    """items: [(item hash, DS name)]; data: [(field hash, t_value, value)]"""
    tag = h("data_template", key)
    o.open(1, tag)
    o.leaf(2, "name", name)
    o.open(2, "ds")
    o.leaf(3, "t_name")
    o.leaf(3, "name", ds_title)
    o.leaf(3, "data_source_path")
    o.leaf(3, "data_input_id", data_input)
    o.leaf(3, "t_data_source_profile_id")
    o.leaf(3, "data_source_profile_id", PROFILE_5MIN)
    o.leaf(3, "t_rrd_step")
    o.leaf(3, "rrd_step", 300)
    o.leaf(3, "t_active")
    o.leaf(3, "active", "on")
    o.close(2, "ds")
    o.open(2, "items")
    for item_hash, name in items:
        data_template_item(o, item_hash, name)
    o.close(2, "items")
    o.open(2, "data")
    for i, (field, t_value, value) in enumerate(data):
        o.open(3, "item_%03d" % i)
        o.leaf(4, "data_input_field_id", field)
        o.leaf(4, "t_value", t_value)
        o.leaf(4, "value", value)
        o.close(3, "item_%03d" % i)
    o.close(2, "data")
    o.close(1, tag)


GRAPH_FIELDS = [("title", None), ("vertical_label", "messages / second"),
                ("image_format_id", 1), ("height", 150), ("width", 600),
                ("base_value", 1000), ("slope_mode", "on"),
                ("auto_scale", "on"), ("auto_scale_opts", 2),
                ("auto_scale_log", ""), ("scale_log_units", ""),
                ("auto_scale_rigid", ""), ("upper_limit", 100),
                ("lower_limit", 0), ("unit_value", ""),
                ("unit_exponent_value", ""), ("unit_length", ""),
                ("no_gridfit", ""), ("alt_y_grid", ""), ("right_axis", ""),
                ("right_axis_label", ""), ("right_axis_format", 0),
                ("right_axis_formatter", ""), ("left_axis_formatter", ""),
                ("auto_padding", "on"), ("dynamic_labels", ""),
                ("force_rules_legend", ""), ("tab_width", ""),
                ("legend_position", ""), ("legend_direction", "")]


def graph_template(o, key, name, title, series):
    """series: [(DS item hash, graph type, colour, alpha, legend)]; a
    series with a legend gets Current/Average/Maximum GPRINTs."""
    tag = h("graph_template", key)
    o.open(1, tag)
    o.leaf(2, "name", name)
    o.open(2, "graph")
    for field, value in GRAPH_FIELDS:
        o.leaf(3, "t_" + field, "on" if field == "title" else "")
        o.leaf(3, field, title if field == "title" else value)
    o.close(2, "graph")
    o.open(2, "items")
    seq = 0
    uses = {}  # DS item hash -> graph item keys, for the inputs

    def item(ds, gtype, colour, alpha, cf, text, hard_return):
        nonlocal seq
        seq += 1
        ikey = "%s/item/%02d" % (key, seq)
        uses.setdefault(ds, []).append(ikey)
        itag = h("graph_template_item", ikey)
        o.open(3, itag)
        for f, v in (("graph_type_id", gtype), ("task_item_id", ds),
                     ("color_id", colour), ("alpha", alpha),
                     ("consolidation_function_id", cf), ("cdef_id", 0),
                     ("vdef_id", 0), ("shift", ""), ("value", ""),
                     ("gprint_id", GPRINT_NORMAL), ("textalign", ""),
                     ("text_format", text),
                     ("hard_return", "on" if hard_return else ""),
                     ("line_width", "1.00" if gtype == GT_LINE1 else "0.00"),
                     ("dashes", ""), ("dash_offset", 0), ("sequence", seq)):
            o.leaf(4, f, v)
        o.close(3, itag)

    for ds, gtype, colour, alpha, legend in series:
        item(ds, gtype, colour, alpha, CF_AVERAGE, legend, False)
        if legend:
            item(ds, GT_GPRINT, 0, "FF", CF_LAST, "Current:", False)
            item(ds, GT_GPRINT, 0, "FF", CF_AVERAGE, "Average:", False)
            item(ds, GT_GPRINT, 0, "FF", CF_MAX, "Maximum:", True)
    o.close(2, "items")
    o.open(2, "inputs")
    for ds, legend in inputs_of(series):
        ikey = "%s/input/%s" % (key, ds)
        itag = h("graph_template_input", ikey)
        o.open(3, itag)
        o.leaf(4, "name", legend + " Data Source")
        o.leaf(4, "description")
        o.leaf(4, "column_name", "task_item_id")
        # the inputs name graph items with the graph template's type code
        o.leaf(4, "items", "|".join(
            "hash_" + TYPE["graph_template"] + VERSION +
            h("graph_template_item", k)[-32:] for k in uses[ds]))
        o.close(3, itag)
    o.close(2, "inputs")
    o.close(1, tag)


def inputs_of(series):
    seen = []
    for ds, _, _, _, legend in series:
        if ds not in [s for s, _ in seen]:
            seen.append((ds, legend or "Base"))
    return seen


def stacked(items):
    """The series of a DMARC graph: results stacked on a green Pass area;
    then the dispositions drawn over the bottom of the Fail band (they
    are part of it), on an invisible copy of the Pass area."""
    series = []
    for i, (key, legend, colour) in enumerate(RESULTS):
        series.append((items[key], GT_AREA if i == 0 else GT_STACK,
                       colour, "FF", legend))
    series.append((items["pass"], GT_AREA, "00FF00", "00", ""))
    for key, legend, colour in DISPOSITIONS:
        series.append((items[key], GT_STACK, colour, "FF", legend))
    return series


def main():
    o = Out()
    o.open(0, "cacti")

    # --- per domain: data template, graph template, data query -----------
    keys = [k for k, _, _ in RESULTS] + [k for k, _, _ in DISPOSITIONS]
    ditems = {k: h("data_template_item", "domain/ds/" + k) for k in keys}
    data_template(
        o, "domain", "DMARC milter - Domain",
        "|host_description| - DMARC - |query_dmarcDomainName| (|query_dmarcDomainPolicy|)",
        GET_SNMP_INDEXED, [(ditems[k], ds_name(k)) for k in keys],
        [(stock("data_input_field", f), t, "") for f, t in INDEXED_FIELDS])
    graph_template(
        o, "graph/domain", "DMARC milter - Domain",
        "|host_description| - DMARC - |query_dmarcDomainName| (|query_dmarcDomainPolicy|)",
        stacked(ditems))

    tag = h("data_query", "query/domains")
    o.open(1, tag)
    o.leaf(2, "name", "DMARC milter - Domains")
    o.leaf(2, "description",
           "Per-domain DMARC results and dispositions (DMARC-MILTER-MIB::dmarcDomainTable)")
    o.leaf(2, "xml_path", "<path_cacti>/resource/snmp_queries/dmarc_milter_domains.xml")
    o.leaf(2, "data_input_id", GET_SNMP_INDEXED)
    o.open(2, "graphs")
    gtag = h("dq_graph", "query/domains/graph")
    o.open(3, gtag)
    o.leaf(4, "graph_template_id", h("graph_template", "graph/domain"))
    o.leaf(4, "name", "DMARC per domain")
    o.open(4, "rrd")
    for i, k in enumerate(keys):
        o.open(5, "item_%03d" % i)
        o.leaf(6, "snmp_field_name", DOMAIN_FIELD[k])
        o.leaf(6, "data_template_id", h("data_template", "domain"))
        o.leaf(6, "data_template_rrd_id", ditems[k])
        o.close(5, "item_%03d" % i)
    o.close(4, "rrd")
    o.open(4, "sv_graph")
    stag = h("dq_sv_graph", "query/domains/graph/sv/title")
    o.open(5, stag)
    o.leaf(6, "field_name", "title")
    o.leaf(6, "sequence", 1)
    o.leaf(6, "text", "|host_description| - DMARC - |query_dmarcDomainName| (|query_dmarcDomainPolicy|)")
    o.close(5, stag)
    o.close(4, "sv_graph")
    o.open(4, "sv_data_source")
    stag = h("dq_sv_ds", "query/domains/graph/svds/name")
    o.open(5, stag)
    o.leaf(6, "field_name", "name")
    o.leaf(6, "data_template_id", h("data_template", "domain"))
    o.leaf(6, "sequence", 1)
    o.leaf(6, "text", "|host_description| - DMARC - |query_dmarcDomainName| (|query_dmarcDomainPolicy|)")
    o.close(5, stag)
    o.close(4, "sv_data_source")
    o.close(3, gtag)
    o.close(2, "graphs")
    o.close(1, tag)

    # --- totals: one "Get SNMP Data" template per scalar ------------------
    titems = {}
    for k, sub in TOTAL_OID.items():
        titems[k] = h("data_template_item", "total/%s/ds" % k)
        data_template(
            o, "total/" + k, "DMARC milter - Total " + TOTAL_NAME[k],
            "|host_description| - DMARC - Total " + TOTAL_NAME[k],
            GET_SNMP, [(titems[k], total_ds_name(k))],
            [(stock("data_input_field", f), "",
              "%s.1.2.%d.0" % (ROOT, sub) if f == SNMP_OID_FIELD else "")
             for f in SNMP_FIELDS])
    series = stacked(titems)
    series.append((titems["ignored"], GT_LINE1, "000000", "FF",
                   "Not evaluated"))
    graph_template(o, "graph/totals", "DMARC milter - All Domains",
                   "|host_description| - DMARC - all domains", series)

    # --- the device template ----------------------------------------------
    tag = h("host_template", "host")
    o.open(1, tag)
    o.leaf(2, "name", "DMARC milter")
    o.leaf(2, "class", "application")
    o.leaf(2, "graph_templates", h("graph_template", "graph/totals"))
    o.leaf(2, "data_queries", h("data_query", "query/domains"))
    o.close(1, tag)

    o.close(0, "cacti")
    text = "\n".join(o.lines) + "\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
