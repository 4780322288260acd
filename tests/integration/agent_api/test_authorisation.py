"""Every endpoint x no token / another agent / the ticket's agent / admin."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from .conftest import ADMIN, PHONE, Api

pytestmark = pytest.mark.integration

# (method, path, body) -> expected status for: none, other agent, own agent, admin.
T = "{ticket}"
A = "{agent}"  # the other agent's id
MATRIX: list[tuple[str, str, object, tuple[int, int, int, int]]] = [
    ("GET", "/api/v1/me", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/tickets?status=open", None, (401, 200, 200, 200)),
    ("GET", f"/api/v1/tickets/{T}", None, (401, 403, 200, 200)),
    ("GET", "/api/v1/tickets?view=mine", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/tickets?view=queue", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/tickets?view=open&q=persona", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/tickets?view=closed", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/tickets/counts", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/events", None, (401, 503, 503, 503)),  # this app has no live updates
    ("POST", f"/api/v1/tickets/{T}/replies", {"text": "hola"}, (401, 403, 202, 403)),
    ("POST", f"/api/v1/tickets/{T}/close", {"resolution": "ok"}, (401, 403, 200, 200)),
    ("PUT", "/api/v1/agents/me/status", {"status": "offline"}, (401, 200, 200, 403)),
    ("POST", "/api/v1/agents", {"name": "Zoe", "email": "zoe@example.com"},
     (401, 403, 403, 201)),
    ("GET", f"/api/v1/conversations?phone={PHONE}", None, (401, 403, 403, 200)),
    ("PUT", "/api/v1/customers/34600000009", {"customer_id": "c9", "name": "Nueve"},
     (401, 403, 403, 200)),
    ("GET", "/api/v1/agents", None, (401, 403, 403, 200)),
    ("GET", "/api/v1/metrics", None, (401, 403, 403, 200)),
    ("POST", f"/api/v1/agents/{A}/token", None, (401, 403, 403, 200)),
    ("DELETE", f"/api/v1/agents/{A}/token", None, (401, 403, 403, 204)),
    ("DELETE", f"/api/v1/agents/{A}", None, (401, 403, 403, 204)),
    ("GET", "/api/v1/admin/dead-letters", None, (401, 403, 403, 503)),
    ("POST", "/api/v1/admin/dead-letters/1/replay", None, (401, 403, 403, 503)),
]
CALLERS = ("none", "other", "own", "admin")


@pytest.mark.parametrize("caller", range(4), ids=CALLERS)
@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_matrix(api: Api, caller: int, method: str, path: str, body: object,
                expected: tuple[int, int, int, int]) -> None:
    _, own = api.agent("marta")
    ticket = api.escalate()
    other_id, other = api.agent("pablo")
    token = (None, other, own, ADMIN)[caller]
    response = api.call(method, path.replace(T, ticket).replace(A, other_id), token, json=body)
    assert response.status_code == expected[caller], response.text


def test_a_rotated_revoked_or_removed_agents_token_stops_working(api: Api) -> None:
    agent_id, token = api.agent("pablo")
    assert api.call("GET", "/api/v1/me", token).status_code == 200
    rotated = api.call("POST", f"/api/v1/agents/{agent_id}/token", ADMIN).json()["token"]
    assert api.call("GET", "/api/v1/me", token).status_code == 401
    assert api.call("GET", "/api/v1/me", rotated).status_code == 200
    assert api.call("DELETE", f"/api/v1/agents/{agent_id}/token", ADMIN).status_code == 204
    assert api.call("GET", "/api/v1/me", rotated).status_code == 401
    again = api.call("POST", f"/api/v1/agents/{agent_id}/token", ADMIN).json()["token"]
    assert api.call("DELETE", f"/api/v1/agents/{agent_id}", ADMIN).status_code == 204
    assert api.call("GET", "/api/v1/me", again).status_code == 401
    assert api.call("DELETE", f"/api/v1/agents/{agent_id}", ADMIN).status_code == 404
    assert api.call("POST", "/api/v1/agents/nobody/token", ADMIN).status_code == 404


@pytest.mark.parametrize("make_path", [
    lambda t: f"/api/v1/tickets/{t}",
    lambda t: f"/api/v1/tickets/{t}/replies",
    lambda t: f"/api/v1/tickets/{t}/close",
])
def test_an_agent_cannot_tell_unknown_tickets_from_others(
        api: Api, make_path: Callable[[str], str]) -> None:
    api.agent("marta")
    ticket = api.escalate()
    _, other = api.agent("pablo")
    method = "GET" if make_path("x").endswith("x") else "POST"
    body = {"text": "x", "resolution": "x"}
    someone_elses = api.call(method, make_path(ticket), other, json=body)
    unknown = api.call(method, make_path(str(uuid4())), other, json=body)
    assert someone_elses.status_code == unknown.status_code == 403
    assert someone_elses.json() == unknown.json()
    admin_unknown = api.call(method, make_path(str(uuid4())), ADMIN, json=body)
    assert admin_unknown.status_code == (403 if make_path("x").endswith("replies") else 404)


def test_unknown_token_and_bad_bodies(api: Api) -> None:
    _, own = api.agent("marta")
    ticket = api.escalate()
    assert api.call("GET", "/api/v1/me", "not-a-token").status_code == 401
    assert api.call("GET", "/api/v1/me", "").status_code == 401
    bad = [
        ("POST", f"/api/v1/tickets/{ticket}/replies", {"text": "   "}),
        ("POST", f"/api/v1/tickets/{ticket}/replies", {"txt": "hola"}),
        ("POST", f"/api/v1/tickets/{ticket}/close", {}),
        ("PUT", "/api/v1/agents/me/status", {"status": "away"}),
        ("GET", "/api/v1/tickets/not-a-uuid", None),
        ("GET", "/api/v1/tickets?status=pending", None),
        ("GET", "/api/v1/tickets?view=everything", None),
        ("GET", "/api/v1/tickets?q=ab", None),
        ("GET", "/api/v1/tickets?q=" + "x" * 201, None),
    ]
    for method, path, body in bad:
        assert api.call(method, path, own, json=body).status_code == 422, (method, path, body)
    admin_bad = [
        ("POST", "/api/v1/agents", {"name": "Zoe", "email": "zoe", "max_tickets": 0}),
        ("PUT", "/api/v1/customers/123", {"customer_id": "c", "name": "N"}),
        ("GET", "/api/v1/conversations", None),
        ("GET", "/api/v1/conversations?phone=abc", None),
    ]
    for method, path, body in admin_bad:
        assert api.call(method, path, ADMIN, json=body).status_code == 422, (method, path)
