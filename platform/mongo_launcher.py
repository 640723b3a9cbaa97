#!/usr/bin/env python3
"""Start the nx-27017 MongoDB-wire-protocol server with examfn's fixes.

No real ``mongod`` can be installed on the development machines, so tests
and the local platform use the SQLite-backed Python server ``nx-27017``
(pinned: ``nx-27017==0.8.1`` with ``neosqlite==1.17.2``). Out of the box
it works with the Rust ``mongodb`` 3.x driver for CRUD under
``?directConnection=true``, but change streams, ``?replicaSet=...`` URIs
and a few error paths trip the driver up. This launcher imports
``nx_27017``, monkey-patches those spots at runtime (nothing in the
installed package is edited) and then runs the stock ``main()`` with the
original command line:

    NX_REPLSET=rs0 python platform/mongo_launcher.py \\
        --host 127.0.0.1 -p PORT --data-dir DIR --log-file F --pid-file F

Environment:
    NX_REPLSET        replica-set name to advertise in hello replies (e.g.
                      ``rs0``). Unset: the server looks like a standalone,
                      so clients must use ``?directConnection=true``.
    NX_REPLSET_HOST   ``host:port`` to advertise as ``me``/``hosts``/
                      ``primary`` (default: ``--host``:``--port``; must be
                      the address clients put in their URI, otherwise the
                      driver drops the server from its topology).
    NX_AWAIT_MS       how long a change-stream getMore waits for events
                      when the client sends no maxTimeMS (default 1000, the
                      same as mongod's awaitData default).
    NX_MAX_THREADS    worker threads serving requests (default 64).
    NX_TRACE          set to 1 to log every command name, cursor id and
                      ok/code (handy when a driver misbehaves).

Every patch below states which symptom it fixes. The hook points are
specific to nx-27017 0.8.1; ``_check_version`` refuses to run on another
version rather than patching the wrong code silently.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import functools
import itertools
import logging
import os
import random
import re
import sys
import threading
import time
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import neosqlite.collection.query_helper._sql_updates as neo_sql_updates
import neosqlite.collection.query_helper.update_operations as neo_update_operations
import nx_27017  # noqa: F401  (the package must be importable)
import nx_27017.changestream as nx_changestream
import nx_27017.handler as nx_handler
import nx_27017.nx_27017 as nx_main
import nx_27017.server as nx_server
from bson import ObjectId, Timestamp
from bson.int64 import Int64
from neosqlite.binary import Binary as NeoBinary
from neosqlite.changestream import ChangeStream as NeoChangeStream
from neosqlite.collection import Collection as NeoCollection
from neosqlite.collection.json_helpers import neosqlite_json_loads
from neosqlite.collection.jsonb_support import (
    json_data_column,
    supports_jsonb,
)
from neosqlite.objectid import ObjectId as NeoObjectId
from nx_27017.utils import convert_neo_to_bson_objectids

logger = logging.getLogger("nx_27017.examfn")

EXPECTED_VERSIONS = {"nx-27017": "0.8.1", "neosqlite": "1.17.2"}

HELLO_KEYS = ("ismaster", "isMaster", "hello", "Hello")

# MongoDB error codes used below.
CODE_UNKNOWN_ERROR = 8
CODE_CURSOR_NOT_FOUND = 43
CODE_COMMAND_NOT_SUPPORTED = 115
CODE_DUPLICATE_KEY = 11000


def _check_version() -> None:
    """Refuse to patch a different nx-27017/neosqlite than the one we read.

    Monkey-patches are tied to private names and code shapes of one
    release; on another release they could silently do nothing (or the
    wrong thing), which would show up much later as flaky tests.
    """
    for dist, want in EXPECTED_VERSIONS.items():
        try:
            have = metadata.version(dist)
        except metadata.PackageNotFoundError:
            have = None
        if have != want:
            sys.exit(
                f"mongo_launcher: need {dist}=={want}, found {have}; "
                "re-check the patches in platform/mongo_launcher.py"
            )


def _command_body(msg: Any) -> dict[str, Any]:
    """The command document of a parsed OP_MSG (section kind 0)."""
    if isinstance(msg, dict):
        for kind, doc in msg.get("sections") or ():
            if kind == "body" and isinstance(doc, dict):
                return doc
    return {}


def _is_duplicate_key(text: str) -> bool:
    # SQLite reports unique-index violations as
    # "UNIQUE constraint failed: ..."; keep "duplicate key" for safety.
    upper = text.upper()
    return "UNIQUE CONSTRAINT" in upper or "DUPLICATE KEY" in upper


def _error_reply(exc_or_msg: Any, code: int | None = None) -> dict[str, Any]:
    message = str(exc_or_msg)
    if code is None:
        code = (
            CODE_DUPLICATE_KEY
            if _is_duplicate_key(message)
            else CODE_UNKNOWN_ERROR
        )
    return _with_error_code({"ok": 0, "errmsg": message, "code": code})


def _with_error_code(reply: dict[str, Any]) -> dict[str, Any]:
    """Give an ``ok: 0`` reply the ``code`` the Rust driver requires.

    The Rust driver deserialises failed replies into ``CommandError``
    whose ``code`` field is mandatory; nx-27017 answers many failures with
    only ``{ok: 0, errmsg}``, which the driver turns into an opaque
    ``InvalidResponse("error deserializing command error: missing field
    code")``. Duplicate keys get 11000 so callers can recognise them.
    """
    if reply.get("ok") in (0, 0.0, False):
        message = str(reply.get("errmsg", ""))
        if "code" not in reply:
            reply["code"] = (
                CODE_DUPLICATE_KEY
                if _is_duplicate_key(message)
                else CODE_UNKNOWN_ERROR
            )
        reply.setdefault(
            "codeName",
            {
                CODE_DUPLICATE_KEY: "DuplicateKey",
                CODE_COMMAND_NOT_SUPPORTED: "CommandNotSupported",
                CODE_CURSOR_NOT_FOUND: "CursorNotFound",
            }.get(reply["code"], "UnknownError"),
        )
        if reply["code"] == CODE_DUPLICATE_KEY and "E11000" not in message:
            reply["errmsg"] = f"E11000 duplicate key error: {message}"
    return reply


def _fix_write_errors(reply: dict[str, Any]) -> dict[str, Any]:
    """Make duplicate-key write errors look like mongod's.

    nx-27017 already sets ``code: 11000`` in ``writeErrors``; add
    ``codeName`` and the conventional "E11000" message prefix so code or
    logs that look at either (as some tools do) behave as with mongod.
    """
    for err in reply.get("writeErrors") or ():
        if isinstance(err, dict) and err.get("code") == CODE_DUPLICATE_KEY:
            err.setdefault("codeName", "DuplicateKey")
            msg = str(err.get("errmsg", ""))
            if "E11000" not in msg:
                err["errmsg"] = f"E11000 duplicate key error: {msg}"
    return reply


# ---------------------------------------------------------------------------
# 1. Cursor ids: BSON int64, and not reused after a restart.
# ---------------------------------------------------------------------------
def patch_cursor_ids() -> None:
    """Number change-stream and data cursors from random int64 bases.

    * nx-27017 numbers change-stream cursors from 1000; pymongo's encoder
      writes Python ints below 2**31 as BSON int32, and the Rust driver
      deserialises ``cursor.id`` strictly as i64, so ``watch()`` failed on
      the first reply. Ids of 2**31 and above always go out as int64.
    * Both counters restarted at the same value in every process (1000
      and 10**12). After a server restart a driver still holding a cursor
      id from the previous process hits whatever new cursor got that id:
      seen with the Rust driver resuming a change stream - it opened the
      new stream (id 1000 again), then its async killCursors for the old
      id killed the new stream, and the watch ended silently. A find
      cursor iterated across a restart could likewise read another
      client's results. Random bases make reuse practically impossible.
    getMore/killCursors look change-stream ids up first and data ids
    second, so the ranges stay disjoint: data cursors in [2**40, 2**60),
    change streams in [2**61, 2**62); both far from overflowing int64.
    """
    rng = random.SystemRandom()
    nx_changestream._cursor_id_counter = itertools.count(
        2**61 + rng.randrange(2**60)
    )
    nx_handler._data_cursor_id_counter = itertools.count(
        2**40 + rng.randrange(2**59)
    )


# ---------------------------------------------------------------------------
# 2-4. Change events in the shape the Rust driver (and mongod) produce.
# ---------------------------------------------------------------------------
def _epoch_from_sqlite(ts: Any) -> datetime | None:
    """Parse SQLite's CURRENT_TIMESTAMP text ('YYYY-MM-DD HH:MM:SS', UTC)."""
    if not isinstance(ts, str):
        return None
    try:
        return datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=timezone.utc
        )
    except ValueError:
        return None


