"""A registry that wants a login: enough of the Docker Registry HTTP API V2 for the engine's
`docker login` and `docker pull` to reach it and send credentials (distribution/distribution
`registry/api/v2`, `registry/auth/htpasswd`: a request without credentials gets 401 with a
`Basic` challenge).

    python3 fakeregistry.py LOG_FILE

prints the port it listens on (127.0.0.1, which the engine treats as an insecure registry and
so reaches over plain HTTP), then serves until killed. Every request appends one JSON line to
LOG_FILE: its method, path and `Authorization` header.
"""

import http.server
import json
import sys

LOG = sys.argv[1]


class Registry(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body=b"", content_type="application/json"):
        self.send_response(status)
        # registry/api/v2: every response names the API version.
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="berth-test"')
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        auth = self.headers.get("Authorization")
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "auth": auth}) + "\n")
        if auth is None:
            self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
        elif self.path == "/v2/":
            self.answer(200, b"{}")
        else:
            # Any credentials pass; there is no image, so a pull ends here.
            self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Registry)
print(server.server_address[1], flush=True)
server.serve_forever()
