"""The query scheduler's policy, step by step (api/sparql/scheduling.py): no server, no clock.

Lanes, order of service, fair shares, pushing out of a full queue, demotion, and the
classification of query texts by their significant tokens.
"""

from __future__ import annotations

import asyncio

import pytest

from stancegraph.api.sparql.scheduling import (
    CHEAP,
    HEAVY,
    UNKNOWN,
    Busy,
    QueryCosts,
    Scheduler,
    Suspects,
    Ticket,
    client_key,
    cost_key,
)
from stancegraph.sparql.screening import significant_tokens


def granted(outcomes: list[tuple[Ticket, bool]]) -> list[Ticket]:
    return [t for t, ok in outcomes if ok]


def pushed(outcomes: list[tuple[Ticket, bool]]) -> list[Ticket]:
    return [t for t, ok in outcomes if not ok]


def key(text: str) -> bytes:
    return cost_key(text, significant_tokens)[0]


# --------------------------------------------------------------------------- classification


def test_comments_and_layout_do_not_make_a_new_query() -> None:
    base = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
    assert key(base) == key("# 8731\nSELECT * WHERE {\n  ?a ?b ?c . # x\n  ?d ?e ?f\n}\t")
    assert key(base) == key("SELECT  *  WHERE { ?a ?b ?c .   ?d ?e ?f } # 0.123")
    # Strings, IRIs and names are kept as written: a '#' inside them is not a comment.
    assert key("SELECT * WHERE { ?s ?p 'a # b' }") != key("SELECT * WHERE { ?s ?p 'a # c' }")
    assert key("SELECT * WHERE { ?s ?p <http://e/#x> }") != key(
        "SELECT * WHERE { ?s ?p <http://e/#y> }"
    )
    assert key("SELECT * WHERE { ?s ?p 'a  b' }") != key("SELECT * WHERE { ?s ?p 'a b' }")
    assert key(base) != key("SELECT * WHERE { ?a ?b ?c }")


def test_very_long_texts_are_keyed_as_sent() -> None:
    long = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000
    digest, normalised = cost_key(long, significant_tokens)
    assert not normalised
    assert digest != cost_key(long + "y", significant_tokens)[0]
    assert cost_key("ASK {}", significant_tokens)[1]


def test_verdicts_are_bounded_and_recent_ones_kept() -> None:
    costs = QueryCosts(size=3)
    for i in range(5):
        costs.mark(bytes([i]), HEAVY)
    assert len(costs) == 3
    assert costs.kind(bytes([0])) == UNKNOWN and costs.kind(bytes([4])) == HEAVY
    costs.mark(bytes([2]), CHEAP)  # a newer verdict replaces the old one and is kept longest
    costs.mark(bytes([9]), HEAVY)
    assert costs.kind(bytes([2])) == CHEAP and costs.kind(bytes([3])) == UNKNOWN
    assert costs.kind(bytes([7]), HEAVY) == HEAVY  # the caller's default for unknown keys


def test_client_is_a_valid_token_else_the_address() -> None:
    tokens = ["read-token-1", "write-token-2"]
    a = client_key("127.0.0.2", "read-token-1", tokens)
    assert a.startswith("token:") and "read-token-1" not in a
    assert a == client_key("127.0.0.9", "read-token-1", tokens)  # same token, any address
    assert client_key("127.0.0.2", "made-up", tokens) == "127.0.0.2"  # invalid: ignored
    assert client_key("127.0.0.2", None, tokens) != client_key("127.0.0.3", None, tokens)
    # IPv6 counts by /64 (a host has a whole /64 to pick addresses from).
    assert client_key("2001:db8::1", None, []) == client_key("2001:db8::ffff:1", None, [])
    assert client_key("2001:db8::1", None, []) != client_key("2001:db8:0:1::1", None, [])
    assert client_key("::ffff:10.0.0.1", None, []) == "10.0.0.1"
    assert client_key(None, None, []) == "unknown"


# --------------------------------------------------------------------------- lanes