def _decode_stored(data: Any) -> Any:
    """Decode a stored document like a normal read does.

    The stock translation uses plain ``json.loads``, so ObjectIds came out
    as ``{'__neosqlite_objectid__': True, 'id': hex}`` and datetimes as
    ``{'$date': iso}`` (in ``_id``, ``fullDocument._id`` and any nested
    field). neosqlite's own loader restores them; the result is then
    converted to pymongo's bson types (ObjectId, Decimal128).
    """
    if data is None:
        return None
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if not isinstance(data, str) or not data:
        return None
    return convert_neo_to_bson_objectids(neosqlite_json_loads(data))


def _restore_key(document_id_value: Any, full: Any, fallback: Any) -> Any:
    """documentKey._id: prefer the stored document's own ``_id``.

    The ``_id`` column of the change log is TEXT, so integer ids came back
    as strings ('42') and ObjectIds only worked by accident of being hex.
    The document body keeps the real type.
    """
    if isinstance(full, dict) and "_id" in full:
        return full["_id"]
    if isinstance(document_id_value, str):
        text = document_id_value.strip()
        if text.startswith("{"):
            try:
                return _decode_stored(text)
            except ValueError:
                pass
        if re.fullmatch(r"[0-9a-fA-F]{24}", text):
            return ObjectId(text)
    return convert_neo_to_bson_objectids(fallback)


