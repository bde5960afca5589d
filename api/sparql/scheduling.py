"""Who gets a query worker, and when: the policy that keeps cheap queries fast under attack.

With ``N`` workers, ``R`` of them reserved (``reserved_workers``, at most ``N - 1``) and
``T`` the heavy threshold (``heavy_after_s``):

- **Classes.** A query is *heavy* when its normalised text (comments and whitespace
  removed, see :func:`cost_key`) recently ran longer than ``T``, timed out or killed its
  worker; *cheap* when it recently finished within ``T``; else *unknown*. Changing a
  comment or the layout does not make a known query new.
- **Lanes.** At most ``N`` queries run. At most ``N - R`` of them are *long*: known heavy,
  or running for longer than ``T``. So ``R`` workers always serve short queries only.
  (A remote store's queries cannot be stopped: there the long lane may overflow.)
- **Observed cost.** A query that runs past ``T`` is demoted while it runs: it now counts
  as long. If the long lane is full, it is stopped (its worker killed) and queued again as
  heavy, keeping the run time it has left. Unknown queries therefore cost the reserved
  workers at most ``T`` each; from a client whose query ran past ``T`` in the last minute
  (:class:`Suspects`), at most ``T / 10`` each, so varying a heavy query's structure
  rather than its comments buys little.
- **Order.** A free worker goes to a waiting cheap query first, then unknown, then heavy
  (when the long lane has room). Within a class, clients take turns (round-robin), so each
  client gets a fair share whatever the number of requests it sends. A client is a valid
  bearer token, else the remote address (an IPv6 address counts by its /64).
- **Queue.** At most ``max_waiting`` queries wait. When the queue is full, a newcomer takes
  the place of the newest waiting query of the client holding the most places, when that
  client holds more than the newcomer's; the query pushed out (or else the newcomer) gets
  :class:`Busy` (503 with Retry-After), as does a query that waits longer than its timeout.
- **Bounds.** Verdicts are kept for the last ``MAX_VERDICTS`` query digests (16 bytes
  each) and suspects for as many client keys (at most 64 characters): well under 2 MB in
  all; the queue's client table only holds clients with a query waiting.

The scheduler is plain bookkeeping under a lock (no timers: the caller watches run
time and calls :meth:`Scheduler.demote`), so it works from any event loop and can be
tested step by step.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import itertools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["cheap", "unknown", "heavy"]
CHEAP: Kind = "cheap"
UNKNOWN: Kind = "unknown"
HEAVY: Kind = "heavy"
_ORDER: tuple[Kind, ...] = (CHEAP, UNKNOWN, HEAVY)

MAX_VERDICTS = 4096
SUSPECT_S = 60.0  # how long a client that ran a long query stays on the short leash
SUSPECT_LEASH = 0.1  # its new texts may run for this share of the threshold before demotion
NORMALISE_MAX_CHARS = 64 * 1024  # longer texts are keyed as sent, and heavy until proven cheap


class Busy(Exception):
    """No worker for this query: pushed out of a full queue, or waited past its timeout."""


# --------------------------------------------------------------------------- classification


def cost_key(text: str, tokens: Callable[[str], Iterable[str]]) -> tuple[bytes, bool]:
    """(digest, normalised) for ``text``: the digest of its significant tokens joined by one
    space, or of the raw text when it is longer than ``NORMALISE_MAX_CHARS`` (lexing a
    megabyte would hold the event loop for a fifth of a second)."""
    normalised = len(text) <= NORMALISE_MAX_CHARS
    data = " ".join(tokens(text)) if normalised else text
    return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).digest(), (
        normalised
    )


class QueryCosts:
    """Recent verdicts (cheap / heavy) by query digest; LRU, at most ``size`` entries."""

    def __init__(self, size: int = MAX_VERDICTS):
        self.size = size
        self._verdicts: OrderedDict[bytes, Kind] = OrderedDict()
        self._lock = threading.Lock()

    def kind(self, key: bytes, default: Kind = UNKNOWN) -> Kind:
        with self._lock:
            return self._verdicts.get(key, default)

    def mark(self, key: bytes, kind: Kind) -> None:
        with self._lock:
            self._verdicts[key] = kind
            self._verdicts.move_to_end(key)
            while len(self._verdicts) > self.size:
                self._verdicts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._verdicts)


class Suspects:
    """Clients whose query ran past the threshold in the last ``ttl`` seconds (LRU, at most
    ``size``). Their new texts are demoted after ``SUSPECT_LEASH`` of the threshold, so
    varying a heavy query's structure (not just its comments) buys little time on the
    reserved workers, while their short queries still run there."""

    def __init__(
        self,
        ttl: float = SUSPECT_S,
        size: int = MAX_VERDICTS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.ttl, self.size, self._clock = ttl, size, clock
        self._since: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, client: str) -> None:
        if not client:
            return
        with self._lock:
            self._since[client] = self._clock()
            self._since.move_to_end(client)
            while len(self._since) > self.size:
                self._since.popitem(last=False)

    def __contains__(self, client: object) -> bool:
        with self._lock:
            since = self._since.get(client)  # type: ignore[call-overload]
            if since is None:
                return False
            if self._clock() - since < self.ttl:
                return True
            del self._since[client]  # type: ignore[arg-type]
            return False

    def __len__(self) -> int:
        return len(self._since)


def client_key(host: str | None, bearer: str | None, tokens: Iterable[str]) -> str:
    """Who is asking, for fair shares: a valid token, else the address (IPv6 by /64).
    An invalid token is ignored, so made-up tokens cannot make a client many clients."""
    if bearer:
        given = bearer.encode()
        for token in tokens:
            if hmac.compare_digest(given, token.encode()):
                return "token:" + hashlib.blake2b(given, digest_size=8).hexdigest()
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


# --------------------------------------------------------------------------- scheduling


@dataclass(eq=False)
class Ticket:
    """One query's claim on a worker: waiting, then running, then released."""

    client: str
    kind: Kind
    seq: int
    key: bytes = b""  # the query's cost key: re-read when an unknown query's turn comes
    running: bool = False
    long: bool = False  # counted in the long lane
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    future: asyncio.Future[None] | None = field(default=None, repr=False)


