"""Events the protocol machines hand to their transports (frozen, named in the past tense)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DialRequested:
    """Agent side: the server asks us to dial `address` (already checked against exposure)."""

    dial_id: int
    address: str
    target: str


@dataclass(frozen=True, slots=True)
class DialSucceeded:
    """Frontend side: our dial `dial_id` is connection `conn_id` from now on."""

    dial_id: int
    conn_id: int


@dataclass(frozen=True, slots=True)
class DialFailed:
    """Frontend side: our dial failed; `error` is the reason the agent or server gave."""

    dial_id: int
    error: str


@dataclass(frozen=True, slots=True)
class DataReceived:
    conn_id: int
    data: bytes


@dataclass(frozen=True, slots=True)
class CreditGranted:
    """The peer let us send more of `conn_id`: `credit` bytes may be sent now."""

    conn_id: int
    credit: int


@dataclass(frozen=True, slots=True)
class HalfClosed:
    """The peer sends no more bytes of `conn_id` (`halfclose`): after writing what is queued,
    shut the write side of the socket (`write_eof`); keep reading it."""

    conn_id: int


@dataclass(frozen=True, slots=True)
class CloseRequested:
    """Agent side: the server wants `conn_id` closed; close the socket, then call `closed()`."""

    conn_id: int


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The connection is gone for good; `error` is empty on an orderly close."""

    conn_id: int
    error: str


@dataclass(frozen=True, slots=True)
class DialCancelled:
    """Agent side: the server gave up on a dial in flight; drop its socket when it completes."""

    dial_id: int


Event = (
    DialRequested
    | DialSucceeded
    | DialFailed
    | DataReceived
    | CreditGranted
    | HalfClosed
    | CloseRequested
    | ConnectionClosed
    | DialCancelled
)
