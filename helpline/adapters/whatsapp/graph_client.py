"""An async client of the WhatsApp Cloud API's ``messages`` endpoint (Graph API, httpx).

``POST {graph_url}/{api_version}/{phone_number_id}/messages`` with a bearer token and the
documented text body, and ``biz_opaque_callback_data`` naming our send (Meta echoes it in the
status webhooks). Failures come in three kinds:

- **certainly not sent** (429 and Meta's throttling codes, a connection that never opened):
  retried here with capped exponential backoff and full jitter, a bounded number of times,
  then :class:`TransientSendError`;
- **maybe sent** (5xx, a timeout or a broken connection after the request went out):
  :class:`AmbiguousSendError` at once, never retried here, because Meta takes no idempotency
  key and a retry could send the text twice; the caller keeps its claim and learns the
  outcome from the status webhooks;
- **refused**: :class:`~helpline.application.ports.PermanentSendError` with Meta's code.

A token bucket per phone number id keeps us under Meta's throughput limit.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from helpline.adapters.backoff import backoff
from helpline.application.ports import PermanentSendError

# Kept importable from here (the sender's split moved where the agent API can use it too).
from helpline.application.reply_text import split_text as split_text
from helpline.config import Settings

#: Connections to the Graph API a sender keeps open.
CONNECTIONS = 16

#: Meta's default throughput for a business phone number (messages per second).
DEFAULT_RATE_PER_SECOND = 80.0

#: Graph error codes that mean "later" rather than "never": rate limits and Meta-side outages.
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
#: Of those, the ones that certainly refused the message (rate limits): safe to try again.
THROTTLED_CODES = frozenset({4, 80007, 130429, 131048, 131056})
#: Transport errors raised before the request reached Meta.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError,
             httpx.WriteTimeout)

Sleep = Callable[[float], Awaitable[None]]


class TransientSendError(Exception):
    """The Graph API kept failing in a way that may pass (after the bounded retries)."""

    def __init__(
        self, reason: str, code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.retry_after = retry_after


class AmbiguousSendError(TransientSendError):
    """The request may have reached Meta and been sent: do not send it again before knowing
    (a status webhook with our callback data, or the claim's lease running out)."""


class TokenBucket:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Take one token, waiting until one is available (callers are served in order)."""
        async with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens < 1.0:
                await self._sleep((1.0 - self._tokens) / self.rate)
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
            self._tokens -= 1.0


class RateLimiter:
    """One :class:`TokenBucket` per business phone number id."""

    def __init__(self, rate: float = DEFAULT_RATE_PER_SECOND, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, phone_number_id: str) -> None:
        """Wait for the right to send one message from ``phone_number_id``."""
        bucket = self._buckets.get(phone_number_id)
        if bucket is None:
            bucket = self._buckets[phone_number_id] = TokenBucket(self.rate, self.burst)
        await bucket.acquire()


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: ``attempts`` tries in all, delays ``base * 2**n`` capped, full jitter."""

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """How long to wait after failed try number ``attempt`` (0-based)."""
        return rng.uniform(0.0, backoff(self.base_delay, self.max_delay, attempt))


class GraphClient:
    """Sends text and template messages through the Graph API and lists the templates.
    Does not own ``http`` unless built by :meth:`from_settings` (then :meth:`aclose` closes
    it)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        graph_url: str,
        api_version: str,
        access_token: str,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._base = f"{graph_url.rstrip('/')}/{api_version.strip('/')}"
        self._token = access_token
        self.rate_limiter = rate_limiter if rate_limiter is not None else RateLimiter()
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._owns_http = False

    @classmethod
    def from_settings(
        cls, settings: Settings, *, rate_per_second: float = DEFAULT_RATE_PER_SECOND,
        retry: RetryPolicy | None = None, timeout: float = 10.0,
    ) -> GraphClient:
        """A client for ``WHATSAPP_GRAPH_URL`` / ``WHATSAPP_API_VERSION`` / the access token."""
        # Connections are reused (keep-alive) and few: httpcore's pool scans all of them on
        # every request, so a large pool costs more than it gives.
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        client = cls(
            httpx.AsyncClient(timeout=timeout, limits=limits),
            graph_url=settings.whatsapp_graph_url,
            api_version=settings.whatsapp_api_version,
            access_token=settings.whatsapp_access_token.get_secret_value(),
            rate_limiter=RateLimiter(rate_per_second),
            retry=retry,
        )
        client._owns_http = True
        return client

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            await self._http.aclose()

    async def send_text(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        *,
        preview_url: bool = False,
        reply_to: str | None = None,
        callback_data: str | None = None,
    ) -> str:
        """Send one text (at most 4096 characters) and return Meta's wamid for it.

        Raises ``PermanentSendError`` when Meta refuses it for good,
        :class:`AmbiguousSendError` when it may have been sent, and
        :class:`TransientSendError` when the retries ran out.
        """
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"body": body, "preview_url": preview_url},
        }
        return await self._post_message(phone_number_id, payload, reply_to, callback_data)

    async def send_media(
        self, phone_number_id: str, to: str, kind: str, media_id: str, *,
        caption: str | None = None, filename: str | None = None, reply_to: str | None = None,
        callback_data: str | None = None,
    ) -> str:
        """Send an uploaded image or document by its media id (``{"id", "caption"?,
        "filename"?}``, Meta's documented shape) and return its wamid; raises like
        :meth:`send_text`."""
        media: dict[str, str] = {"id": media_id}
        if caption:
            media["caption"] = caption
        if filename and kind == "document":
            media["filename"] = filename
        payload: dict[str, Any] = {"messaging_product": "whatsapp",
                                   "recipient_type": "individual", "to": to, "type": kind,
                                   kind: media}
        return await self._post_message(phone_number_id, payload, reply_to, callback_data)

    async def upload_media(self, phone_number_id: str, data: bytes, mime_type: str,
                           filename: str) -> str:
        """Upload a file (``POST /{phone-number-id}/media``, multipart) and return its media
        id. Any failure but a refusal is :class:`TransientSendError`: an upload is never seen
        by the customer, so one repeated after an unclear answer costs nothing."""
        await self.rate_limiter.acquire(phone_number_id)
        try:
            response = await self._http.post(
                f"{self._base}/{phone_number_id}/media", headers=self._headers(),
                data={"messaging_product": "whatsapp", "type": mime_type},
                files={"file": (filename, data, mime_type)})
        except httpx.TransportError as e:
            raise TransientSendError(f"upload failed: {type(e).__name__}: {e}") from e
        try:
            body = response.json()
        except ValueError:
            body = None
        media_id = body.get("id") if response.is_success and isinstance(body, dict) else None
        if isinstance(media_id, str) and media_id:
            return media_id
        outcome = _interpret(response) if not response.is_success else TransientSendError(
            "upload answered success without an id")
        raise outcome if isinstance(outcome, TransientSendError) else TransientSendError(
            f"upload answered {response.status_code}")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def _post_message(self, phone_number_id: str, payload: dict[str, Any],
                            reply_to: str | None, callback_data: str | None) -> str:
        """POST one message with bounded retries of what certainly was not sent."""
        if reply_to:
            payload["context"] = {"message_id": reply_to}
        if callback_data:
            payload["biz_opaque_callback_data"] = callback_data
        return await self.send_payload(phone_number_id, payload)

    async def send_template(
        self, phone_number_id: str, to: str, template: dict[str, Any], *,
        callback_data: str | None = None,
    ) -> str:
        """Send an approved template (``{name, language, components}``, the shape of
        ``helpline.catalog.TemplateChoice``) and return Meta's wamid; fails like
        :meth:`send_text`."""
        return await self.send_payload(phone_number_id,
                                       template_payload(to, template, callback_data))

    async def list_templates(self, waba_id: str, *, page_size: int = 100) -> list[Any]:
        """The business account's message templates (``GET /{waba-id}/message_templates``,
        every page), as Meta returns them."""
        url: str | None = f"{self._base}/{waba_id}/message_templates"
        params: dict[str, Any] | None = {
            "fields": "name,language,category,status,components", "limit": page_size}
        headers = {"Authorization": f"Bearer {self._token}"}
        found: list[Any] = []
        while url is not None:
            response = await self._http.get(url, params=params, headers=headers)
            if not response.is_success:
                raise TemplateSyncError(_reason(_error_of(response)) or
                                        f"HTTP {response.status_code}")
            data = response.json()
            found.extend(data.get("data") or [])
            url, params = (data.get("paging") or {}).get("next"), None
        return found

    async def send_payload(self, phone_number_id: str, payload: dict[str, Any]) -> str:
        """Post one ``messages`` body and return Meta's wamid (the retry rules of the module
        docstring)."""
        url = f"{self._base}/{phone_number_id}/messages"
        headers = {"Authorization": f"Bearer {self._token}"}
        last: TransientSendError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                await self._sleep(self._backoff(attempt - 1, last))
            await self.rate_limiter.acquire(phone_number_id)
            try:
                response = await self._http.post(url, json=payload, headers=headers)
            except _NOT_SENT as e:
                last = TransientSendError(f"network error: {type(e).__name__}: {e}")
                continue
            except httpx.TransportError as e:
                raise AmbiguousSendError(
                    f"no answer from the Graph API ({type(e).__name__}: {e}); the message "
                    "may have been sent") from e
            outcome = _interpret(response)
            if isinstance(outcome, str):
                return outcome
            if outcome.code not in THROTTLED_CODES and response.status_code != 429:
                raise AmbiguousSendError(f"{outcome.reason}; the message may have been sent",
                                         outcome.code, outcome.retry_after)
            last = outcome
        assert last is not None
        raise TransientSendError(
            f"gave up after {self.retry.attempts} attempts: {last.reason}", last.code)

    def _backoff(self, attempt: int, last: TransientSendError | None) -> float:
        delay = self.retry.delay(attempt, self._rng)
        if last is not None and last.retry_after is not None:
            delay = max(delay, min(last.retry_after, self.retry.max_delay))
        return delay


class TemplateSyncError(Exception):
    """The Graph API did not list the message templates."""


def template_payload(to: str, template: dict[str, Any],
                     callback_data: str | None = None) -> dict[str, Any]:
    """The documented ``messages`` body of a template send: ``type: "template"``,
    ``template: {name, language: {code}, components}`` (components without parameters are
    left out, as Meta expects)."""
    components = [{"type": c["type"], "parameters": [dict(p) for p in c["parameters"]]}
                  for c in template.get("components") or () if c.get("parameters")]
    body: dict[str, Any] = {"name": template["name"], "language": {"code": template["language"]}}
    if components:
        body["components"] = components
    payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual",
                               "to": to, "type": "template", "template": body}
    if callback_data:
        payload["biz_opaque_callback_data"] = callback_data
    return payload


def _error_of(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _interpret(response: httpx.Response) -> str | TransientSendError:
    """The wamid of a success, a transient error to retry, or raise a permanent one."""
    try:
        data = response.json()
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    if response.is_success:
        try:
            wamid = data["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            wamid = None
        if isinstance(wamid, str) and wamid:
            return wamid
        # Meta may have sent it; retrying could send it twice, so we stop here.
        raise PermanentSendError(None, "Graph API answered success without messages[0].id")
    reason = _reason(error) or f"HTTP {response.status_code}"
    if response.status_code == 429 or response.status_code >= 500 or code in TRANSIENT_CODES:
        return TransientSendError(reason, code, _retry_after(response))
    raise PermanentSendError(code, reason)


def _reason(error: dict[str, Any]) -> str:
    message = error.get("message")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    return " - ".join(str(p) for p in (message, details) if isinstance(p, str) and p)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
