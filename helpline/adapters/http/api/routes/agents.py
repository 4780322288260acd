"""Agents: who a token belongs to, an agent's status; admins register and remove agents and
rotate or revoke their tokens."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status

from helpline.adapters.http.api.deps import Admin, Caller, Ctx
from helpline.adapters.http.api.models import (
    AgentOut,
    ColleagueOut,
    Me,
    NewAgentIn,
    NewAgentOut,
    StatusIn,
    StatusOut,
    TokenOut,
    errors,
)
from helpline.domain.errors import AgentAlreadyRegisteredError, UnknownAgentError

router = APIRouter(tags=["agents"])
AgentId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
_UNKNOWN = errors({404: "no such agent"})


def _agent_out(agent: dict[str, Any]) -> AgentOut:
    return AgentOut(agent_id=agent["agent_id"], name=agent["name"], email=agent["email"],
                    languages=tuple(agent["languages"]), max_tickets=agent["max_tickets"],
                    online=agent["online"], open_tickets=len(agent.get("tickets", [])))


@router.get("/me", response_model=Me)
def me(caller: Caller) -> Me:
    """Who the token belongs to (agents: their roster entry)."""
    return Me(role=caller.role, agent=_agent_out(caller.agent) if caller.agent else None)


@router.put("/agents/me/status", response_model=StatusOut)
def set_status(ctx: Ctx, caller: Caller, body: StatusIn) -> StatusOut:
    """Go online (and take waiting tickets) or offline."""
    agent_id = caller.agent_id
    ctx.run(ctx.desk.set_agent_status(agent_id, online=body.status == "online"))
    return StatusOut(agent_id=agent_id, status=body.status)


@router.post("/agents", response_model=NewAgentOut, status_code=status.HTTP_201_CREATED,
             responses=errors({409: "id or email registered"}))
def register_agent(ctx: Ctx, _: Admin, body: NewAgentIn) -> NewAgentOut:
    """Register an agent (admin). The token is returned only now; it is stored hashed."""
    try:
        new = ctx.desk.register_agent(name=body.name, email=body.email,
                                      languages=body.languages, max_tickets=body.max_tickets)
    except AgentAlreadyRegisteredError as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
    return NewAgentOut(agent_id=new.agent_id, token=new.token)


@router.get("/agents", response_model=list[AgentOut])
def agents(ctx: Ctx, _: Admin) -> list[AgentOut]:
    """Every agent (admin; from the projection, so ``open_tickets`` counts its inbox)."""
    return [AgentOut(agent_id=a.agent_id, name=a.name, email=a.email,
                     languages=a.languages, max_tickets=a.max_tickets,
                     online=a.online, open_tickets=len(ctx.views.inbox(a.agent_id)))
            for a in ctx.views.agents()]


@router.get("/agents/colleagues", response_model=list[ColleagueOut])
def colleagues(ctx: Ctx, caller: Caller) -> list[ColleagueOut]:
    """Who a ticket can be transferred to (any signed-in caller): each agent's name, languages
    and whether they are online, without their e-mail or load."""
    return [ColleagueOut(agent_id=a.agent_id, name=a.name, languages=list(a.languages),
                         online=a.online) for a in ctx.views.agents()]


@router.post("/agents/{agent_id}/token", response_model=TokenOut, responses=_UNKNOWN)
def rotate_token(ctx: Ctx, _: Admin, agent_id: AgentId) -> TokenOut:
    """Give the agent a new token (admin); the old one stops working at once. The new one
    is returned only now."""
    try:
        return TokenOut(agent_id=agent_id, token=ctx.desk.rotate_token(agent_id))
    except UnknownAgentError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such agent") from None


@router.delete("/agents/{agent_id}/token", status_code=status.HTTP_204_NO_CONTENT,
               responses=_UNKNOWN)
def revoke_token(ctx: Ctx, _: Admin, agent_id: AgentId) -> None:
    """Revoke the agent's token (admin): it stops working until a rotation gives a new
    one."""
    try:
        ctx.desk.revoke_token(agent_id)
    except UnknownAgentError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such agent") from None


@router.delete("/agents/{agent_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=_UNKNOWN)
def remove_agent(ctx: Ctx, _: Admin, agent_id: AgentId) -> None:
    """Remove the agent (admin): their token stops working and the tickets they held go to
    other agents, or first in the queue."""
    try:
        ctx.run(ctx.desk.remove_agent(agent_id))
    except UnknownAgentError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such agent") from None