def _stream_options(stream: Any) -> dict[str, Any]:
    for stage in stream.pipeline or ():
        if isinstance(stage, dict) and isinstance(
            stage.get("$changeStream"), dict
        ):
            return stage["$changeStream"]
    return {}


def _update_description(before: Any, after: Any) -> dict[str, Any]:
    """Top-level diff of two document images (mongod reports dotted paths
    for nested changes; here a changed sub-document is reported whole)."""
    before = before if isinstance(before, dict) else {}
    updated = {
        key: value
        for key, value in after.items()
        if key != "_id" and (key not in before or before[key] != value)
    }
    removed = [key for key in before if key not in after and key != "_id"]
    return {
        "updatedFields": updated,
        "removedFields": removed,
        "truncatedArrays": [],
    }


def patch_change_events() -> None:
    """Rebuild each change event from the change-log row.

    Fixes, relative to nx-27017's ``ChangeStreamManager._translate_row``:
    * ``clusterTime`` was a datetime; the driver wants a BSON Timestamp.
      We use (time the row was logged, row id) so it is monotonic.
      ``wallTime`` is the logged time too (second precision: SQLite's
      CURRENT_TIMESTAMP), not the time of the getMore, so replayed events
      keep their original time.
    * ``_id`` values (fullDocument, documentKey, nested fields) and dates
      are decoded with neosqlite's loader, see ``_decode_stored``; integer
      ``_id``s no longer turn into strings in documentKey.
    * ``updateDescription: null`` is gone. For updates it is computed
      against the previous image of the same document in the change log
      (top-level fields); if that image was already pruned it falls back
      to "every field updated", which still yields the right document
      when applied, but cannot list removed fields.
    * ``fullDocument`` follows mongod: always on insert, on update only
      with ``fullDocument: updateLookup|whenAvailable|required`` (here it
      is the post-image at event time), never on delete.
      ``fullDocumentBeforeChange: whenAvailable|required`` is honoured
      from the change log (previous image; the deleted document).
    nx-27017 logs replace_one as an ``update`` event (the trigger cannot
    tell them apart); it is reported as ``update`` with a full diff.
    """

    def _translate_row(self, stream, rowid, row):
        event = original(self, stream, rowid, row)
        if event is None:
            return None
        operation = row[1]
        document_id = row[2]
        document_data = row[3]
        document_id_value = row[4]

        with self._lock:
            tracker = self._trackers.get(
                (stream.db_name, stream.collection_name)
            )
        db = tracker["collection"].db if tracker else None

        logged_at = None
        before = None
        if db is not None:
            try:
                found = db.execute(
                    "SELECT timestamp FROM _neosqlite_changestream "
                    "WHERE id = ?",
                    (rowid,),
                ).fetchone()
                logged_at = _epoch_from_sqlite(found[0] if found else None)
                if operation == "update":
                    data_expr = json_data_column(
                        supports_jsonb(db), "document_data"
                    )
                    found = db.execute(
                        f"SELECT {data_expr} FROM _neosqlite_changestream "
                        "WHERE collection_name = ? AND document_id = ? "
                        "AND id < ? AND operation != 'delete' "
                        "ORDER BY id DESC LIMIT 1",
                        (stream.collection_name, document_id, rowid),
                    ).fetchone()
                    before = _decode_stored(found[0]) if found else None
            except Exception as exc:  # change log is best effort
                logger.debug("change-event lookup failed: %s", exc)

        try:
            image = _decode_stored(document_data)
        except ValueError:
            image = None
        key = _restore_key(
            document_id_value,
            image,
            (event.get("documentKey") or {}).get("_id"),
        )
        if isinstance(image, dict) and "_id" not in image:
            image["_id"] = key

        when = logged_at or datetime.now(timezone.utc)
        options = _stream_options(stream)
        full_mode = options.get("fullDocument") or "default"
        before_mode = options.get("fullDocumentBeforeChange") or "off"

        out: dict[str, Any] = {
            "_id": event["_id"],  # resume token {_data: "nx:<rowid>"}
            "operationType": operation,
            "clusterTime": Timestamp(
                int(when.timestamp()), int(rowid) & 0xFFFFFFFF
            ),
            "wallTime": when,
            "ns": event.get("ns"),
            "documentKey": {"_id": key},
        }
        if operation == "insert":
            out["fullDocument"] = image
        elif operation == "update":
            if isinstance(image, dict):
                out["updateDescription"] = _update_description(before, image)
            if full_mode in ("updateLookup", "whenAvailable", "required"):
                out["fullDocument"] = image
            if before_mode in ("whenAvailable", "required"):
                out["fullDocumentBeforeChange"] = before
        elif operation == "delete":
            if before_mode in ("whenAvailable", "required"):
                out["fullDocumentBeforeChange"] = image
        return out

    original = nx_changestream.ChangeStreamManager._translate_row
    nx_changestream.ChangeStreamManager._translate_row = _translate_row


