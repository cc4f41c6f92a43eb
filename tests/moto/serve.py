"""A moto server for the AWS adapter tests, with DynamoDB requests serialized.

Why not plain `moto_server`: it serves requests on several threads, and when a
DynamoDB TransactWriteItems is cancelled moto restores a copy of the table taken when
the transaction started, silently undoing writes other threads committed meanwhile.
Real DynamoDB never does that, and our race tests (gapless sequence numbers, the
guest-never-alone rule) would fail for the emulator's sake. One lock around DynamoDB
requests removes the race; every other service stays concurrent, so an SQS long poll
does not stall the tables.

Usage: python3 tests/moto/serve.py PORT   (listens on 127.0.0.1)
"""

import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


class SerializedDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            # Materialize the body inside the lock: the work happens while iterating.
            return list(self.app(environ, start_response))


def main():
    port = int(sys.argv[1])
    app = SerializedDynamoDB(DomainDispatcherApplication(create_backend_app))
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
