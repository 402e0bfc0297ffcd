"""QR codes for the public notices (公示): a resident scans the code on the notice board and
opens the same page on a phone.

The SVG is served from its own URL and shown with ``<img>``: segno writes presentation
attributes (``stroke``), never ``style``, so the content security policy has nothing to refuse.
"""

import io

import segno


def qr_svg(text: str, *, title: str = "") -> bytes:
    """A QR code of ``text`` as a standalone SVG document that scales to its box (a viewBox and no
    fixed size), black on white with the standard four-module quiet zone."""
    code = segno.make(text, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=True,
        svgns=True,
        title=title or None,
        omitsize=True,
        border=4,
        dark="#000",
        light="#fff",
        svgclass=None,
        lineclass=None,
    )
    return out.getvalue()
