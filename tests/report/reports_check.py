#!/usr/bin/env python3
"""reports_check.py: an independent reader for tests/report/t-reports.sh.

  reports_check.py expect HISTORY...
      What the reports must count, from the history files themselves:
      one "domain disposition dkim spf count" line per combination.
  reports_check.py mails MAILDIR XSD SUBMITTER
      One "destination domain report_id digest" line per delivered
      report (digest: of its XML), after checking the mail (subject,
      attachment, its name, gzip) and the XML (xmllint --schema XSD, then
      ElementTree); "bad FILE: why" for a report that fails a check.
  reports_check.py counts MAILDIR XSD SUBMITTER
      The "expect" lines, added up from the delivered reports (each
      report_id once; a report sent twice must be the same XML).

Only the Python standard library and xmllint: nothing of ours is used to
read what our program wrote.
"""
import collections
import email
import email.policy
import gzip
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NS = "{urn:ietf:params:xml:ns:dmarc-2.0}"
SUBJECT = re.compile(r"^Report Domain: (\S+) Submitter: (\S+) "
                     r"Report-ID: <([A-Za-z0-9]+)>$")


def history_records(path):
    """Each whole record of a HistoryFile as a dict of its keys."""
    rec = None
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            if key == "job":
                rec = {"job": value}
            elif rec is not None:
                rec.setdefault(key, value)
                if key == "action":
                    yield rec
                    rec = None


def disposition(rec):
    """RFC 9990's word for OpenDMARC's action and policy codes."""
    action, policy = int(rec["action"]), int(rec["policy"])
    if action in (0, 1):
        return "reject"
    if action == 4:
        return "quarantine"
    return "pass" if policy == 15 else "none"


def expect(paths):
    counts = collections.Counter()
    for path in paths:
        for rec in history_records(path):
            if rec.get("policy") == "14" or rec.get("pdomain", "-") == "-" \
                    or rec.get("rua", "-") == "-":
                continue        # not reportable: no policy, no rua
            dkim = "pass" if rec.get("align_dkim") == "4" else "fail"
            spf = "pass" if rec.get("align_spf") == "4" else "fail"
            counts[(rec["pdomain"], disposition(rec), dkim, spf)] += 1
    return counts


def text(el, path):
    found = el.find(path)
    return None if found is None else (found.text or "")


def check_xml(data, xsd, domain, report_id):
    """The report's records; raises ValueError on any mismatch."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as tmp:
        tmp.write(data)
        tmp.flush()
        run = subprocess.run(["xmllint", "--noout", "--schema", xsd,
                              tmp.name], capture_output=True, text=True)
    if run.returncode != 0:
        raise ValueError("xmllint: " + run.stderr.strip().splitlines()[-1])
    root = ET.fromstring(data)
    if root.tag != NS + "feedback" or text(root, NS + "version") != "1.0":
        raise ValueError("not an RFC 9990 feedback element")
    meta = root.find(NS + "report_metadata")
    if text(meta, NS + "report_id") != report_id:
        raise ValueError("report_id differs from the subject's")
    if text(root, NS + "policy_published/" + NS + "domain") != domain:
        raise ValueError("policy_published/domain differs from the subject's")
    begin = text(meta, NS + "date_range/" + NS + "begin")
    end = text(meta, NS + "date_range/" + NS + "end")
    rows = collections.Counter()
    for rec in root.findall(NS + "record"):
        ev = rec.find(NS + "row/" + NS + "policy_evaluated")
        key = (domain, text(ev, NS + "disposition"), text(ev, NS + "dkim"),
               text(ev, NS + "spf"))
        rows[key] += int(text(rec, NS + "row/" + NS + "count"))
    return begin, end, rows


def read_mail(path, xsd, submitter):
    """(destination, domain, report_id, xml bytes, rows) of one mail."""
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    m = SUBJECT.match(str(msg["Subject"]))
    if m is None:
        raise ValueError("subject: %r" % str(msg["Subject"]))
    domain, sub, report_id = m.groups()
    if sub != submitter:
        raise ValueError("submitter %s" % sub)
    parts = [p for p in msg.walk()
             if p.get_content_type() == "application/gzip"]
    if len(parts) != 1:
        raise ValueError("%d application/gzip parts" % len(parts))
    data = gzip.decompress(parts[0].get_payload(decode=True))
    begin, end, rows = check_xml(data, xsd, domain, report_id)
    name = "%s!%s!%s!%s!%s.xml.gz" % (submitter, domain, begin, end,
                                       report_id)
    if parts[0].get_filename() != name:
        raise ValueError("attachment named %s, not %s"
                         % (parts[0].get_filename(), name))
    dest = str(msg["Delivered-To"]).strip()
    return dest, domain, report_id, data, rows


def maildir_files(maildir):
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                yield os.path.join(d, name)


def mails(maildir, xsd, submitter):
    lines, seen = [], {}
    total = collections.Counter()
    for path in maildir_files(maildir):
        try:
            dest, domain, rid, data, rows = read_mail(path, xsd, submitter)
        except (ValueError, OSError, EOFError) as e:
            lines.append("bad %s: %s" % (os.path.basename(path), e))
            continue
        digest = hashlib.sha256(data).hexdigest()[:16]
        lines.append("%s %s %s %s" % (dest, domain, rid, digest))
        if rid in seen:
            if seen[rid] != digest:
                lines.append("bad %s: report %s sent again with other XML"
                             % (os.path.basename(path), rid))
            continue
        seen[rid] = digest
        total.update(rows)
    return sorted(lines), total


def show(counts):
    for key in sorted(counts):
        print(" ".join(key), counts[key])


def main(argv):
    if len(argv) >= 2 and argv[0] == "expect":
        show(expect(argv[1:]))
    elif len(argv) == 4 and argv[0] in ("mails", "counts"):
        lines, total = mails(argv[1], argv[2], argv[3])
        if argv[0] == "mails":
            print("\n".join(lines))
        else:
            for line in lines:
                if line.startswith("bad "):
                    print(line)
            show(total)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
