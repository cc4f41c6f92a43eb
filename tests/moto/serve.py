"""A moto server for the AWS adapter tests, with DynamoDB requests serialized.

Why not plain `moto_server`: it serves requests on several threads, and when a
DynamoDB TransactWriteItems is cancelled moto restores a copy of the table taken when
the transaction started, silently undoing writes other threads committed meanwhile.
Real DynamoDB never does that, and our race tests (gapless sequence numbers, the
guest-never-alone rule) would fail for the emulator's sake. One lock around DynamoDB
requests removes the race; every other service stays concurrent, so an SQS long poll
does not stall the tables.

A second fix is for speed only: before a TransactWriteItems, moto backs up the table by
deep-copying it once per *item* of the transaction, not once per table. A send with
ConditionChecks has seven items, so every send copied the whole table seven times and
the emulator slowed down as tables grew (about 0.4 s a send at 800 items). One copy per
table per transaction is the same backup (all copies are taken before any item is
applied), so `OneBackupPerTable` makes the copies after the first return the first.

Usage: python3 tests/moto/serve.py PORT   (listens on 127.0.0.1)
"""

import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models

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


class OneBackupPerTable:
    """Stands in for the `copy` module inside moto's DynamoDB models during one
    transaction: a table is deep-copied once; other objects are copied as usual."""

    def __init__(self):
        self.tables = {}

    def deepcopy(self, obj, memo=None):
        if not isinstance(obj, dynamodb_models.Table):
            return copy.deepcopy(obj, memo)
        if id(obj) not in self.tables:
            self.tables[id(obj)] = copy.deepcopy(obj, memo)
        return self.tables[id(obj)]

    def __getattr__(self, name):
        return getattr(copy, name)


def with_one_backup_per_table(transact_write_items):
    def wrapped(self, transact_items):
        # Safe to swap the module global: DynamoDB requests are serialized above.
        dynamodb_models.copy = OneBackupPerTable()
        try:
            return transact_write_items(self, transact_items)
        finally:
            dynamodb_models.copy = copy

    return wrapped


def main():
    backend = dynamodb_models.DynamoDBBackend
    backend.transact_write_items = with_one_backup_per_table(backend.transact_write_items)
    port = int(sys.argv[1])
    app = SerializedDynamoDB(DomainDispatcherApplication(create_backend_app))
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