# ---------------------------------------------------------------------------
# 5. hello / isMaster: optionally look like a one-member replica set.
# ---------------------------------------------------------------------------
_ELECTION_ID = ObjectId("7fffffff0000000000000001")


def _augment_hello(reply: dict[str, Any], body: dict[str, Any], me: str):
    """Add the fields a driver needs to see a replica-set primary.

    With ``?replicaSet=rs0`` (and no directConnection) the Rust driver
    only accepts a server whose hello reply carries ``setName`` equal to
    the URI's set, and keeps it only if ``me``/``hosts`` contain the
    address it dialled. Replica-set topology is also what enables
    retryable writes and lets code written for a real replica set (as
    Debezium and change streams need in production) run unchanged.
    """
    replset = os.environ.get("NX_REPLSET", "").strip()
    reply.setdefault("isWritablePrimary", True)
    if "ismaster" in body or "isMaster" in body:
        reply.setdefault("ismaster", True)
    if body.get("helloOk"):
        # mongod echoes helloOk so drivers switch to the `hello` command.
        reply.setdefault("helloOk", True)
    if not replset:
        return reply
    now = datetime.now(timezone.utc)
    optime = {"ts": Timestamp(int(now.timestamp()), 1), "t": Int64(1)}
    reply.update(
        {
            "setName": replset,
            "setVersion": 1,
            "hosts": [me],
            "primary": me,
            "me": me,
            "secondary": False,
            "electionId": _ELECTION_ID,
            "lastWrite": {
                "opTime": optime,
                "lastWriteDate": now,
                "majorityOpTime": optime,
                "majorityWriteDate": now,
            },
        }
    )
    return reply


# ---------------------------------------------------------------------------
# 6. Update operators keep BSON types (bool, date, ObjectId) on existing docs.
# ---------------------------------------------------------------------------
class _JsonScalar(NeoBinary):
    """A scalar SQLite cannot bind as itself, to be bound as JSON text.

    Carrier for ``patch_update_types``: the SQL update tier already binds
    ``Binary`` values as ``json(?)`` with neosqlite's JSON encoding (see
    every ``isinstance(..., Binary)`` branch in ``_sql_updates``), so
    posing as a Binary routes a bool/datetime/ObjectId through exactly
    that path. ``encode_for_storage`` is only called by neosqlite's JSON
    encoder, which then encodes the wrapped value as it does on insert:
    ``true``, ``{"$date": iso}``, ``{"__neosqlite_objectid__": ...}``.
    """

    def __new__(cls, value: Any):
        obj = super().__new__(cls, b"")
        obj.value = value
        return obj

    def encode_for_storage(self) -> Any:
        return self.value


# Values a bare SQLite parameter would corrupt: bool binds as INTEGER 0/1,
# datetime through sqlite3's default adapter as the TEXT 'YYYY-MM-DD
# HH:MM:SS.ffffff', and ObjectId cannot be bound at all (the SQL tier
# raised and the whole update fell back to the Python tier).
_UNBINDABLE = (bool, datetime, NeoObjectId, ObjectId)

# JSON text of one json_each() row. json_each hands out true/false as the
# integers 1/0, and objects/arrays as plain text once they pass through a
# subquery (the JSON subtype is lost), so arrays rebuilt with
# json_group_array(value) turned booleans into 0/1 and dates, ObjectIds and
# sub-documents into strings.
_ELEMENT_JSON = (
    "json(CASE type WHEN 'text' THEN json_quote(value) "
    "WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
    "WHEN 'null' THEN 'null' ELSE value END)"
)


