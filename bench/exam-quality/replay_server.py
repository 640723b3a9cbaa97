#!/usr/bin/env python3
"""A chat server that answers nothing new, for replays (replay.sh).

    replay_server.py PORT MODEL

`GET /v1/models` lists MODEL, so exam-gen's writing path takes the model
source; every `POST` (a chat completion the cache did not hold) is refused
with 503, so after two refusals the source stops, as with a server gone
away. The exams are then written from the cached answers alone, exactly as
the live run that filled the cache wrote them (checked: the same questions
in the same order on the ten labelled lectures).
"""
import http.server
import json
import sys


def main(argv):
    port, model = int(argv[0]), argv[1]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"object": "list", "data": [{"id": model, "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