_Outcome = tuple[Ticket, bool]  # (ticket, granted) — else pushed out


class Scheduler:
    """Admission to ``workers`` query slots by the policy in this module's docstring."""

    def __init__(
        self,
        workers: int,
        reserved: int,
        max_waiting: int,
        costs: QueryCosts | None = None,
    ):
        self.costs = costs
        self.capacity = workers
        self.reserved = max(0, min(reserved, workers - 1))
        self.long_capacity = workers - self.reserved
        self.max_waiting = max_waiting
        self.running = 0
        self.long = 0
        self.waiting = 0
        self.stats = {"demoted": 0, "preempted": 0, "pushed_out": 0}
        # class -> client -> that client's waiting tickets; dict order is the turn order
        self._queues: dict[Kind, dict[str, deque[Ticket]]] = {k: {} for k in _ORDER}
        self._per_client: dict[str, int] = {}
        self._seq = itertools.count()
        self._lock = threading.Lock()

    # -- bookkeeping (synchronous; the async wrapper is ``admit``)
    def enter(
        self,
        client: str,
        kind: Kind,
        loop: asyncio.AbstractEventLoop | None = None,
        key: bytes = b"",
    ) -> tuple[Ticket, list[_Outcome]]:
        """Queue a new ticket and hand out what can run. Returns the ticket and the
        decisions made (tickets granted, or pushed out of a full queue). With ``loop``, the
        ticket gets a future on it, settled by :meth:`notify`."""
        ticket = Ticket(client, kind, next(self._seq), key)
        if loop is not None:
            ticket.loop, ticket.future = loop, loop.create_future()
        with self._lock:
            self._queues[kind].setdefault(client, deque()).append(ticket)
            self._per_client[client] = self._per_client.get(client, 0) + 1
            self.waiting += 1
            outcomes = self._dispatch()
            if self.waiting > self.max_waiting:
                outcomes.append((self._push_out(ticket), False))
        return ticket, outcomes

    def demote(self, ticket: Ticket, *, force: bool = False) -> bool:
        """``ticket`` ran past the threshold: count it as long. False when the long lane is
        full (the caller stops the query and queues it again as heavy), unless ``force``
        (a query that cannot be stopped, e.g. on a remote store)."""
        with self._lock:
            if ticket.long or not ticket.running:
                return True
            if self.long >= self.long_capacity and not force:
                return False
            ticket.long = True
            self.long += 1
            self.stats["demoted"] += 1
            return True

    def leave(self, ticket: Ticket) -> list[_Outcome]:
        """``ticket`` is done (or gave up waiting): free its place and hand out the next."""
        with self._lock:
            if ticket.running:
                ticket.running = False
                self.running -= 1
                if ticket.long:
                    ticket.long = False
                    self.long -= 1
            elif self._unqueue(ticket):
                pass
            else:
                return []
            return self._dispatch()

    def _next(self, kind: Kind) -> Ticket | None:
        queue = self._queues[kind]
        if not queue:
            return None
        client = next(iter(queue))
        tickets = queue.pop(client)
        ticket = tickets.popleft()
        if tickets:
            queue[client] = tickets  # back of the turn order
        self._forget_one(client)
        return ticket

    def _next_unknown(self) -> Ticket | None:
        """The next unknown query that is still unknown: one found heavy while it waited
        (the same text ran into the threshold meanwhile) joins the heavy queue instead."""
        while (ticket := self._next(UNKNOWN)) is not None:
            if self.costs is None or self.costs.kind(ticket.key) != HEAVY:
                return ticket
            ticket.kind = HEAVY
            self._queues[HEAVY].setdefault(ticket.client, deque()).append(ticket)
            self._per_client[ticket.client] = self._per_client.get(ticket.client, 0) + 1
            self.waiting += 1
        return None

    def _dispatch(self) -> list[_Outcome]:
        granted: list[_Outcome] = []
        while self.running < self.capacity:
            ticket = self._next(CHEAP) or self._next_unknown()
            if ticket is None and self.long < self.long_capacity:
                ticket = self._next(HEAVY)
            if ticket is None:
                break
            ticket.running = True
            self.running += 1
            if ticket.kind == HEAVY:
                ticket.long = True
                self.long += 1
            granted.append((ticket, True))
        return granted

    def _push_out(self, newcomer: Ticket) -> Ticket:
        """Make room in a full queue: the newest ticket of the client with the most places,
        when it holds more than the newcomer's client; else the newcomer."""
        own = self._per_client.get(newcomer.client, 0)
        victim = newcomer
        top = max(self._per_client, key=self._per_client.__getitem__)
        if self._per_client[top] > own:
            tails = [q[top][-1] for q in self._queues.values() if top in q]
            victim = max(tails, key=lambda t: t.seq)
        self._unqueue(victim)
        self.stats["pushed_out"] += 1
        return victim

    def _unqueue(self, ticket: Ticket) -> bool:
        tickets = self._queues[ticket.kind].get(ticket.client)
        if tickets is None or ticket not in tickets:
            return False
        tickets.remove(ticket)
        if not tickets:
            del self._queues[ticket.kind][ticket.client]
        self._forget_one(ticket.client)
        return True

    def _forget_one(self, client: str) -> None:
        self.waiting -= 1
        left = self._per_client[client] - 1
        if left:
            self._per_client[client] = left
        else:
            del self._per_client[client]

    def clients(self) -> int:
        """Clients with a query waiting (the size of the client table)."""
        return len(self._per_client)

    # -- async face
    async def admit(self, client: str, kind: Kind, timeout: float, key: bytes = b"") -> Ticket:
        """Wait for a worker slot; raises ``Busy`` when pushed out or after ``timeout``."""
        ticket, outcomes = self.enter(client, kind, asyncio.get_running_loop(), key)
        self.notify([o for o in outcomes if o[0] is not ticket])
        if ticket.running:
            return ticket
        if (ticket, False) in outcomes:
            raise Busy
        assert ticket.future is not None
        try:
            async with asyncio.timeout(timeout):
                await ticket.future
        except BaseException as exc:
            self.release(ticket)  # still queued: leave the queue; granted meanwhile: pass it on
            if isinstance(exc, TimeoutError | Busy):
                raise Busy from None
            raise
        return ticket

    def release(self, ticket: Ticket) -> None:
        self.notify(self.leave(ticket))

    def notify(self, outcomes: Iterable[_Outcome]) -> None:
        """Wake the waiters decided on (outside the lock, each on its own event loop)."""
        for ticket, granted in outcomes:
            loop, fut = ticket.loop, ticket.future
            if loop is None or fut is None:
                continue
            try:
                if loop is _running_loop():
                    loop.call_soon(_settle, fut, granted)  # no self-pipe write
                else:
                    loop.call_soon_threadsafe(_settle, fut, granted)
            except RuntimeError:  # that loop is closed: nobody will run this query
                if granted:
                    self.release(ticket)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _settle(fut: asyncio.Future[None], granted: bool) -> None:
    if fut.done():
        return  # it gave up waiting: its ``admit`` releases the ticket
    if granted:
        fut.set_result(None)
    else:
        fut.set_exception(Busy())