def _keep_array_elements(sql: str) -> str:
    """Rebuild arrays in generated SQL from each element's JSON text.

    Two shapes occur: ``json_group_array(value) FROM json_each(...)``
    ($pull, $pullAll: aggregate straight over json_each) and, for $push,
    ``json_group_array(value) FROM (<subquery>)`` over rows selected as
    ``SELECT value, <block> AS blk ... FROM json_each(...)``. In the
    latter the rows carry JSON text (made here) that json() re-parses.
    """
    for direct in ("json_group_array(value)", "json_group_array(json(value))"):
        sql = sql.replace(
            f"{direct} FROM json_each(",
            f"json_group_array({_ELEMENT_JSON}) FROM json_each(",
        )
    sql = sql.replace(
        "json_group_array(value) FROM (", "json_group_array(json(value)) FROM ("
    )
    for block in ("0", "1", "2"):  # $push's front / inserted / tail rows
        sql = sql.replace(
            f"SELECT value, {block} AS blk",
            f"SELECT {_ELEMENT_JSON} AS value, {block} AS blk",
        )
    return sql


def patch_update_types() -> None:
    """Stop updates of existing documents from degrading BSON types.

    Symptom: ``$set`` (update/findAndModify) on an existing document stored
    ``true`` as ``1`` and a BSON date as the string '2024-05-06
    07:08:09.123000', so the Rust driver then failed to deserialise bool
    and DateTime fields. Inserts and upserts that insert were fine.
    Cause: neosqlite serves such updates with its SQL tier
    (``_perform_enhanced_sql_update`` / ``_build_sql_update_clause`` in
    ``neosqlite/collection/query_helper/_sql_updates.py``), which puts
    scalar values into ``json_set/json_insert/json_replace(data, path, ?)``
    as bare SQLite parameters; only dict/list/Binary values went in as
    ``json(?)`` with neosqlite's JSON encoding. Same for ``$push`` of a
    scalar, ``$max``/``$min`` (dates also compared as text), ``$addToSet``.
    Inserts (and the Python tier used for upserts) serialise the whole
    document with neosqlite's encoder, hence no problem there.

    Fixes, all inside the SQL tier (so dotted paths keep working there;
    neosqlite's Python tier ignores dots for most operators):
    * ``_convert_bytes_to_binary`` as seen by ``_sql_updates`` (it runs
      on every value before binding) wraps bool/datetime/ObjectId in
      ``_JsonScalar``, so they are bound as ``json(?)``. ``$max``/``$min``
      on dates then compare the ``{"$date": iso}`` JSON texts, which order
      like the dates (nx-27017 hands neosqlite naive UTC datetimes).
    * Arrays rebuilt in SQL (``$push`` with ``$each``/``$position``/
      ``$slice``, ``$pull``, ``$pullAll``) keep each element's JSON type
      (``_keep_array_elements``); before, one such update turned every
      boolean, date, ObjectId and sub-document already in the array into
      0/1 or strings.
    * ``$pull``/``$pullAll``/``$addToSet`` with a bool/date/ObjectId
      operand use the Python tier: their SQL compares elements with
      ``value = ?`` or ``json(value) = json(?)``, where json_each's
      ``true`` is the integer 1, and ``$pull`` inlines the operand's JSON
      into the SQL text.
    * Upserts (``doc_id == 0``, Python tier): ``$setOnInsert`` is applied
      like ``$set`` (same thing on insert), so ``"a.b"`` keys create
      sub-documents instead of a literal ``"a.b"`` field.
    Integer width is not kept: documents are stored as JSON, and every
    integer goes out as int32 when it fits, int64 otherwise (as after an
    insert); serde reads either into i64.
    """
    original_convert = neo_sql_updates._convert_bytes_to_binary

    def convert(value):
        if isinstance(value, _UNBINDABLE):
            return _JsonScalar(value)
        return original_convert(value)

    neo_sql_updates._convert_bytes_to_binary = convert

    mixin = neo_sql_updates.SqlUpdatesMixin

    original_push = mixin._build_push_position_slice_clause

    @functools.wraps(original_push)
    def push_clause(*args, **kwargs):
        built = original_push(*args, **kwargs)
        if built is None:
            return None
        fragment, params = built
        return _keep_array_elements(fragment), params

    mixin._build_push_position_slice_clause = staticmethod(push_clause)

    original_clause = mixin._build_sql_update_clause

    @functools.wraps(original_clause)
    def sql_update_clause(self, op, value):
        clauses, params = original_clause(self, op, value)
        if op in ("$pull", "$pullAll"):
            clauses = [_keep_array_elements(c) for c in clauses]
        return clauses, params

    mixin._build_sql_update_clause = sql_update_clause

    def unbindable(operand) -> bool:
        if isinstance(operand, dict) and "$each" in operand:
            operand = operand["$each"]
        if isinstance(operand, list):
            return any(isinstance(v, _UNBINDABLE) for v in operand)
        return isinstance(operand, _UNBINDABLE)

    original_can_use = mixin._can_use_sql_updates

    @functools.wraps(original_can_use)
    def can_use_sql_updates(self, update_spec, doc_id, original_doc=None):
        for op in ("$pull", "$pullAll", "$addToSet"):
            spec = update_spec.get(op)
            if isinstance(spec, dict) and any(
                unbindable(v) for v in spec.values()
            ):
                return False
        return original_can_use(self, update_spec, doc_id, original_doc)

    mixin._can_use_sql_updates = can_use_sql_updates

    updates = neo_update_operations.UpdateOperationsMixin
    original_python = updates._perform_python_update

    @functools.wraps(original_python)
    def perform_python_update(self, doc_id, update_spec, *args, **kwargs):
        on_insert = update_spec.get("$setOnInsert")
        if doc_id == 0 and isinstance(on_insert, dict):
            update_spec = {
                op: value
                for op, value in update_spec.items()
                if op != "$setOnInsert"
            }
            update_spec["$set"] = {**update_spec.get("$set", {}), **on_insert}
        return original_python(self, doc_id, update_spec, *args, **kwargs)

    updates._perform_python_update = perform_python_update


