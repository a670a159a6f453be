"""Response headers of the console, and no CORS under ``/staff`` whatever Rasa was told.

``rasa run --cors "*"`` (as ``scripts/run.sh`` starts it, for the widget on other sites)
installs sanic-cors for the whole app with ``supports_credentials``: it answers every
preflight and reflects any ``Origin`` back with ``Access-Control-Allow-Credentials: true``.
Under ``/staff`` that would let any web page read the console with a signed-in staff
member's cookies. sanic-cors adds its headers from three places (a request middleware
answering preflights, a response middleware it appends when the server starts, and its
error handler), so instead of racing middleware order the console removes every
``Access-Control-*`` header in Sanic's ``http.lifecycle.response`` signal, which runs for
every response after all middleware and error handlers, just before it is sent.
"""

from typing import Any

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; script-src 'self'; "
                               "style-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def under(path: str, base: str) -> bool:
    return path == base or path.startswith(base + "/")


def strip_cors(response: Any) -> None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return
    for name in [n for n in headers.keys() if n.lower().startswith("access-control-")]:
        del headers[name]


def no_cors_under(target: Any, base: str = "/staff") -> None:
    """On ``target`` (a Sanic app or a blueprint to be registered): no CORS headers under ``base``.

    A blueprint's signal handlers are not exclusive to its routes, so this covers 404s,
    405s and preflights under ``base`` too.
    """
    prefix = (getattr(target, "url_prefix", None) or "").rstrip("/")
    mount = prefix + base

    async def drop_cors_headers(request: Any, response: Any) -> None:
        if under(getattr(request, "path", "") or "", mount):
            strip_cors(response)

    target.signal("http.lifecycle.response")(drop_cors_headers)
