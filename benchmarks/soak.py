"""``make soak``: ``helpline up`` under a steady load for ``SOAK_MINUTES`` (10), at half the
end-to-end throughput measured first, sampling every 10 s the memory (RSS) and open files of
each of its processes, the message stream and the SQLite files. At the end it says whether
anything grew after the warm-up (the first quarter): RSS and open files must not; the stream
and the event stores grow with what they keep (messages for 7 days, every event for ever).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats

from benchmarks.bench_e2e import helpline_env, load
from benchmarks.harness import (
    QUESTIONS,
    SECRET,
    fake_graph,
    free_port,
    process,
    run_load,
    wait_http,
)
from helpline.adapters.nats.embedded import EmbeddedNatsServer
from helpline.adapters.whatsapp.builders import build_text_notification
from helpline.adapters.whatsapp.signature import sign

MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
EVERY_S = 10.0
#: Customers writing (each writes about once a minute at 80 msg/s).
CUSTOMERS = int(os.environ.get("SOAK_CUSTOMERS", "5000"))


@dataclass
class Sample:
    """One sampling of the system."""

    t: float
    sent: int
    replies: int
    rss_mb: float
    fds: int
    stream_mb: float
    stores_mb: float


def _tree(pid: int) -> list[int]:
    pids, found = [pid], []
    while pids:
        p = pids.pop()
        found.append(p)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == p:
                        pids.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
    return found


def _rss_and_fds(pids: list[int]) -> tuple[float, int]:
    rss, fds = 0.0, 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue
    return rss, fds


async def _stream_mb(url: str, prefix: str) -> float:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(prefix.upper())
        return float(info.state.bytes) / 1024**2
    finally:
        await nc.close()


async def _steady(webhook: str, rate: float, seconds: float, counter: list[int]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < seconds:
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            body = json.dumps(build_text_notification(
                phone_number_id=f"10654035224{n % 16:04d}",
                sender_phone=f"3467{n % CUSTOMERS:07d}",
                # Each customer asks a different question each time (the AI hands a customer
                # who repeats themselves over to a person, who would not answer here).
                text=QUESTIONS[(n // CUSTOMERS + n) % len(QUESTIONS)], wamid=f"wamid.soak.{n}",
                timestamp=int(time.time()))).encode()
            response = await client.post(webhook, content=body, headers={
                "X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"})
            if response.status_code == 200:
                counter[0] += 1
            n += 1


def main() -> None:
    """Measure, then soak, sample and report."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        nats_url = f"nats://127.0.0.1:{free_port()}"
        server = EmbeddedNatsServer(nats_url, tmp / "nats")
        server.start()
        try:
            with fake_graph(tmp) as graph:
                _soak(tmp, nats_url, graph)
        finally:
            server.stop()


def _soak(tmp: Path, nats_url: str, graph: str) -> None:
    port = free_port()
    data = tmp / "soak"
    data.mkdir()
    env = helpline_env(nats_url, graph, data, port)
    prefix = env["HELPLINE_SUBJECT_PREFIX"]
    with process([sys.executable, "-m", "helpline.cli", "up"], env, tmp / "up.log") as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz", proc, timeout_s=120)
        measured = run_load("measure", f"{base}/webhooks/whatsapp", graph,
                            load().__class__(customers=250, per_customer=2), "warm")
        rate = measured.rate / 2
        print(f"measured {measured.rate:.0f} msg/s; soaking at {rate:.0f} msg/s for "
              f"{MINUTES:g} minutes", flush=True)
        samples = asyncio.run(_run(base, graph, nats_url, prefix, proc.pid, data, rate))
    _report(samples)


async def _run(base: str, graph: str, nats_url: str, prefix: str, pid: int, data: Path,
               rate: float) -> list[Sample]:
    sent = [0]
    load_task = asyncio.create_task(_steady(f"{base}/webhooks/whatsapp", rate, MINUTES * 60,
                                            sent))
    samples: list[Sample] = []
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        while not load_task.done():
            await asyncio.sleep(EVERY_S)
            rss, fds = _rss_and_fds(_tree(pid))
            replies = (await client.get(f"{graph}/_fake/stats")).json()["messages"]
            stores = _megabytes(data)
            sample = Sample(time.monotonic() - started, sent[0], replies, rss, fds,
                            await _stream_mb(nats_url, prefix), stores)
            samples.append(sample)
            print(f"{sample.t:6.0f} s  sent {sample.sent:>7}  replies {sample.replies:>7}  "
                  f"RSS {sample.rss_mb:7.1f} MB  fds {sample.fds:>4}  stream "
                  f"{sample.stream_mb:7.1f} MB  stores {sample.stores_mb:7.1f} MB", flush=True)
    await load_task
    return samples


def _megabytes(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.glob("*.sqlite*")) / 1024**2


def _slope(xs: list[float], ys: list[float]) -> float:
    mx, my = statistics.mean(xs), statistics.mean(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


def _report(samples: list[Sample]) -> None:
    after = samples[len(samples) // 4:]
    if len(after) < 3:
        print("too short to tell (soak for longer)")
        return
    minutes = [s.t / 60 for s in after]
    for name, values, unit in (("RSS", [s.rss_mb for s in after], "MB"),
                               ("open files", [float(s.fds) for s in after], "")):
        slope = _slope(minutes, values)
        print(f"after warm-up: {name} from {values[0]:.1f} to {values[-1]:.1f}{unit}, "
              f"trend {slope:+.2f}{unit} per minute")
    last = samples[-1]
    print(f"replies {last.replies} of {last.sent} messages accepted (the last seconds' are "
          f"in flight); stream {last.stream_mb:.1f} MB and stores {last.stores_mb:.1f} MB "
          "(they keep what they are asked to keep)")


if __name__ == "__main__":
    main()
