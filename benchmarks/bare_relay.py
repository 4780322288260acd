"""The baseline of the end-to-end benchmark: what the transport alone costs.

A FastAPI webhook checks the HMAC signature, reads the message out of the notification and
publishes it durably into JetStream (200 after the PubAck); five FastStream pull-consumer
hops relay it; the last hop POSTs the documented send body to the Graph API. No state, no
answer: helpline's five services do the same trip with the work on top.

``python -m benchmarks.bare_relay PORT NATS_URL GRAPH_URL`` (run by ``bench_e2e``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import nats
import uvicorn
from fastapi import FastAPI, Request, Response
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js.api import StreamConfig

from benchmarks.harness import SECRET
from helpline.adapters.whatsapp.signature import signature_matches

HOPS = 5
PREFIX = "barerelay"


def create_app(nats_url: str, graph_url: str) -> FastAPI:
    """The webhook and the five hops in one app."""
    broker = NatsBroker(nats_url, logger=None)
    stream = JStream(PREFIX.upper(), declare=False)
    graph = httpx.AsyncClient(base_url=graph_url, timeout=30.0,
                              headers={"Authorization": f"Bearer {SECRET}"})

    def hop(n: int) -> None:
        async def relay(msg: NatsMessage) -> None:
            if n < HOPS:
                await broker.publish(msg.body, f"{PREFIX}.h{n + 1}", stream=stream.name,
                                     headers={"Nats-Msg-Id": f"{n}:{msg.message_id}"})
            else:
                m = json.loads(msg.body)
                response = await graph.post(f"/v23.0/{m['phone_number_id']}/messages", json={
                    "messaging_product": "whatsapp", "recipient_type": "individual",
                    "to": m["from"], "type": "text", "text": {"body": m["text"]},
                    "context": {"message_id": m["id"]}})
                response.raise_for_status()
            await msg.ack()

        broker.subscriber(f"{PREFIX}.h{n}", stream=stream, durable=f"h{n}",
                          pull_sub=PullSub(batch_size=16, timeout=1.0),
                          ack_policy=AckPolicy.MANUAL, max_workers=4)(relay)

    for n in range(1, HOPS + 1):
        hop(n)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nc = await nats.connect(nats_url)
        await nc.jetstream().add_stream(StreamConfig(name=stream.name, subjects=[f"{PREFIX}.>"]))
        await nc.close()
        await broker.start()
        yield
        await broker.stop()
        await graph.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request) -> Response:
        body = await request.body()
        if not signature_matches(body, request.headers.get("x-hub-signature-256"), SECRET):
            return Response(status_code=401)
        value = json.loads(body)["entry"][0]["changes"][0]["value"]
        message = value["messages"][0]
        payload = {"id": message["id"], "from": message["from"],
                   "text": message["text"]["body"],
                   "phone_number_id": value["metadata"]["phone_number_id"]}
        await broker.publish(json.dumps(payload).encode(), f"{PREFIX}.h1", stream=stream.name,
                             headers={"Nats-Msg-Id": message["id"]})
        return Response(status_code=200)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    port, nats_url, graph_url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    uvicorn.run(create_app(nats_url, graph_url), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)
