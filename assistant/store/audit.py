"""The audit trail: hash-chained events, each sealed with this computer's key for its device.

Events carry ids and hashes, never note text. The per-device keys are kept outside the database, in the
configuration folder. `audit_report` walks the chain and the seals; `chain_head` is what a hand-over or a
merge records. Functions that need an open store take it as an argument (a `Store`, whose `event()` and
`query()` are used), so this module does not import the connection module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import settings
from assistant.store.files import _partial_name, make_private_dirs
from assistant.store.ids import local_offset, new_id, now

GENESIS_HASH = "0" * 64


def event_hash(row: dict[str, Any]) -> str:
    fields = ("prev_hash", "id", "device", "device_seq", "at", "utc_offset", "actor", "action", "entity",
              "entity_id", "detail")
    material = "\x1f".join(str(row[f]) for f in fields)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def event_mac(key: bytes, event_hash_hex: str) -> str:
    return hmac.new(key, event_hash_hex.encode("ascii"), hashlib.sha256).hexdigest()


def chain_head(conn: Any) -> dict[str, Any]:
    """How many events the audit trail holds and the newest one's hash: recorded when a copy is handed
    over or merged, so a copy that later lacks events shows up."""
    count = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    last = conn.execute("SELECT hash FROM events ORDER BY rowid DESC LIMIT 1").fetchone()
    return {"events": int(count), "head": last[0] if last else GENESIS_HASH}


# ---------------------------------------------------------------- per-device audit keys
DEVICE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def config_dir() -> Path:
    """`LEARNING_TOGETHER_CONFIG_DIR`, else the user configuration folder (see `assistant.settings`)."""
    return settings.config_dir()


def _key_file(device: str) -> Path | None:
    if not DEVICE_PATTERN.match(device or ""):
        return None
    return config_dir() / "audit-keys" / f"{device}.json"


def load_audit_key(device: str) -> dict[str, Any] | None:
    """This computer's secret for a device's audit events: {"key": bytes, "from_seq": n}, or None."""
    path = _key_file(device)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {"key": bytes.fromhex(data["key"]), "from_seq": int(data["from_seq"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _make_audit_key(device: str, from_seq: int) -> dict[str, Any] | None:
    """A new random 32-byte secret for `device`, kept in a 0600 file outside the database.

    An existing key is never overwritten; None when the configuration folder cannot be written.
    """
    path = _key_file(device)
    if path is None:
        return None
    try:
        make_private_dirs(path.parent)
        partial = _partial_name(path, "partial")
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"device": device, "key": secrets.token_hex(32), "from_seq": from_seq}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, path)  # never replaces a key another program made first
        except FileExistsError:
            pass
        finally:
            partial.unlink(missing_ok=True)
    except OSError:
        return None
    return load_audit_key(device)


def key_for_writing(store: Any) -> dict[str, Any] | None:
    """This computer's audit key for the store's device, made on first use (see `Store.event`).

    A database brought from another computer (its device's events are sealed with a key this computer
    does not hold) continues as a new device, so events are never sealed with two keys under one name.
    """
    key = load_audit_key(store.device_id)
    if key is None:
        sealed = store.conn.execute(
            "SELECT 1 FROM events WHERE device = ? AND mac IS NOT NULL LIMIT 1", (store.device_id,)
        ).fetchone()
        if sealed:
            store.device_id = new_id()
            store.conn.execute("UPDATE settings SET value = ? WHERE key = 'device_id'", (store.device_id,))
        seq = store.conn.execute(
            "SELECT MAX(device_seq) FROM events WHERE device = ?", (store.device_id,)
        ).fetchone()[0]
        key = _make_audit_key(store.device_id, (seq or 0) + 1)
    return key


def append_event(conn: Any, device_id: str, key: dict[str, Any] | None, action: str, entity: str,
                 entity_id: str, detail: dict[str, Any] | None, actor: str,
                 head: tuple[str | None, int | None, str] | None = None) -> str:
    """Append one event, hash-chained to the one before and sealed with `key` (when there is one).
    `head`: the chain's last hash and this device's last number, read earlier in the same transaction."""
    if head is not None and head[2] == device_id:
        last_hash, last_seq = head[0], head[1]
    else:  # the chain's head and this device's last number in one round trip
        last_hash, last_seq = conn.execute(
            "SELECT (SELECT hash FROM events ORDER BY rowid DESC LIMIT 1),"
            " (SELECT MAX(device_seq) FROM events WHERE device = ?)", (device_id,)
        ).fetchone()
    prev_hash = last_hash or GENESIS_HASH
    row = {
        "id": new_id(),
        "device": device_id,
        "device_seq": (last_seq or 0) + 1,
        "at": now(),
        "utc_offset": local_offset(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
        "prev_hash": prev_hash,
    }
    row["hash"] = event_hash(row)
    row["mac"] = event_mac(key["key"], row["hash"]) if key else None
    conn.execute(
        "INSERT INTO events (id, device, device_seq, at, utc_offset, actor, action, entity, entity_id,"
        " detail, prev_hash, hash, mac) VALUES (:id, :device, :device_seq, :at, :utc_offset, :actor, :action,"
        " :entity, :entity_id, :detail, :prev_hash, :hash, :mac)",
        row,
    )
    return row["id"]


@dataclass
class AuditReport:
    """What `audit verify` found: every event's place in the hash chain is checked; events sealed on this
    computer are also checked against its key."""

    events: int = 0
    keyed: int = 0  # sealed with this computer's key, and the seal matches
    unkeyed: int = 0  # written before the device had a key: checked by the chain only
    elsewhere: int = 0  # sealed with a key this computer does not hold: checked by the chain only
    problem: str | None = None

    def summary(self) -> str:
        parts = []
        if self.keyed:
            parts.append(f"{self.keyed} keyed on this device")
        if self.unkeyed:
            parts.append(f"{self.unkeyed} written before keys existed, checked by their chain only")
        if self.elsewhere:
            parts.append(f"{self.elsewhere} cannot be checked on this device (their key is kept on the device "
                         "that wrote them), checked by their chain only")
        detail = f" ({'; '.join(parts)})" if parts else ""
        return f"The audit trail is sound: {self.events} events checked{detail}."


def audit_report(store: Any) -> AuditReport:
    """Walk the hash chain and the per-device seals; stop at the first broken event."""
    report = AuditReport()
    prev = GENESIS_HASH
    keys: dict[str, dict[str, Any] | None] = {}
    sealed_devices: set[str] = set()
    for position, row in enumerate(store.query("SELECT * FROM events ORDER BY rowid"), start=1):
        report.events += 1
        name = f"event {position} ({row['id']}, {row['action']} at {row['at']})"
        if row["prev_hash"] != prev or event_hash(row) != row["hash"]:
            report.problem = f"{name} has been changed"
            return report
        prev = row["hash"]
        device, mac = row["device"], row.get("mac")
        if device not in keys:
            keys[device] = load_audit_key(device)
        key = keys[device]
        if key is not None and row["device_seq"] >= key["from_seq"]:
            if mac is None or not hmac.compare_digest(str(mac), event_mac(key["key"], row["hash"])):
                report.problem = f"{name} has been changed (its seal does not match this device's key)"
                return report
            report.keyed += 1
            sealed_devices.add(device)
        elif mac is not None:
            report.elsewhere += 1
            sealed_devices.add(device)
        elif device in sealed_devices:
            report.problem = f"{name} has been changed (its seal was removed)"
            return report
        else:
            report.unkeyed += 1
    return report


def verify_audit(store: Any) -> tuple[int, str | None]:
    """Walk the hash chain; return (events checked, a sentence naming the first broken event or None)."""
    report = audit_report(store)
    return report.events, report.problem
