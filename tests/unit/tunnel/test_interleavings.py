"""Property test: whatever the order of dials, data, closes, cancels and departures, every
party ends with nothing open once everyone has closed and the packets have settled."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from protos.tunnel import DialSucceeded
from tests.support.tunnel_wiring import Wiring

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "dial",
                "data",
                "close",
                "cancel",
                "eof",
                "complete",
                "fail",
                "pump",
                "leave",
                "agent-restart",
            ]
        ),
        st.integers(min_value=0, max_value=7),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ACTIONS)
def test_random_interleavings_settle_without_leaks(actions: list[tuple[str, int]]) -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    agent.auto_dial = False
    frontends = [wiring.add_frontend(single_use=False) for _ in range(2)]
    dials: list[tuple[int, int]] = []
    for action, n in actions:
        fe = frontends[n % len(frontends)]
        if fe.id not in wiring.frontends:
            continue
        open_conns = [e.conn_id for e in fe.events if isinstance(e, DialSucceeded)]
        if action == "dial":
            dials.append((fe.id, fe.endpoint.dial("c1:443")))
        elif action == "cancel" and dials:
            fe_id, dial_id = dials[n % len(dials)]
            if fe_id in wiring.frontends:
                wiring.frontends[fe_id].endpoint.cancel_dial(dial_id)
        elif action in ("complete", "fail") and agent.dials and "c1" in wiring.agents:
            dial_id = sorted(agent.dials)[n % len(agent.dials)]
            wiring.complete_dial(agent, dial_id, error="refused" if action == "fail" else "")
        elif action == "data" and open_conns:
            conn = open_conns[n % len(open_conns)]
            if (
                fe.endpoint._conns.get(conn) is not None
                and fe.endpoint._conns[conn].value == "open"
            ):
                fe.endpoint.send_data(conn, b"x")
        elif action == "close" and open_conns:
            fe.endpoint.close(open_conns[n % len(open_conns)])
        elif action == "eof" and agent.sockets and "c1" in wiring.agents:
            conn = sorted(agent.sockets)[n % len(agent.sockets)]
            del agent.sockets[conn]
            agent.endpoint.closed(conn)
        elif action == "leave":
            wiring.remove_frontend(fe)
        elif action == "agent-restart" and "c1" in wiring.agents:
            wiring.remove_agent("c1")
            agent = wiring.add_agent("c1", "c1")
            agent.auto_dial = False
        elif action == "pump":
            wiring.pump()
    # Settle: finish every dial the agent still holds, close every socket, everyone leaves.
    wiring.pump()
    for dial_id in list(agent.dials):
        wiring.complete_dial(agent, dial_id)
    wiring.pump()
    for fe in list(wiring.frontends.values()):
        wiring.remove_frontend(fe)
    wiring.pump()
    assert wiring.switchboard.pending_dials == 0
    assert wiring.switchboard.connections == 0
    assert agent.endpoint.open_connections == 0
    assert agent.endpoint.pending_dials == 0
    assert agent.sockets == {}
