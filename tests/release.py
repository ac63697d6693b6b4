"""A local HTTP server standing in for GitHub's release downloads (weights published outside
the Hub): it serves one body, with the status asked for, and counts the requests."""

from __future__ import annotations

import http.server
import threading


class Release:
    """A local HTTP server standing in for GitHub's release downloads."""

    def __init__(self, body: bytes, status: int = 200, name: str = "ckpt_fast.pth") -> None:
        release = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                release.requests += 1
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.requests = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