# ---------------------------------------------------------------------------
# Command-level wrappers: hello, error codes, findAndModify errors,
# change-stream validation and awaitData.
# ---------------------------------------------------------------------------
_fam_errors = threading.local()


def patch_find_and_modify() -> None:
    """Make findAndModify behave like mongod for errors and upserts.

    * Errors: nx-27017 wraps ``find_one_and_update/replace/delete`` in
      ``except Exception: doc = None``, so an upsert that hits a unique
      index came back as "no document" - examfn's idempotency would take
      a duplicate for a miss. We record the exception (thread-local: each
      request runs on its own worker thread) and the handle_command
      wrapper turns the reply into a command error (code 11000 for
      duplicate keys, as mongod does).
    * Upserts: neosqlite's ``find_one_and_update(upsert=True)`` inserts a
      document built from the filter and then applies the update with a
      separate ``update_one``. That (a) ignores ``$setOnInsert`` (applied
      only when neosqlite builds a new document), (b) is not atomic: when
      the update then violates a unique index the half-built document
      stays behind, and (c) emits two change events (insert of the bare
      filter document, then update) where mongod emits one insert. When
      nothing matches we instead run ``update_one(upsert=True)``, which
      builds the complete document first and inserts it once, then read
      it back for ``new: true``. Check and insert run under nx-27017's
      per-database lock (handle_command holds it, and inserts take it too
      after ``patch_handle_insert``), so nothing can slip in between.
    """

    def record(method):
        @functools.wraps(method)
        def recorder(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                _fam_errors.exc = exc
                raise

        return recorder

    original_update = NeoCollection.find_one_and_update

    def find_one_and_update(
        self,
        filter,
        update,
        projection=None,
        sort=None,
        upsert=False,
        return_document=False,
        array_filters=None,
        session=None,
        **kwargs,
    ):
        if upsert and self.find_one(filter, session=session) is None:
            result = self.update_one(
                filter,
                update,
                upsert=True,
                array_filters=array_filters,
                session=session,
            )
            if result.upserted_id is not None:
                if return_document:
                    return self.find_one(
                        {"_id": result.upserted_id}, projection, session=session
                    )
                return None
        return original_update(
            self,
            filter,
            update,
            projection=projection,
            sort=sort,
            upsert=upsert,
            return_document=return_document,
            array_filters=array_filters,
            session=session,
            **kwargs,
        )

    NeoCollection.find_one_and_update = record(
        functools.wraps(original_update)(find_one_and_update)
    )
    for name in ("find_one_and_replace", "find_one_and_delete"):
        setattr(NeoCollection, name, record(getattr(NeoCollection, name)))


def _watch_target_error(body: dict[str, Any]) -> dict[str, Any] | None:
    """Reject change streams nx-27017 would silently leave empty.

    nx-27017 tracks changes with per-collection SQLite triggers. A
    database-level ``db.watch()`` (``aggregate: 1``) or a collection whose
    name is not a plain identifier (dashes, dots like ``fs.files``) gets
    no triggers, and the stream just never delivers anything. Failing
    loudly (CommandNotSupported) beats a consumer waiting forever.
    """
    if "aggregate" not in body:
        return None
    pipeline = body.get("pipeline") or []
    if not nx_changestream.is_change_stream_pipeline(pipeline):
        return None
    target = body.get("aggregate")
    try:
        NeoChangeStream._sanitize_collection_name(target)
    except ValueError:
        return _with_error_code(
            {
                "ok": 0,
                "code": CODE_COMMAND_NOT_SUPPORTED,
                "errmsg": (
                    "nx-27017 supports change streams on collections named "
                    "[A-Za-z_][A-Za-z0-9_]* only (no database/cluster-level "
                    f"watch); got {target!r}"
                ),
            }
        )
    return None


def _cursor_not_found(cursor_id: int) -> dict[str, Any]:
    """mongod's answer to getMore on an unknown cursor.

    nx-27017 answers ``{ok: 1, cursor: {id: 0, nextBatch: []}}``, i.e.
    "cursor exhausted": a find iterated across a server restart silently
    lost its remaining documents, and a change stream simply ended. With
    CursorNotFound (43) drivers raise an error for finds and, for change
    streams (a resumable error), re-open the stream with their resume
    token, which is what makes ``watch()`` survive a server restart.
    """
    return _with_error_code(
        {
            "ok": 0,
            "code": CODE_CURSOR_NOT_FOUND,
            "errmsg": f"cursor id {cursor_id} not found",
        }
    )


def _await_ms(body: dict[str, Any]) -> float:
    raw = body.get("maxTimeMS")
    try:
        value = float(raw) if raw is not None else None
    except (TypeError, ValueError):
        value = None
    if not value or value <= 0:
        value = float(os.environ.get("NX_AWAIT_MS", "1000"))
    return value


_POLL_S = 0.05
_TRACE = os.environ.get("NX_TRACE", "") not in ("", "0")


def _trace(body: dict[str, Any], reply: dict[str, Any]) -> None:
    if not _TRACE:
        return
    name = next(iter(body), "?")
    cursor = reply.get("cursor") or {}
    batch = cursor.get("firstBatch", cursor.get("nextBatch"))
    logger.info(
        "trace %s=%r ok=%s code=%s cursor=%s batch=%s",
        name,
        body.get(name),
        reply.get("ok"),
        reply.get("code"),
        cursor.get("id"),
        None if batch is None else len(batch),
    )


def patch_handle_command(me: str) -> None:
    """Wrap ``NeoSQLiteHandler.handle_command``.

    * hello/isMaster replies get the replica-set fields (see
      ``_augment_hello``).
    * Exceptions escaping the handler became ``{ok: 0, errmsg}`` in the
      server loop, without ``code``; we build the reply here with one
      (see ``_with_error_code``), and fix up every ``ok: 0`` reply.
    * findAndModify failures are surfaced (see ``patch_find_and_modify``).
    * Untrackable change streams are refused (``_watch_target_error``).
    * getMore on an unknown cursor fails with CursorNotFound instead of
      looking exhausted (``_cursor_not_found``).
    * getMore on a change stream waits for events (awaitData). nx-27017
      answers at once with an empty batch and the driver immediately asks
      again, so every idle ``watch()`` spun a CPU core on request
      round-trips. We re-poll the change log every 50 ms until events
      arrive or maxTimeMS (default NX_AWAIT_MS = 1000 ms, like mongod)
      passes. The wait happens here, outside nx-27017's per-database lock,
      so other requests proceed meanwhile; it occupies one worker thread,
      hence the larger pool (``patch_worker_pool``).
    """
    original = nx_handler.NeoSQLiteHandler.handle_command

    def call_once(self, msg, body):
        _fam_errors.exc = None
        try:
            request_id, reply = original(self, msg)
        except Exception as exc:
            logger.exception("command failed")
            return msg.get("request_id", 0), _error_reply(exc)
        exc = getattr(_fam_errors, "exc", None)
        _fam_errors.exc = None
        if (
            exc is not None
            and "findAndModify" in body
            and isinstance(reply, dict)
            and reply.get("value") is None
        ):
            reply = _error_reply(exc)
        return request_id, reply

    @functools.wraps(original)
    def handle_command(self, msg):
        body = _command_body(msg)
        refused = _watch_target_error(body)
        if refused is not None:
            return msg.get("request_id", 0), refused

        stream = None
        if "getMore" in body:
            try:
                cursor_id = int(body["getMore"])
            except (TypeError, ValueError):
                cursor_id = 0
            stream = self._change_stream_manager.get_stream(cursor_id)
            if stream is None:
                with self._cursors_lock:
                    known = cursor_id in self._cursors
                if not known:
                    return msg.get("request_id", 0), _cursor_not_found(
                        cursor_id
                    )

        request_id, reply = call_once(self, msg, body)
        if stream is not None:
            deadline = time.monotonic() + _await_ms(body) / 1000.0
            while (
                isinstance(reply, dict)
                and reply.get("ok") == 1
                and not (reply.get("cursor") or {}).get("nextBatch")
                and time.monotonic() < deadline
            ):
                time.sleep(min(_POLL_S, max(0.0, deadline - time.monotonic())))
                if stream._closed:
                    # killed meanwhile (killCursors or its connection
                    # closed): don't let the next call report "exhausted".
                    return msg.get("request_id", 0), _cursor_not_found(
                        stream._id
                    )
                request_id, reply = call_once(self, msg, body)

        if isinstance(reply, dict):
            if any(key in body for key in HELLO_KEYS):
                _augment_hello(reply, body, me)
            _with_error_code(reply)
            _fix_write_errors(reply)
            _trace(body, reply)
        return request_id, reply

    nx_handler.NeoSQLiteHandler.handle_command = handle_command


def patch_handle_query(me: str) -> None:
    """Same hello augmentation for legacy OP_QUERY commands.

    ``handle_query`` forwards ``$cmd`` queries to ``self.handle_command``,
    which is already patched; this wrapper only makes sure a hello reply
    produced on that path carries the replica-set fields even if that
    forwarding changes. Applying ``_augment_hello`` twice is harmless.
    """
    original = nx_handler.NeoSQLiteHandler.handle_query

    @functools.wraps(original)
    def handle_query(self, msg):
        request_id, docs = original(self, msg)
        query = msg.get("query") or {}
        if "$query" in query and isinstance(query["$query"], dict):
            query = query["$query"]
        if any(key in query for key in HELLO_KEYS):
            for doc in docs:
                if isinstance(doc, dict):
                    _augment_hello(doc, query, me)
        return request_id, docs

    nx_handler.NeoSQLiteHandler.handle_query = handle_query


def patch_handle_insert() -> None:
    """Serialise inserts per database and give failures an error code.

    nx-27017 guards every handler entry point with a per-database lock
    (the shared SQLite connection must not be used by two requests at
    once) except ``handle_insert``, which the server calls from its worker
    threads for every ``insert`` command. An insert could therefore
    interleave with, e.g., a findAndModify upsert or a session's
    transaction on the same connection. We apply nx-27017's own
    ``_serialize`` decorator to it. Exceptions get a coded error reply.
    """
    original = nx_handler.NeoSQLiteHandler.handle_insert
    serialized = nx_handler._serialize(original)

    @functools.wraps(original)
    def handle_insert(self, msg):
        try:
            request_id, reply = serialized(self, msg)
        except Exception as exc:
            logger.exception("insert failed")
            return msg.get("request_id", 0), _error_reply(exc)
        if isinstance(reply, dict):
            _with_error_code(reply)
            _fix_write_errors(reply)
        return request_id, reply

    nx_handler.NeoSQLiteHandler.handle_insert = handle_insert


# ---------------------------------------------------------------------------
# Worker pool.
# ---------------------------------------------------------------------------
def patch_worker_pool() -> None:
    """Serve requests from a larger thread pool.

    The asyncio server runs each request with ``asyncio.to_thread``, i.e.
    on the loop's default executor: min(32, cores + 4) = 6 threads on a
    2-core machine. With awaiting change-stream getMores (up to 1 s each)
    a handful of watchers would starve all other requests. ``run_server``
    is looked up as a module global by ``run_server_threaded``, so
    wrapping it lets us install a bigger executor on the running loop.
    """
    original = nx_server.run_server
    workers = int(os.environ.get("NX_MAX_THREADS", "64"))

    @functools.wraps(original)
    async def run_server(host, port, handler):
        loop = asyncio.get_running_loop()
        loop.set_default_executor(
            concurrent.futures.ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix="nx-worker"
            )
        )
        await original(host, port, handler)

    nx_server.run_server = run_server


def _advertised_address(argv: list[str]) -> str:
    """``host:port`` for hello's me/hosts/primary, from our own argv."""
    override = os.environ.get("NX_REPLSET_HOST", "").strip()
    if override:
        return override
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=27017)
    known, _ = parser.parse_known_args(argv)
    host = known.host
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    return f"{host}:{known.port}"


def apply_patches(argv: list[str]) -> None:
    _check_version()
    me = _advertised_address(argv)
    patch_cursor_ids()
    patch_change_events()
    patch_find_and_modify()
    patch_update_types()
    patch_handle_command(me)
    patch_handle_query(me)
    patch_handle_insert()
    patch_worker_pool()


def main() -> int:
    apply_patches(sys.argv[1:])
    # nx-27017 parses sys.argv itself (--host, -p, --data-dir, --log-file,
    # --pid-file, ...); it runs in the foreground and exits on SIGTERM.
    result = nx_main.main()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