def test_heavy_queries_never_take_the_reserved_worker() -> None:
    s = Scheduler(workers=3, reserved=1, max_waiting=10)
    h1, out1 = s.enter("a", HEAVY)
    h2, out2 = s.enter("b", HEAVY)
    h3, out3 = s.enter("c", HEAVY)
    assert granted(out1) == [h1] and granted(out2) == [h2] and out3 == []
    assert s.running == 2 and s.long == 2 and s.waiting == 1
    c, out = s.enter("d", CHEAP)
    assert granted(out) == [c]  # the reserved worker
    u, out = s.enter("e", UNKNOWN)
    assert out == [] and s.running == 3
    # The cheap query ends: the unknown one (short so far) gets its worker, not the heavy.
    assert granted(s.leave(c)) == [u]
    assert granted(s.leave(u)) == []  # h3 still waits: the long lane is full
    assert granted(s.leave(h1)) == [h3]
    assert s.long == 2 and s.waiting == 0


def test_no_reserve_with_one_worker() -> None:
    s = Scheduler(workers=1, reserved=1, max_waiting=4)
    assert s.reserved == 0 and s.long_capacity == 1
    h, out = s.enter("a", HEAVY)
    assert granted(out) == [h]


def test_cheap_first_then_unknown_then_heavy() -> None:
    s = Scheduler(workers=2, reserved=1, max_waiting=10)
    first, _ = s.enter("x", UNKNOWN)
    second, _ = s.enter("x", UNKNOWN)
    heavy, _ = s.enter("a", HEAVY)
    unknown, _ = s.enter("b", UNKNOWN)
    cheap, _ = s.enter("c", CHEAP)
    assert [granted(s.leave(first)), granted(s.leave(second))] == [[cheap], [unknown]]
    assert granted(s.leave(cheap)) == [heavy]


def test_clients_take_turns_within_a_class() -> None:
    s = Scheduler(workers=1, reserved=0, max_waiting=20)
    blocker, _ = s.enter("z", HEAVY)
    flood = [s.enter("a", HEAVY)[0] for _ in range(4)]
    b1, _ = s.enter("b", HEAVY)
    b2, _ = s.enter("b", HEAVY)
    c1, _ = s.enter("c", HEAVY)
    order = []
    running = blocker
    for _ in range(7):
        (running,) = granted(s.leave(running))
        order.append(running)
    assert order == [flood[0], b1, c1, flood[1], b2, flood[2], flood[3]]


# --------------------------------------------------------------------------- full queue


def test_full_queue_pushes_out_the_newest_of_the_biggest_client() -> None:
    s = Scheduler(workers=1, reserved=0, max_waiting=3)
    z, _ = s.enter("z", HEAVY)
    a1, _ = s.enter("a", HEAVY)
    a2, _ = s.enter("a", UNKNOWN)
    a3, _ = s.enter("a", HEAVY)
    b1, out = s.enter("b", CHEAP)
    assert pushed(out) == [a3] and s.waiting == 3
    b2, out = s.enter("b", CHEAP)
    assert pushed(out) == [b2]  # a and b would hold two places each: the newcomer waits not
    c1, out = s.enter("c", HEAVY)
    assert pushed(out) == [a2]  # a (2) holds more places than c (1)
    assert s.waiting == 3 and s.stats["pushed_out"] == 3
    assert s.clients() == 3
    assert granted(s.leave(s.enter("z", CHEAP)[0])) == []  # refused at once, nothing changes
    assert granted(s.leave(z)) == [b1]  # cheap first
    assert granted(s.leave(b1)) == [a1] and granted(s.leave(a1)) == [c1]


def test_no_queue_means_run_now_or_busy() -> None:
    s = Scheduler(workers=1, reserved=0, max_waiting=0)
    t, out = s.enter("a", CHEAP)
    assert granted(out) == [t]
    u, out = s.enter("b", CHEAP)
    assert pushed(out) == [u] and s.waiting == 0 and s.clients() == 0


# --------------------------------------------------------------------------- observed cost


def test_demotion_moves_the_query_while_the_long_lane_has_room() -> None:
    s = Scheduler(workers=3, reserved=1, max_waiting=10)
    u1, _ = s.enter("a", UNKNOWN)
    u2, _ = s.enter("b", UNKNOWN)
    u3, _ = s.enter("c", UNKNOWN)
    assert s.running == 3 and s.long == 0
    assert s.demote(u1) and s.demote(u2) and s.long == 2
    assert s.demote(u1)  # already long: nothing changes
    assert not s.demote(u3)  # the long lane is full: the caller stops it
    assert s.long == 2 and not u3.long
    s.leave(u3)
    h, out = s.enter("c", HEAVY)  # queued again as heavy
    assert out == [] and s.waiting == 1
    assert s.demote(u3, force=True)  # not running any more: nothing to count
    c, out = s.enter("d", CHEAP)
    assert granted(out) == [c]  # the reserved worker stayed free for short queries
    assert granted(s.leave(u1)) == [h] and s.long == 2


