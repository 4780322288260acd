"""``helpline fake-graph``: serve the fake WhatsApp Cloud API for the demo and the simulator."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline fake-graph [--host H] [--port P]``."""
    parser = sub.add_parser(
        "fake-graph", help="serve a fake WhatsApp Cloud API (Graph API messages endpoint)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port to listen on")
    parser.add_argument("--log-level", default="info", choices=["warning", "info", "debug"],
                        help="uvicorn's log level (info logs every request)")
    parser.add_argument("--webhook-url", default=None,
                        help="report message statuses to this webhook, signed with "
                        "WHATSAPP_APP_SECRET, as Meta does")
    parser.add_argument("--latency-ms", type=int, default=0,
                        help="answer each send this late (it is recorded at once)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from helpline.adapters.whatsapp.fake_graph import create_fake_graph_app
    from helpline.config import Settings

    settings = Settings()
    token = settings.whatsapp_access_token.get_secret_value()
    secret = settings.whatsapp_app_secret.get_secret_value()
    if not token:
        print("fake-graph: WHATSAPP_ACCESS_TOKEN is empty; set it to the token clients will use")
        return 2
    if args.webhook_url and not secret:
        print("fake-graph: --webhook-url needs WHATSAPP_APP_SECRET to sign the notifications")
        return 2
    app = create_fake_graph_app(token, webhook_url=args.webhook_url, app_secret=secret,
                                latency_s=args.latency_ms / 1000)
    uvicorn.run(app, host=args.host, port=args.port,
                log_level=args.log_level, access_log=args.log_level != "warning")
    return 0
