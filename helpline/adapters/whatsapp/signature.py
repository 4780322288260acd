"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``.

The HMAC key is the app secret (``WHATSAPP_APP_SECRET``). It is computed over the exact bytes
received, before any parsing: re-serialising the JSON would change the bytes.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` header value Meta would send for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signature_matches(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``header`` is the valid signature of ``body`` (constant-time compare).

    An empty app secret never matches: an unconfigured edge refuses everything rather than
    accepting bodies signed with the empty key.
    """
    if not header or not app_secret:
        return False
    return hmac.compare_digest(sign(body, app_secret).encode(), header.strip().encode())
