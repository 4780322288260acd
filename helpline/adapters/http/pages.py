"""The HTML pages of the HTTP edge (the agent console, the customer simulator) in one shell.

Each page is a body fragment in ``static/``; :func:`render` puts it into ``static/shell.html``
(the document's prologue, ``lang``, charset, viewport) with the page's title, style sheets and
scripts. :func:`add_page` serves the rendered page and exactly the assets it links, none of
them cached, so a browser never runs an old script against a new page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from importlib import resources
from string import Template

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

#: The folder of the shell, the fragments and the assets (inside the installed package).
STATIC = resources.files("helpline.adapters.http").joinpath("static")
#: Pages and assets change with the code; a cached copy would mix two versions.
NO_STORE = {"Cache-Control": "no-store"}
_MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript"}


@dataclass(frozen=True)
class Page:
    """One page: served at ``path`` (``/console``); its assets at ``<path>/<name>``.

    ``body`` is the fragment inside ``<body>`` (a file relative to ``static/``), ``folder``
    the folder of ``static/`` that holds the assets (``""``: ``static/`` itself).
    ``relative_links``: the page links its assets relative to itself (``simulator/app.js``
    from ``/simulator``), so it works under any prefix; else by their absolute path.
    ``scripts`` load in their order. An asset is a ``.css`` or ``.js`` file.
    """

    path: str
    title: str
    body: str
    folder: str
    stylesheets: tuple[str, ...]
    scripts: tuple[str, ...]
    relative_links: bool = False

    def __post_init__(self) -> None:
        unknown = [n for n in self.assets if not n.endswith(tuple(_MEDIA_TYPES))]
        if unknown:
            raise ValueError(f"{self.path}: assets must be .css or .js files, not {unknown}")

    @property
    def href(self) -> str:
        """What the page puts before an asset's name to link it."""
        return (self.path.rsplit("/", 1)[-1] if self.relative_links else self.path) + "/"

    @property
    def assets(self) -> tuple[str, ...]:
        """Every file the page links: its style sheets, then its scripts."""
        return (*self.stylesheets, *self.scripts)


def render(page: Page) -> str:
    """The whole HTML document of ``page``: its fragment in the shell, the title and the
    links escaped (the fragment is HTML already and goes in as it is)."""
    shell = Template(STATIC.joinpath("shell.html").read_text(encoding="utf-8"))
    body = STATIC.joinpath(page.body).read_text(encoding="utf-8")

    def link(name: str) -> str:
        return escape(page.href + name, quote=True)

    return shell.substitute(
        title=escape(page.title, quote=True),
        stylesheets="\n".join(f'<link rel="stylesheet" href="{link(n)}">'
                              for n in page.stylesheets),
        body=body.rstrip("\n"),
        scripts="\n".join(f'<script src="{link(n)}"></script>' for n in page.scripts))


def add_page(router: APIRouter, page: Page) -> None:
    """Route ``GET <path>`` to the rendered ``page`` (named ``console_page`` for
    ``/console``) and each of its assets to ``GET <path>/<name>`` (named ``console-<name>``,
    out of the API schema)."""
    prefix = page.path.strip("/")

    # Rendered on each request, as the files were read before: an edited page shows on reload
    # (a plain def, so FastAPI reads the two files in its thread pool, off the event loop).
    @router.get(page.path, name=f"{prefix}_page", response_class=HTMLResponse,
                description=f"The page: {page.title}.")
    def serve_page() -> HTMLResponse:
        return HTMLResponse(render(page), headers=NO_STORE)

    for name in page.assets:
        _add_asset(router, page, name)


def _add_asset(router: APIRouter, page: Page, name: str) -> None:
    path = STATIC.joinpath(page.folder, name)
    media_type = _MEDIA_TYPES[name[name.rindex("."):]]

    @router.get(f"{page.path}/{name}", name=f"{page.path.strip('/')}-{name}",
                include_in_schema=False)
    async def serve_asset() -> FileResponse:
        return FileResponse(str(path), media_type=media_type, headers=NO_STORE)