def test_forced_demotion_overfills_the_long_lane() -> None:
    s = Scheduler(workers=2, reserved=1, max_waiting=10)
    u1, _ = s.enter("a", UNKNOWN)
    u2, _ = s.enter("b", UNKNOWN)
    assert s.demote(u1) and s.demote(u2, force=True) and s.long == 2
    s.leave(u1)
    s.leave(u2)
    assert s.long == 0 and s.running == 0


def test_leave_twice_is_harmless() -> None:
    s = Scheduler(workers=1, reserved=0, max_waiting=2)
    t, _ = s.enter("a", CHEAP)
    s.leave(t)
    assert s.leave(t) == [] and s.running == 0


# --------------------------------------------------------------------------- async face


def test_admit_waits_for_a_grant_and_gives_up_cleanly() -> None:
    async def scenario() -> None:
        s = Scheduler(workers=1, reserved=0, max_waiting=1)
        first = await s.admit("a", HEAVY, timeout=5)
        waiter = asyncio.ensure_future(s.admit("b", CHEAP, timeout=60))
        await asyncio.sleep(0)
        assert s.waiting == 1 and not waiter.done()
        with pytest.raises(Busy):
            await s.admit("a", CHEAP, timeout=60)  # full queue; a holds no more places
        s.release(first)
        second = await waiter
        assert second.running and s.running == 1 and s.waiting == 0
        # A waiter that is cancelled leaves the queue; the slot goes to the next one.
        third = asyncio.ensure_future(s.admit("c", CHEAP, timeout=60))
        await asyncio.sleep(0)
        third.cancel()
        with pytest.raises(asyncio.CancelledError):
            await third
        assert s.waiting == 0
        s.release(second)
        assert s.running == 0

    asyncio.run(scenario())


def test_admit_pushed_out_while_waiting_gets_busy() -> None:
    async def scenario() -> None:
        s = Scheduler(workers=1, reserved=0, max_waiting=2)
        first = await s.admit("z", HEAVY, timeout=5)
        kept = asyncio.ensure_future(s.admit("a", HEAVY, timeout=60))
        victim = asyncio.ensure_future(s.admit("a", HEAVY, timeout=60))
        await asyncio.sleep(0)
        newcomer = asyncio.ensure_future(s.admit("b", CHEAP, timeout=60))
        with pytest.raises(Busy):
            await victim  # pushed out by b: a held two places, b none
        s.release(first)
        ticket = await newcomer  # cheap before heavy
        assert ticket.client == "b" and not kept.done()
        s.release(ticket)
        s.release(await kept)
        assert s.clients() == 0 and s.running == 0 and s.waiting == 0

    asyncio.run(scenario())


def test_an_unknown_query_found_heavy_while_waiting_joins_the_heavy_queue() -> None:
    costs = QueryCosts()
    s = Scheduler(workers=2, reserved=1, max_waiting=10, costs=costs)
    first, _ = s.enter("a", UNKNOWN, key=b"q")
    second, _ = s.enter("b", UNKNOWN, key=b"q")
    third, _ = s.enter("c", UNKNOWN, key=b"q")  # the same text, waiting
    other, _ = s.enter("d", UNKNOWN, key=b"r")
    assert s.demote(first)
    costs.mark(b"q", HEAVY)  # the first one ran past the threshold
    # The freed worker goes to the query not known to be heavy; the other waits its turn
    # in the heavy queue (the long lane is full).
    assert granted(s.leave(second)) == [other]
    assert third.kind == HEAVY and not third.running and s.waiting == 1
    assert granted(s.leave(first)) == [third] and third.long


def test_suspect_clients_are_remembered_for_a_while_and_bounded() -> None:
    now = [100.0]
    suspects = Suspects(ttl=60, size=2, clock=lambda: now[0])
    suspects.add("a")
    suspects.add("")  # no client: never a suspect
    assert "a" in suspects and "" not in suspects and "b" not in suspects
    now[0] += 59
    suspects.add("b")
    assert "a" in suspects
    now[0] += 2  # a's long query is 61 s old now, b's 2 s
    assert "a" not in suspects and "b" in suspects
    suspects.add("c")
    suspects.add("d")
    assert len(suspects) == 2 and "b" not in suspects and "d" in suspects
