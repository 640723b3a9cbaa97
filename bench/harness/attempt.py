"""(e) Graded attempt -> score card in the SMTP mailbox, through the whole platform: POST
/exam/<name>/attempts to the platform's take-exam (graded there, stored in exams.score) ->
cdc-relay (change stream -> Debezium record) -> score-calc -> email-topic -> email -> SMTP
(aiosmtpd) -> a file in the Maildir. Every attempt is by a distinct student, so the card is
matched by its "Student: <email>" line. Attempts go at a steady rate; the Maildir's new/ folder
is listed every 2 ms. Latency = first sight of the card - start of the POST."""

from __future__ import annotations

import email
import email.policy
import http.client
import json
import os
import re
import threading
import time
import urllib.parse
import uuid

from common import summary
from takeexam import answers_file, exam_name, seed

STUDENT = re.compile(r"^Student: (\S+)", re.M)


class MaildirWatcher(threading.Thread):
    def __init__(self, maildir, prefix):
        super().__init__(daemon=True)
        self.dir = os.path.join(maildir, "new")
        self.prefix = prefix
        self.seen_files = set(os.listdir(self.dir))
        self.arrived = {}  # student email -> perf_counter time
        self.duplicates = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            now = time.perf_counter()
            for f in os.listdir(self.dir):
                if f in self.seen_files:
                    continue
                self.seen_files.add(f)
                try:
                    with open(os.path.join(self.dir, f), "rb") as fh:
                        msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
                    part = msg.get_body(("plain",))
                    text = part.get_content() if part else ""
                except OSError:
                    continue
                m = STUDENT.search(text)
                if m and m.group(1).startswith(self.prefix):
                    if m.group(1) in self.arrived:
                        self.duplicates += 1
                    else:
                        self.arrived[m.group(1)] = now
            self.done.wait(0.002)


def run(ctx):
    seed(ctx, [20])
    name = exam_name(ctx, 20)
    url = urllib.parse.urlparse(ctx.endpoints["functions"]["take-exam"]["url"])
    n, rate = ctx.p["attempts"], ctx.p["attempt_rate"]
    prefix = f"bench-att-{ctx.run_id}-"
    students = [f"{prefix}{i}@example.org" for i in range(n)]
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    tokens = {}
    for s in students:  # the development sign-in of the platform's take-exam
        c.request("POST", "/dev/token", body=json.dumps({"email": s, "role": "student"}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        tokens[s] = json.loads(r.read())["token"]
    body = open(answers_file(ctx, 20, os.path.join(ctx.data_dir, "bench-logs", "answers-20.json"))).read()

    w = MaildirWatcher(ctx.maildir, prefix)
    w.start()
    sent = {}
    t_start = time.perf_counter()
    try:
        for i, s in enumerate(students):
            due = t_start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter()
            c.request("POST", f"/exam/{name}/attempts", body=body,
                      headers={"Authorization": f"Bearer {tokens[s]}", "Content-Type": "application/json",
                               "Idempotency-Key": uuid.uuid4().hex})
            r = c.getresponse()
            r.read()
            if r.status != 201:
                raise RuntimeError(f"POST attempt answered {r.status}")
            sent[s] = t0
        deadline = time.perf_counter() + 60
        while len(w.arrived) < n and time.perf_counter() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a late duplicate would show up here
    finally:
        w.done.set()
        w.join(2)
        c.close()
    lat = [(w.arrived[s] - sent[s]) * 1e3 for s in students if s in w.arrived and s in sent]
    return {"n": n, "rate_per_s": rate, "delivered": len(lat), "missing": n - len(lat), "duplicates": w.duplicates,
            "ms": summary(lat)}
